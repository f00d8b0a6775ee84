import { badRequest, graphError, type ApiResponse } from './graph-error'
import type { GraphUser, Tenant } from './tenant'

// GET /users/{id|upn} and GET /users?$filter=mail eq '...' (what resolve-users.ts calls).

const FIELDS = ['id', 'mail', 'userPrincipalName', 'displayName'] as const

function project(u: GraphUser, select: string | null): Record<string, unknown> {
  const full: Record<string, unknown> = { id: u.id, mail: u.mail || null, userPrincipalName: u.userPrincipalName, displayName: u.displayName }
  if (!select) return full
  const wanted = select
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
  const out: Record<string, unknown> = {}
  for (const f of FIELDS) if (wanted.includes(f.toLowerCase())) out[f] = full[f]
  // Graph always sends the id back.
  if (!('id' in out)) out.id = u.id
  return out
}

function notFound(ref: string): ApiResponse {
  return graphError(404, 'Request_ResourceNotFound', `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`)
}

/**
 * `byMail`: whether /users/{x} also resolves a mail address that is not the UPN. Graph's
 * directory takes only an id or a userPrincipalName there (the strict setting).
 */
export function handleGetUser(tenant: Tenant, ref: string, query: URLSearchParams, byMail: boolean): ApiResponse {
  const u = byMail ? tenant.findUser(ref) : tenant.findUserByIdOrUpn(ref)
  if (!u) return notFound(ref)
  return {
    status: 200,
    headers: {},
    body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...project(u, query.get('$select')) }
  }
}

type Filter = { prop: 'id' | 'mail' | 'userPrincipalName'; value: string }

/** `mail eq 'a''b@x'`: one equality on id, mail or userPrincipalName; quotes doubled inside. */
export function parseUserFilter(filter: string): Filter | null {
  const m = /^\s*(id|mail|userPrincipalName)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter)
  if (!m) return null
  const prop = FIELDS.find((f) => f.toLowerCase() === m[1]!.toLowerCase()) as Filter['prop']
  return { prop, value: m[2]!.replace(/''/g, "'") }
}

export function handleListUsers(tenant: Tenant, query: URLSearchParams, selfUrl: string): ApiResponse {
  const filterText = query.get('$filter')
  let users = tenant.users().sort((a, b) => a.id.localeCompare(b.id))
  if (filterText !== null) {
    const f = parseUserFilter(filterText)
    if (!f) return badRequest(`Unsupported or invalid query filter clause specified: '${filterText}'.`, 'Request_UnsupportedQuery')
    users = users.filter((u) => (u[f.prop] ?? '').toLowerCase() === f.value.toLowerCase())
  }
  const topRaw = query.get('$top')
  const top = topRaw === null ? 100 : Number(topRaw)
  if (!Number.isInteger(top) || top < 1 || top > 999)
    return badRequest(`Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`, 'Request_UnsupportedQuery')
  const skip = Number(query.get('$skiptoken') ? Buffer.from(query.get('$skiptoken')!, 'base64url').toString('utf8') : '0') || 0
  const page = users.slice(skip, skip + top)
  const body: Record<string, unknown> = {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users',
    value: page.map((u) => project(u, query.get('$select')))
  }
  if (skip + top < users.length) {
    const next = new URLSearchParams(query)
    next.set('$skiptoken', Buffer.from(String(skip + top), 'utf8').toString('base64url'))
    body['@odata.nextLink'] = `${selfUrl}/v1.0/users?${next.toString()}`
  }
  return { status: 200, headers: {}, body }
}
