import type { IssuedToken } from '../shared/token-registry'
import type { Stats } from './counters'
import { badRequest, graphError, type ApiResponse } from './graph-error'
import { handleCalendarView } from './calendar-view'
import { handleGetSchedule, schedulesOf } from './get-schedule'
import type { Subscriptions } from './subscriptions'
import type { Tenant } from './tenant'
import type { Throttle, ThrottleTarget } from './throttle'
import { handleGetUser, handleListUsers } from './users-routes'

// One dispatcher for every API request, outer or inside a $batch: the same routes, the same
// token (the outer one) and the same throttling (docs/graph.md#json-batching).

export interface ApiRequest {
  method: string
  /** relative to the version, query included: '/users/x/calendar/getSchedule' */
  url: string
  /** lower-case names */
  headers: Record<string, string>
  /** parsed JSON, or undefined */
  body: unknown
  inner: boolean
}

export interface ApiContext {
  app: IssuedToken
}

export interface Latency {
  /** added to every request (outer or inner), the $batch envelope excepted */
  perRequestMs: number
  /** added per address asked in a getSchedule */
  perScheduleMs: number
}

/** 40 ms + 10 ms per address: a getSchedule of 20 takes 240 ms; a $batch of 20 of them, 4 at a time, about 1.2 s. */
export const REALISTIC_LATENCY: Latency = { perRequestMs: 40, perScheduleMs: 10 }

type Resolved =
  | { kind: 'batch'; template: string }
  | { kind: 'error'; template: string; res: ApiResponse }
  | { kind: 'route'; template: string; throttle?: ThrottleTarget; pathMailbox?: string; isGetSchedule?: boolean; run: () => ApiResponse | Promise<ApiResponse> }

export interface ApiDeps {
  tenant: Tenant
  subscriptions: Subscriptions
  throttle: Throttle
  stats: Stats
  latency: () => Latency
  sleep: (ms: number) => Promise<void>
  baseUrl: () => string
  /** whether GET /users/{x} also resolves a mail address that is not the UPN */
  userPathByMail: boolean
  batch: (req: ApiRequest, ctx: ApiContext) => Promise<ApiResponse>
}

export interface Api {
  dispatch(req: ApiRequest, ctx: ApiContext): Promise<ApiResponse>
  /** 'POST /v1.0/users/{id}/calendar/getSchedule' for a method and a relative URL */
  routeKey(method: string, url: string): string
}

function splitUrl(url: string): { segments: string[] | null; query: URLSearchParams; raw: string } {
  const trimmed = '/' + url.replace(/^\/+/, '')
  const q = trimmed.indexOf('?')
  const path = q >= 0 ? trimmed.slice(0, q) : trimmed
  const query = new URLSearchParams(q >= 0 ? trimmed.slice(q + 1) : '')
  try {
    const segments = path
      .split('/')
      .filter((s, i, all) => s !== '' || (i > 0 && i < all.length - 1))
      .map((s) => decodeURIComponent(s))
    return { segments, query, raw: trimmed }
  } catch {
    return { segments: null, query, raw: trimmed }
  }
}

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase()

function template(segments: string[]): string {
  const [a, , c, d] = segments
  const n = segments.length
  if (n === 1 && eq(a, '$batch')) return '/$batch'
  if (eq(a, 'users')) {
    if (n === 1) return '/users'
    if (n === 2) return '/users/{id}'
    if (n === 4 && eq(c, 'calendar') && eq(d, 'getSchedule')) return '/users/{id}/calendar/getSchedule'
    if (n === 3 && eq(c, 'calendarView')) return '/users/{id}/calendarView'
  }
  if (eq(a, 'subscriptions')) {
    if (n === 1) return '/subscriptions'
    if (n === 2) return '/subscriptions/{id}'
    if (n === 3 && eq(c, 'reauthorize')) return '/subscriptions/{id}/reauthorize'
  }
  if (eq(a, 'me')) return '/me/...'
  return '(unknown)'
}

const methodNotAllowed = (): ApiResponse => graphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.')

