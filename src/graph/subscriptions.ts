import { randomBytes } from 'node:crypto'
import { retryAfterSeconds, type GraphClient, type GraphResponse } from './create-graph-client'
import { GraphRequestError } from './errors'

// Change-notification subscriptions for users' events (docs/graph.md#change-notifications).

export interface Subscription {
  id: string
  resource: string
  expirationDateTime: string
  clientState: string | null
}

/** Graph no longer knows this subscription (404): the caller creates a new one. */
export class SubscriptionGoneError extends Error {
  constructor(readonly subscriptionId: string) {
    super(`subscription ${subscriptionId} is gone`)
    this.name = 'SubscriptionGoneError'
  }
}

export interface SubscriptionsOptions {
  publicUrl: string
  /** Well under Graph's 10,080-minute maximum for events (older pages say 4,230). */
  lifetimeMinutes: number
}

export interface SubscriptionsApi {
  /** The lifetime asked for at each creation and renewal (GRAPH_SUBSCRIPTION_LIFETIME_MINUTES). */
  readonly lifetimeMinutes: number
  /**
   * Create a subscription to the user's events. On a 409 (one already exists for this app and
   * resource) the existing one is adopted when `knownClientState` returns its secret, else it
   * is deleted and created again so that its clientState is one we hold.
   */
  create(
    graphUserId: string,
    opts?: {
      knownClientState?: (subscriptionId: string) => string | null
      /**
       * Graph's list of this app's subscriptions, for the 409 case. A caller creating many
       * passes one shared (memoized) list, so conflicts cost one listing, not one each.
       */
      listExisting?: () => Promise<Subscription[]>
    }
  ): Promise<Subscription>
  renew(subscriptionId: string): Promise<{ expirationDateTime: string }>
  reauthorize(subscriptionId: string): Promise<void>
  delete(subscriptionId: string): Promise<void>
  list(): Promise<Subscription[]>
}

/** A secret clientState: 64 URL-safe characters (Graph allows at most 128). */
export function newClientState(): string {
  return randomBytes(48).toString('base64url')
}

function fail(res: GraphResponse, what: string): never {
  const err = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error
  throw new GraphRequestError(res.status, err?.code ?? 'error', `${what}: ${err?.message ?? `status ${res.status}`}`, retryAfterSeconds(res.headers))
}

export function createSubscriptionsApi(client: GraphClient, opts: SubscriptionsOptions): SubscriptionsApi {
  const expiry = (): string => new Date(Date.now() + opts.lifetimeMinutes * 60_000).toISOString()
  const resourceOf = (graphUserId: string): string => `users/${graphUserId}/events`

  const post = async (graphUserId: string): Promise<GraphResponse> => {
    const clientState = newClientState()
    const res = await client.request('POST', '/subscriptions', {
      kind: 'subscription',
      // A throttled creation comes back at once: the upkeep slows every creation down for it
      // (src/app/subscription-pace.ts) rather than this one request sleeping while the others go on.
      noRetry: true,
      body: {
        changeType: 'created,updated,deleted',
        notificationUrl: `${opts.publicUrl}/graph/notifications`,
        // Only settable at creation (docs/graph.md).
        lifecycleNotificationUrl: `${opts.publicUrl}/graph/lifecycle`,
        resource: resourceOf(graphUserId),
        expirationDateTime: expiry(),
        clientState
      }
    })
    if (res.status === 201 || res.status === 200) (res.body as { clientState?: string }).clientState = clientState
    return res
  }
  const toSubscription = (body: unknown): Subscription => {
    const b = body as { id: string; resource: string; expirationDateTime: string; clientState?: string | null }
    return { id: b.id, resource: b.resource, expirationDateTime: b.expirationDateTime, clientState: b.clientState ?? null }
  }

  const api: SubscriptionsApi = {
    lifetimeMinutes: opts.lifetimeMinutes,
    async create(graphUserId, o) {
      const res = await post(graphUserId)
      if (res.status === 201 || res.status === 200) return toSubscription(res.body)
      if (res.status !== 409) fail(res, `creating the subscription for ${graphUserId}`)
      const wanted = resourceOf(graphUserId).toLowerCase()
      const existing = (await (o?.listExisting ?? api.list)()).find((s) => s.resource.toLowerCase().replace(/^\//, '') === wanted)
      if (existing) {
        const known = o?.knownClientState?.(existing.id)
        if (known) return { ...existing, clientState: known }
        await api.delete(existing.id)
      }
      const again = await post(graphUserId)
      if (again.status === 201 || again.status === 200) return toSubscription(again.body)
      fail(again, `creating the subscription for ${graphUserId} after a conflict`)
    },
    async renew(id) {
      const res = await client.request<{ expirationDateTime: string }>('PATCH', `/subscriptions/${encodeURIComponent(id)}`, {
        kind: 'subscription',
        body: { expirationDateTime: expiry() }
      })
      if (res.status === 404) throw new SubscriptionGoneError(id)
      if (res.status !== 200) fail(res, `renewing subscription ${id}`)
      return { expirationDateTime: res.body.expirationDateTime }
    },
    async reauthorize(id) {
      const res = await client.request('POST', `/subscriptions/${encodeURIComponent(id)}/reauthorize`, { kind: 'subscription', body: {} })
      if (res.status === 404) throw new SubscriptionGoneError(id)
      if (res.status !== 200 && res.status !== 204) fail(res, `reauthorizing subscription ${id}`)
    },
    async delete(id) {
      const res = await client.request('DELETE', `/subscriptions/${encodeURIComponent(id)}`, { kind: 'subscription' })
      // Already gone is what we wanted.
      if (res.status !== 204 && res.status !== 200 && res.status !== 404) fail(res, `deleting subscription ${id}`)
    },
    async list() {
      const out: Subscription[] = []
      let path: string | null = '/subscriptions'
      while (path) {
        const res: GraphResponse<{ value?: unknown[]; '@odata.nextLink'?: string }> = await client.request('GET', path, { kind: 'subscription' })
        if (res.status !== 200) fail(res, 'listing subscriptions')
        out.push(...(res.body.value ?? []).map(toSubscription))
        const next = res.body['@odata.nextLink']
        // nextLink is absolute; the client wants a path relative to the version.
        path = next ? next.replace(/^https?:\/\/[^/]+\/v1\.0/, '') : null
      }
      return out
    }
  }
  return api
}
