import type { Redis } from 'ioredis'

/**
 * The nonces of signed action contexts (src/shared/signed-context.ts) already spent: Mattermost
 * does not authenticate a click, so one captured request could otherwise be sent again.
 */
export interface NonceStore {
  /** True the first time a nonce is used, false ever after (until its context has expired). */
  useOnce(nonce: string, expiresAtMs: number): Promise<boolean>
}

// Kept a minute past expiry, so a clock a little behind another process's cannot reopen it.
const KEEP_AFTER_EXPIRY_MS = 60_000

export function createNonceStore(redis: Pick<Redis, 'set'>, prefix: string, opts: { now?: () => number } = {}): NonceStore {
  const now = opts.now ?? Date.now
  return {
    async useOnce(nonce, expiresAtMs) {
      const ttlMs = Math.max(0, Math.ceil(expiresAtMs - now())) + KEEP_AFTER_EXPIRY_MS
      // SET NX is one atomic step: of two clicks at once, exactly one wins.
      const set = await redis.set(`${prefix}:action-nonce:${nonce}`, '1', 'PX', ttlMs, 'NX')
      return set === 'OK'
    }
  }
}
