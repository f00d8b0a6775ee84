import { randomBytes } from 'node:crypto'
import type { Config } from '../../config'
import type { ConsentRecord, ConsentStore } from '../../store/consent-store'

// The admin consent flow (docs/graph.md#admin-consent): a button on /admin sends the admin to
// Microsoft's v1 adminconsent endpoint; Microsoft sends them back to PUBLIC_URL/admin/consent/callback
// with either `error` or `admin_consent=True&tenant=...`, and the `state` we gave.
// https://learn.microsoft.com/entra/identity-platform/v2-admin-consent

export const CONSENT_CALLBACK_PATH = '/admin/consent/callback'
const STATE_TTL_MS = 10 * 60_000
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DECLINED_FIX = 'Sign in as a Global Administrator or Privileged Role Administrator of the tenant, then press "Grant admin consent" again.'

export type ConsentStart = { ok: true; url: string } | { ok: false; variable: string; message: string }

/** Why a callback is not believed; the route answers it with a 4xx and the message. */
export type ConsentRefusal = 'state-missing' | 'state-unknown' | 'tenant-missing' | 'tenant-mismatch' | 'not-granted'

export type ConsentOutcome =
  | { kind: 'granted'; record: ConsentRecord; message: string }
  | { kind: 'declined'; record: ConsentRecord; message: string }
  | { kind: 'refused'; reason: ConsentRefusal; message: string }

export interface Consent {
  /** Where to send the admin, with a fresh one-time state; or which variable is missing. */
  start(admin: string): Promise<ConsentStart>
  /** Microsoft's redirect back to us, as its query string. */
  callback(query: Record<string, string | undefined>, admin: string): Promise<ConsentOutcome>
}

export interface ConsentDeps {
  config: Pick<Config, 'publicUrl' | 'microsoft'>
  consents: ConsentStore
}

export function createConsent(deps: ConsentDeps, opts: { stateTtlMs?: number; now?: () => number } = {}): Consent {
  const now = opts.now ?? Date.now
  const stateTtlMs = opts.stateTtlMs ?? STATE_TTL_MS
  const refuse = (reason: ConsentRefusal, message: string): ConsentOutcome => ({ kind: 'refused', reason, message })

  const declined = async (query: Record<string, string | undefined>, admin: string): Promise<ConsentOutcome> => {
    // The state goes too, so this redirect cannot be replayed; a decline grants nothing, so it
    // is recorded whatever the state (the admin pressing the button is signed in to /admin).
    if (query['state']) await deps.consents.consume(query['state'])
    const error = (query['error'] ?? '').slice(0, 100)
    // The first line holds the AADSTS code and text; the rest is trace ids and a timestamp.
    const description = (query['error_description'] ?? '').split(/\r?\n/)[0]!.slice(0, 300)
    const record: ConsentRecord = { admin, at: now(), outcome: 'declined', tenant: null, tenantCompared: false, error, errorDescription: description }
    await deps.consents.record(record)
    const said = description ? `: ${description}` : ''
    return { kind: 'declined', record, message: `Microsoft did not grant the permissions (${error}${said}). ${DECLINED_FIX}` }
  }

  const checkTenant = (returned: string | undefined, configured: string): { ok: true; compared: boolean } | { ok: false; outcome: ConsentOutcome } => {
    if (!returned || !GUID.test(returned)) {
      return { ok: false, outcome: refuse('tenant-missing', 'The answer names no tenant. Press "Grant admin consent" again.') }
    }
    // A domain cannot be compared with the GUID Microsoft returns without asking Microsoft.
    if (!GUID.test(configured)) return { ok: true, compared: false }
    if (returned.toLowerCase() === configured.toLowerCase()) return { ok: true, compared: true }
    return {
      ok: false,
      outcome: refuse(
        'tenant-mismatch',
        `Consent was given in tenant ${returned}, but MS_TENANT_ID is ${configured}. Sign in with an administrator account of tenant ${configured} and press "Grant admin consent" again, or correct MS_TENANT_ID.`
      )
    }
  }

  return {
    async start(admin) {
      const ms = deps.config.microsoft
      if (!ms) return { ok: false, variable: 'MS_TENANT_ID', message: 'Microsoft 365 is not configured: set MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET.' }
      if (!deps.config.publicUrl) {
        return { ok: false, variable: 'PUBLIC_URL', message: `Set PUBLIC_URL: Microsoft sends the admin back to PUBLIC_URL${CONSENT_CALLBACK_PATH}.` }
      }
      const state = randomBytes(24).toString('base64url')
      await deps.consents.issue(state, { admin, issuedAt: now() }, stateTtlMs)
      const url = new URL(`${ms.authorityHost}/${encodeURIComponent(ms.tenantId)}/adminconsent`)
      url.searchParams.set('client_id', ms.clientId)
      url.searchParams.set('redirect_uri', `${deps.config.publicUrl}${CONSENT_CALLBACK_PATH}`)
      url.searchParams.set('state', state)
      return { ok: true, url: url.toString() }
    },

    async callback(query, admin) {
      // `error` first, then `state`, and the tenant is only compared, never trusted (docs/graph.md#admin-consent).
      if (query['error']) return declined(query, admin)
      const state = query['state']
      if (!state)
        return refuse('state-missing', 'The answer carries no state, so it cannot be matched to a request made here. Press "Grant admin consent" again.')
      if (!(await deps.consents.consume(state))) {
        return refuse(
          'state-unknown',
          'This answer does not match a consent started here in the last 10 minutes (or it was already used). Press "Grant admin consent" again.'
        )
      }
      const configured = deps.config.microsoft?.tenantId ?? ''
      const tenant = checkTenant(query['tenant'], configured)
      if (!tenant.ok) return tenant.outcome
      if ((query['admin_consent'] ?? '').toLowerCase() !== 'true') {
        return refuse('not-granted', 'Microsoft did not say the permissions were granted. Press "Grant admin consent" again.')
      }
      const record: ConsentRecord = { admin, at: now(), outcome: 'granted', tenant: query['tenant']!.toLowerCase(), tenantCompared: tenant.compared }
      await deps.consents.record(record)
      const note = tenant.compared ? '' : ` MS_TENANT_ID is a domain, so the tenant (${record.tenant}) could not be compared with it.`
      return { kind: 'granted', record, message: `Admin consent granted in tenant ${record.tenant}.${note}` }
    }
  }
}
