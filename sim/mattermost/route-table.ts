import type { CustomStatusStore } from './custom-status-store'
import type { SimHistory } from './history'
import type { Messaging } from './messaging'
import type { StatusStore } from './status-store'
import type { SimUser, UserDirectory } from './user-directory'

// The simulator's API routes: a template in the spec's spelling (used as the counter key and to
// line up with the OpenAPI contract), per-parameter patterns as the server's router declares
// them (user_id is [A-Za-z0-9]+, so /users/abc-def is a 404 while /users/abc is a 400), and a
// handler. The router matches the DECODED path, as Go's does.

export interface SimConfig {
  /** PrivacySettings.ShowEmailAddress (default true) */
  showEmailAddress: boolean
  /** PrivacySettings.ShowFullName (default true) */
  showFullName: boolean
  /** ServiceSettings.EnableUserAccessTokens (default false; bot tokens work regardless) */
  enablePersonalAccessTokens: boolean
  /** TeamSettings.EnableCustomUserStatuses (default true) */
  customStatusEnabled: boolean
  /** ServiceSettings.MaximumPayloadSizeBytes (default 300,000) */
  maxPayloadBytes: number
  /** ServiceSettings.AllowedUntrustedInternalConnections, split on whitespace/commas */
  allowedUntrustedInternalConnections: string[]
  /** ServiceSettings.OutgoingIntegrationRequestsTimeout in ms (default 30 s) */
  integrationTimeoutMs: number
}

export interface SimModel {
  now(): number
  random: () => number
  config: SimConfig
  users: UserDirectory
  statuses: StatusStore
  customStatuses: CustomStatusStore
  messaging: Messaging
  history: SimHistory
  siteUrl(): string
}

export interface ApiRequest {
  method: string
  /** decoded path */
  path: string
  params: Record<string, string>
  query: URLSearchParams
  rawBody: string
  /** the authenticated user (every route here requires a session) */
  session: SimUser
  requestId: string
}

export interface ApiResponse {
  status: number
  json: unknown
}

export type ApiHandler = (req: ApiRequest, sim: SimModel) => ApiResponse

export interface ApiRoute {
  method: string
  template: string
  regex: RegExp
  names: string[]
  handle: ApiHandler
}

/** Route key for counters: "PUT /api/v4/users/{user_id}/status". */
export function routeKey(route: { method: string; template: string }): string {
  return `${route.method} ${route.template}`
}

export function defineRoute(method: string, template: string, patterns: Record<string, string>, handle: ApiHandler): ApiRoute {
  const names: string[] = []
  const source = template
    .split('/')
    .map((seg) => {
      const m = /^\{([^}]+)\}$/.exec(seg)
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      const name = m[1] as string
      names.push(name)
      return `(${patterns[name] ?? '[^/]+'})`
    })
    .join('/')
  return { method, template, regex: new RegExp(`^${source}$`), names, handle }
}

export type RouteMatch = { route: ApiRoute; params: Record<string, string> } | { methodNotAllowed: true } | undefined

export function matchRoute(routes: readonly ApiRoute[], method: string, decodedPath: string): RouteMatch {
  let pathMatched = false
  for (const route of routes) {
    const m = route.regex.exec(decodedPath)
    if (!m) continue
    pathMatched = true
    if (route.method !== method) continue
    const params: Record<string, string> = {}
    route.names.forEach((n, i) => {
      params[n] = m[i + 1] as string
    })
    return { route, params }
  }
  return pathMatched ? { methodNotAllowed: true } : undefined
}

/** ReturnStatusOK */
export const STATUS_OK: ApiResponse = { status: 200, json: { status: 'OK' } }

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const tmp = out[i] as T
    out[i] = out[j] as T
    out[j] = tmp
  }
  return out
}
