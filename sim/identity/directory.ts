import { randomBytes, randomUUID } from 'node:crypto'
import { recordSecret } from '../shared/secrets-ledger'

// The simulator's directory: tenants (id and verified domain) and app registrations (client id,
// one secret, admin consent). Consent is kept per app, not per tenant: the service runs in one
// tenant, and an app consented once works in every tenant the simulator knows.

export interface SimTenant {
  /** GUID (lower case) */
  id: string
  /** a verified domain, e.g. contoso.example */
  domain: string | undefined
  /** display name used in error messages ("in the tenant named ...") */
  name: string
}

export interface TenantInput {
  /** GUID; generated when absent */
  id?: string
  domain?: string
  name?: string
}

export interface SimApp {
  clientId: string
  /** display name used in error messages (AADSTS65001 "named ...") */
  name: string
  secret: string
  secretExpired: boolean
  /** ms; the secret counts as expired from then on (the simulator's clock) */
  secretExpiresAt: number | undefined
  /** admin consent for its Graph application permissions */
  consented: boolean
  /** registered redirect URIs; undefined = any redirect_uri is accepted by /adminconsent */
  redirectUris: string[] | undefined
  /**
   * The Graph application permissions the consent granted: the `roles` claim of its tokens.
   * `[]` is what real Entra issues without consent, a token with no `roles` claim at all.
   */
  roles: string[]
}

/** What calstatus asks for (docs/graph.md): the default grant of a simulated app. */
export const DEFAULT_APP_ROLES: readonly string[] = ['Calendars.Read', 'User.Read.All']

export interface AppInput {
  /** GUID; generated when absent */
  clientId?: string
  /** generated when absent */
  secret?: string
  secretExpired?: boolean
  secretExpiresAt?: number
  /** default true */
  consented?: boolean
  name?: string
  redirectUris?: string[]
  /** default DEFAULT_APP_ROLES */
  roles?: string[]
}

export type TenantLookup =
  | { kind: 'tenant'; tenant: SimTenant }
  /** common, organizations, consumers: no tenant of their own */
  | { kind: 'multi'; segment: string }
  /** neither a GUID nor a DNS name (AADSTS900023) */
  | { kind: 'invalid'; segment: string }
  /** a GUID or a domain no tenant has (AADSTS90002) */
  | { kind: 'unknown'; segment: string }

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i
export const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations', 'consumers'])

export function isGuid(s: string): boolean {
  return GUID.test(s)
}

export function newSecret(): string {
  // Looks like an Entra secret value: 40 characters with a '~' in it.
  const raw = randomBytes(30).toString('base64url').slice(0, 39)
  return `${raw.slice(0, 3)}8Q~${raw.slice(3, 36)}`
}

export interface Directory {
  tenants: SimTenant[]
  apps: Map<string, SimApp>
  addTenant(input?: TenantInput): SimTenant
  addApp(input?: AppInput): SimApp
  removeApp(clientId: string): boolean
  app(clientId: string): SimApp | undefined
  /** throws for an unknown client id (driver use) */
  mustApp(clientId: string): SimApp
  lookupTenant(segment: string): TenantLookup
  secretExpired(app: SimApp): boolean
}

export function createDirectory(opts: { now: () => number }): Directory {
  const tenants: SimTenant[] = []
  const apps = new Map<string, SimApp>()
  const dir: Directory = {
    tenants,
    apps,
    addTenant(input = {}) {
      const id = (input.id ?? randomUUID()).toLowerCase()
      if (!isGuid(id)) throw new Error(`tenant id must be a GUID: ${id}`)
      if (tenants.some((t) => t.id === id)) throw new Error(`tenant ${id} exists`)
      const domain = input.domain?.toLowerCase()
      if (domain && tenants.some((t) => t.domain === domain)) throw new Error(`domain ${domain} is taken`)
      const tenant: SimTenant = {
        id,
        domain,
        name: input.name ?? (domain ? domain.split('.')[0]!.replace(/^./, (c) => c.toUpperCase()) : `Tenant ${id.slice(0, 8)}`)
      }
      tenants.push(tenant)
      return tenant
    },
    addApp(input = {}) {
      const clientId = (input.clientId ?? randomUUID()).toLowerCase()
      if (apps.has(clientId)) throw new Error(`app ${clientId} exists`)
      const app: SimApp = {
        clientId,
        name: input.name ?? 'calstatus',
        secret: input.secret ?? newSecret(),
        secretExpired: input.secretExpired ?? false,
        secretExpiresAt: input.secretExpiresAt,
        consented: input.consented ?? true,
        redirectUris: input.redirectUris ? [...input.redirectUris] : undefined,
        roles: [...(input.roles ?? DEFAULT_APP_ROLES)]
      }
      apps.set(clientId, app)
      recordSecret('client secret', app.secret)
      return app
    },
    removeApp: (clientId) => apps.delete(clientId.toLowerCase()),
    app: (clientId) => apps.get(clientId.trim().toLowerCase()),
    mustApp(clientId) {
      const app = dir.app(clientId)
      if (!app) throw new Error(`no app ${clientId}`)
      return app
    },
    lookupTenant(segment) {
      const s = segment.toLowerCase()
      if (MULTI_TENANT_SEGMENTS.has(s)) return { kind: 'multi', segment }
      const tenant = tenants.find((t) => t.id === s || (t.domain !== undefined && t.domain === s))
      if (tenant) return { kind: 'tenant', tenant }
      if (isGuid(s) || DNS_NAME.test(s)) return { kind: 'unknown', segment }
      return { kind: 'invalid', segment }
    },
    secretExpired: (app) => app.secretExpired || (app.secretExpiresAt !== undefined && app.secretExpiresAt <= opts.now())
  }
  return dir
}
