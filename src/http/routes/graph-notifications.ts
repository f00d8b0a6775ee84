import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import { timingSafeEqualStrings } from '../timing-safe-equal'
import { HttpError } from '../errors'

// Graph change notifications and lifecycle events (docs/graph.md#change-notifications):
// validation handshake, tenant and clientState checked per item (clientState in constant time),
// valid items' users written to the notification inbox (shared with the requests that arrive
// together), 202 once written, 503 when Redis could not take them (Graph retries). No Graph or Mattermost call in the request path: Graph wants an answer
// within 3 s.

export interface NotificationDeps {
  /** The subscriptions we hold, by id: whose they are and their secret. */
  lookup(subscriptionIds: string[]): Promise<Map<string, { mmUserId: string; clientState: string }>>
  /** Calendars changed: resolves once the users are written where a worker finds them. */
  notified(mmUserIds: string[]): Promise<void>
  lifecycle(events: Array<{ event: string; subscriptionId: string; mmUserId: string }>): Promise<void>
  /**
   * Our tenant's GUID, lower case: items naming another tenant are dropped. null: not checked
   * (MS_TENANT_ID is a domain, and notifications name the tenant by GUID).
   */
  tenantId: string | null
  registry: Registry
}

interface Item {
  subscriptionId: string
  tenantId?: string
  clientState?: string
  changeType?: string
  resource?: string
  lifecycleEvent?: string
}

const MAX_BODY = 1024 * 1024
/**
 * Graph's validation tokens are short opaque strings (about a hundred characters); 1,024 leaves
 * ample room, and anything longer is not Graph (docs/graph.md#validation-handshake).
 */
const MAX_VALIDATION_TOKEN = 1024

const bodySchema = {
  type: 'object',
  required: ['value'],
  properties: {
    value: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['subscriptionId'],
        properties: {
          subscriptionId: { type: 'string', minLength: 1, maxLength: 200 },
          clientState: { type: 'string', maxLength: 512 },
          changeType: { type: 'string', maxLength: 100 },
          resource: { type: 'string', maxLength: 2000 },
          lifecycleEvent: { type: 'string', maxLength: 100 },
          tenantId: { type: 'string', maxLength: 100 }
        }
      }
    }
  }
} as const

export async function graphNotificationRoutes(app: FastifyInstance, deps: NotificationDeps): Promise<void> {
  const items = new Counter({
    name: 'calstatus_graph_notifications_total',
    help: 'Graph notification items received, by route and outcome (accepted, wrong_tenant, unknown_subscription, bad_client_state)',
    labelNames: ['route', 'outcome'],
    registers: [deps.registry]
  })

  // The handshake comes before any body parsing: Graph's validation POST may carry no JSON.
  // Fastify has already URL-decoded the token; it goes back exactly, as text/plain, never
  // sniffed as anything else (the build-app hook sets nosniff on every reply).
  const handshake = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = (request.query as Record<string, unknown>)['validationToken']
    if (typeof token === 'string') {
      if (token.length > MAX_VALIDATION_TOKEN) throw new HttpError(400, `validationToken is longer than ${MAX_VALIDATION_TOKEN} characters`)
      await reply.code(200).type('text/plain; charset=utf-8').send(token)
    }
  }

  const onlyJson = async (request: FastifyRequest): Promise<void> => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/json') throw new HttpError(415, 'notifications must be application/json')
  }

  /** Items of our tenant (or naming none), whose subscription we hold and whose clientState matches; the others are counted and dropped. */
  const authentic = async (route: string, value: Item[]): Promise<Array<Item & { mmUserId: string }>> => {
    const ours = value.filter((item) => {
      const wrongTenant = deps.tenantId !== null && item.tenantId !== undefined && item.tenantId.toLowerCase() !== deps.tenantId
      if (wrongTenant) items.inc({ route, outcome: 'wrong_tenant' })
      return !wrongTenant
    })
    if (ours.length === 0) return []
    const known = await deps.lookup(ours.map((i) => i.subscriptionId))
    const valid: Array<Item & { mmUserId: string }> = []
    for (const item of ours) {
      const sub = known.get(item.subscriptionId)
      if (!sub) {
        items.inc({ route, outcome: 'unknown_subscription' })
        continue
      }
      // Always compare, even when clientState is missing, so timing says nothing.
      if (!timingSafeEqualStrings(item.clientState ?? '', sub.clientState) || item.clientState === undefined) {
        items.inc({ route, outcome: 'bad_client_state' })
        continue
      }
      items.inc({ route, outcome: 'accepted' })
      valid.push({ ...item, mmUserId: sub.mmUserId })
    }
    return valid
  }

  const persist = async (work: () => Promise<void>): Promise<void> => {
    try {
      await work()
    } catch (err) {
      // Redis unreachable (for the look-up or the enqueue): nothing was persisted, so Graph
      // must retry (it does, for up to 4 hours). The cause goes to the log, never to the caller.
      throw new HttpError(503, 'could not queue the notifications; Graph will retry', { cause: err })
    }
  }

  app.post<{ Body: { value: Item[] } }>(
    '/graph/notifications',
    { onRequest: handshake, preValidation: onlyJson, bodyLimit: MAX_BODY, schema: { body: bodySchema } },
    async (request, reply) => {
      await persist(async () => {
        const valid = await authentic('notifications', request.body.value)
        await deps.notified(valid.map((i) => i.mmUserId))
      })
      return reply.code(202).send()
    }
  )

  app.post<{ Body: { value: Item[] } }>(
    '/graph/lifecycle',
    { onRequest: handshake, preValidation: onlyJson, bodyLimit: MAX_BODY, schema: { body: bodySchema } },
    async (request, reply) => {
      await persist(async () => {
        const valid = await authentic('lifecycle', request.body.value)
        await deps.lifecycle(valid.map((i) => ({ event: i.lifecycleEvent ?? 'unknown', subscriptionId: i.subscriptionId, mmUserId: i.mmUserId })))
      })
      return reply.code(202).send()
    }
  )
}