export function createApi(deps: ApiDeps): Api {
  const { tenant, subscriptions, stats } = deps

  const mailboxKey = (ref: string): string => tenant.findUser(ref)?.id ?? ref.toLowerCase()

  const resolve = (req: ApiRequest, ctx: ApiContext): Resolved => {
    const { segments, query, raw } = splitUrl(req.url)
    if (!segments) return { kind: 'error', template: '(unknown)', res: badRequest('Invalid request URL: a path segment is not properly percent-encoded.') }
    const tpl = template(segments)
    const m = req.method
    const app = ctx.app
    const identity = `${app.clientId}|${m} ${raw.toLowerCase()}|${schedulesOf(req.body)
      .map((s) => s.toLowerCase())
      .sort()
      .join(',')}`
    const appTarget = (shareApplies: boolean): ThrottleTarget => ({ scope: 'app', key: `${app.clientId}|app`, identity, shareApplies })
    const mailboxTarget = (ref: string): ThrottleTarget => ({ scope: 'mailbox', key: `${app.clientId}|mbx:${mailboxKey(ref)}`, identity, shareApplies: true })

    // A subscription to a user's events is an Outlook resource of that mailbox: its calls count
    // against that mailbox's limits (docs/graph.md#throttling), not one budget for the whole app.
    // Writes also count against the subscription service's budget per app and tenant.
    const write = (target: ThrottleTarget): ThrottleTarget => ({ ...target, subscriptionWrite: { appKey: `${app.clientId}|app` } })
    const resourceTarget = (resource: unknown): ThrottleTarget => {
      const ref = typeof resource === 'string' ? /^\/?users\/([^/]+)\/events$/i.exec(resource)?.[1] : undefined
      return write(ref ? mailboxTarget(ref) : appTarget(false))
    }
    const subscriptionTarget = (id: string, isWrite = false): ThrottleTarget => {
      const sub = subscriptions.find(id)
      const target = sub ? mailboxTarget(sub.userId) : appTarget(false)
      return isWrite ? write(target) : target
    }

    /** A route on one mailbox's path: throttled as that mailbox, which is the path mailbox. */
    const onMailbox = (ref: string, handle: (ref: string) => ApiResponse | Promise<ApiResponse>) =>
      ({ kind: 'route', template: tpl, throttle: mailboxTarget(ref), pathMailbox: mailboxKey(ref), run: () => handle(ref) }) as const

    switch (tpl) {
      case '/$batch':
        if (m !== 'POST') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        if (req.inner) return { kind: 'error', template: tpl, res: badRequest('Nested batch requests are not supported.') }
        return { kind: 'batch', template: tpl }
      case '/users':
        if (m !== 'GET') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        return { kind: 'route', template: tpl, throttle: appTarget(true), run: () => handleListUsers(tenant, query, deps.baseUrl()) }
      case '/users/{id}':
        if (m !== 'GET') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        return onMailbox(segments[1]!, (ref) => handleGetUser(tenant, ref, query, deps.userPathByMail))
      case '/users/{id}/calendar/getSchedule':
        if (m !== 'POST') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        return { ...onMailbox(segments[1]!, (ref) => handleGetSchedule(tenant, ref, req.body, req.headers['prefer'])), isGetSchedule: true }
      case '/users/{id}/calendarView':
        if (m !== 'GET') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        return onMailbox(segments[1]!, (ref) =>
          handleCalendarView(tenant, ref, query, req.headers['prefer'], { baseUrl: deps.baseUrl(), latency: deps.latency(), sleep: deps.sleep })
        )
      case '/subscriptions':
        if (m === 'GET') return { kind: 'route', template: tpl, throttle: appTarget(false), run: () => subscriptions.list(app, query) }
        if (m === 'POST')
          return {
            kind: 'route',
            template: tpl,
            throttle: resourceTarget((req.body as { resource?: unknown } | undefined)?.resource),
            run: () => subscriptions.create(app, req.body)
          }
        return { kind: 'error', template: tpl, res: methodNotAllowed() }
      case '/subscriptions/{id}': {
        const id = segments[1]!
        if (m === 'GET') return { kind: 'route', template: tpl, throttle: subscriptionTarget(id), run: () => subscriptions.get(app, id) }
        if (m === 'PATCH') return { kind: 'route', template: tpl, throttle: subscriptionTarget(id, true), run: () => subscriptions.patch(app, id, req.body) }
        if (m === 'DELETE') return { kind: 'route', template: tpl, throttle: subscriptionTarget(id, true), run: () => subscriptions.delete(app, id) }
        return { kind: 'error', template: tpl, res: methodNotAllowed() }
      }
      case '/subscriptions/{id}/reauthorize':
        if (m !== 'POST') return { kind: 'error', template: tpl, res: methodNotAllowed() }
        return { kind: 'route', template: tpl, throttle: subscriptionTarget(segments[1]!), run: () => subscriptions.reauthorize(app, segments[1]!) }
      case '/me/...':
        return { kind: 'error', template: tpl, res: badRequest('/me request is only valid with delegated authentication flow.') }
      default: {
        const first = segments[0] ?? ''
        const known = ['users', 'subscriptions', '$batch'].some((k) => eq(first, k))
        const seg = known ? (segments[segments.length - 1] ?? first) : first
        return { kind: 'error', template: tpl, res: badRequest(`Resource not found for the segment '${seg}'.`) }
      }
    }
  }

  return {
    routeKey(method, url) {
      const { segments } = splitUrl(url)
      return `${method.toUpperCase()} /v1.0${segments ? template(segments) : '(unknown)'}`
    },
    async dispatch(req, ctx) {
      const r = resolve(req, ctx)
      // Outer requests are counted by the server (401s included); inner ones here.
      if (req.inner) stats.route(`${req.method} /v1.0${r.template}`, true)
      if (r.kind === 'batch') return deps.batch(req, ctx)
      if (r.kind === 'error') return r.res
      if (r.pathMailbox) stats.pathMailbox(r.pathMailbox)
      const n = r.isGetSchedule ? schedulesOf(req.body).length : 0
      if (r.isGetSchedule) stats.c.getScheduleCalls += 1
      const admission = r.throttle ? deps.throttle.admit(r.throttle) : { ok: true as const, release() {} }
      if (!admission.ok) return graphError(429, admission.code, admission.message, { 'Retry-After': String(admission.retryAfterSeconds) })
      try {
        const lat = deps.latency()
        const ms = lat.perRequestMs + (r.isGetSchedule ? lat.perScheduleMs * Math.min(n, 20) : 0)
        if (ms > 0) await deps.sleep(ms)
        const res = await r.run()
        if (r.isGetSchedule && res.status === 200) stats.c.schedulesAsked += n
        return res
      } finally {
        admission.release()
      }
    }
  }
}
