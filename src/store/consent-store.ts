import type { Redis } from 'ioredis'

/** One answer of Microsoft's admin consent endpoint, as the admin page lists it (docs/graph.md#admin-consent). */
export interface ConsentRecord {
  /** the admin who pressed the button (the /admin login) */
  admin: string
  /** when the answer came back (ms) */
  at: number
  outcome: 'granted' | 'declined'
  /** the tenant GUID Microsoft returned (granted only) */
  tenant: string | null
  /** false when MS_TENANT_ID is a domain, so the returned GUID could not be compared with it */
  tenantCompared: boolean
  /** Microsoft's `error` and the first line of `error_description` (declined only) */
  error?: string
  errorDescription?: string
}

/** Who started a consent, kept under its one-time `state`. */
export interface ConsentState {
  admin: string
  issuedAt: number
}

/**
 * Admin consent: the one-time `state` of each start (so a callback can prove it answers a
 * request an admin made here), and the last answers Microsoft gave.
 */
export interface ConsentStore {
  issue(state: string, who: ConsentState, ttlMs: number): Promise<void>
  /** The state's starter, and the state gone: null when it is unknown, expired or already used. */
  consume(state: string): Promise<ConsentState | null>
  record(r: ConsentRecord): Promise<void>
  last(): Promise<ConsentRecord | null>
}

// A short history for support; the page shows the last one.
const KEEP_RECORDS = 20

export function createConsentStore(redis: Pick<Redis, 'set' | 'getdel' | 'multi' | 'lindex'>, prefix: string): ConsentStore {
  const stateKey = (state: string): string => `${prefix}:consent-state:${state}`
  const listKey = `${prefix}:consents`
  return {
    async issue(state, who, ttlMs) {
      await redis.set(stateKey(state), JSON.stringify(who), 'PX', ttlMs)
    },
    async consume(state) {
      // GETDEL is one atomic step: of two callbacks with one state, one gets it.
      const json = await redis.getdel(stateKey(state))
      return json === null ? null : (JSON.parse(json) as ConsentState)
    },
    async record(r) {
      const results = await redis
        .multi()
        .lpush(listKey, JSON.stringify(r))
        .ltrim(listKey, 0, KEEP_RECORDS - 1)
        .exec()
      const failed = results?.find(([err]) => err)
      if (failed?.[0]) throw failed[0]
    },
    async last() {
      const json = await redis.lindex(listKey, 0)
      return json === null ? null : (JSON.parse(json) as ConsentRecord)
    }
  }
}
