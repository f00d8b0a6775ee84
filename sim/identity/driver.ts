import type { TokenRegistry } from '../shared/token-registry'
import type { AppInput, Directory, SimApp, SimTenant, TenantInput } from './directory'
import { recordSecret } from '../shared/secrets-ledger'

// What a test (or the demo) changes while the simulator runs: apps and their secrets, admin
// consent, token lifetime, and injected failures.

/** Which requests an injected failure hits. */
export type FaultRoute = 'token' | 'openid' | 'consent' | 'any'

export interface FaultOptions {
  /** a `Retry-After` header (seconds). msal-node refuses the same request locally until then, 60 s when absent */
  retryAfterSeconds?: number
  /** default 'token' */
  route?: FaultRoute
  /** an HTML body instead of Entra's JSON error (as a gateway in front of it would answer) */
  html?: boolean
}

export interface Fault {
  /** an HTTP status, or 'reset' to drop the connection without an answer */
  status: number | 'reset'
  retryAfterSeconds: number | undefined
  route: FaultRoute
  html: boolean
}

export interface IdentitySimDriver {
  addTenant(input?: TenantInput): SimTenant
  /** A new app registration (consented unless `consented: false`). */
  addApp(input?: AppInput): SimApp
  /** The app registration is deleted: its token requests get AADSTS700016. */
  removeApp(clientId: string): boolean
  app(clientId: string): SimApp | undefined
  /** every app registration, in the order added */
  apps(): SimApp[]
  /** Replace the app's secret (the new one is valid). */
  setSecret(clientId: string, secret: string): void
  /** The app's secret has expired: requests with it get AADSTS7000222. */
  expireSecret(clientId: string): void
  /** Grant or revoke admin consent. */
  setConsent(clientId: string, consented: boolean): void
  /** The application permissions granted (the `roles` claim of tokens issued from now on). */
  setRoles(clientId: string, roles: string[]): void
  /** The next admin consent is declined by the admin (redirect with error=access_denied). */
  declineNextConsent(): void
  /** expires_in (and ext_expires_in) of tokens issued from now on. */
  setExpiresIn(seconds: number): void
  /** The next `count` requests to `route` (default the token endpoint) fail with `status`. */
  failNext(count: number, status: number | 'reset', opts?: FaultOptions): void
  clearFaults(): void
  /** the token registry shared with the Graph simulator */
  tokens: TokenRegistry
}

export interface DriverState {
  directory: Directory
  tokens: TokenRegistry
  faults: Fault[]
  setExpiresIn(seconds: number): void
  declineNext(): void
}

export function createDriver(s: DriverState): IdentitySimDriver {
  const d = s.directory
  return {
    addTenant: (input) => d.addTenant(input),
    addApp: (input) => d.addApp(input),
    removeApp: (clientId) => d.removeApp(clientId),
    app: (clientId) => d.app(clientId),
    apps: () => [...d.apps.values()],
    setSecret(clientId, secret) {
      const app = d.mustApp(clientId)
      app.secret = secret
      recordSecret('client secret', secret)
      app.secretExpired = false
      app.secretExpiresAt = undefined
    },
    expireSecret(clientId) {
      d.mustApp(clientId).secretExpired = true
    },
    setConsent(clientId, consented) {
      d.mustApp(clientId).consented = consented
    },
    setRoles(clientId, roles) {
      d.mustApp(clientId).roles = [...roles]
    },
    declineNextConsent: () => s.declineNext(),
    setExpiresIn(seconds) {
      if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`expires_in must be a positive integer: ${seconds}`)
      s.setExpiresIn(seconds)
    },
    failNext(count, status, opts = {}) {
      if (status !== 'reset' && (!Number.isInteger(status) || status < 400 || status > 599))
        throw new Error(`fault status must be 4xx/5xx or 'reset': ${status}`)
      for (let i = 0; i < count; i++)
        s.faults.push({ status, retryAfterSeconds: opts.retryAfterSeconds, route: opts.route ?? 'token', html: opts.html ?? false })
    },
    clearFaults() {
      s.faults.length = 0
    },
    tokens: s.tokens
  }
}

/** Takes the first queued fault that applies to `route`. */
export function takeFault(faults: Fault[], route: Exclude<FaultRoute, 'any'>): Fault | undefined {
  const i = faults.findIndex((f) => f.route === 'any' || f.route === route)
  if (i < 0) return undefined
  return faults.splice(i, 1)[0]
}
