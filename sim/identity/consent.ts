import { aad, aadDescription, type AadError, type AadErrorContext } from './aad-errors'
import type { Directory, SimTenant } from './directory'

// The admin consent endpoint, `GET /{tenant}/adminconsent?client_id=&redirect_uri=&state=` (v1)
// and `GET /{tenant}/v2.0/adminconsent?client_id=&scope=&redirect_uri=&state=` (v2). Real Entra
// shows a sign-in and consent page first; the simulator decides at once: it grants (and marks the
// app consented) unless the driver said the admin declines the next one. Problems Entra shows on
// its own error page (unknown app, redirect URI not registered, unknown tenant) are a 400 HTML
// page here, without a redirect.

export interface ConsentContext {
  directory: Directory
  /** consumes the "decline the next consent" switch */
  takeDecline: () => boolean
}

export interface ConsentRequest {
  tenantSegment: string
  query: URLSearchParams
  v2: boolean
}

export type ConsentAnswer =
  | {
      kind: 'redirect'
      location: string
      outcome: 'granted' | 'declined'
      tenant: SimTenant
      clientId: string
      state: string | null
      redirectUri: string
    }
  | { kind: 'page'; err: AadError; clientId: string | null; state: string | null; redirectUri: string | null }

export function adminConsent(ctx: ConsentContext, req: ConsentRequest, errCtx: AadErrorContext): ConsentAnswer {
  const q = req.query
  const clientId = q.get('client_id')?.trim() || null
  const state = q.get('state')
  let redirectUri = q.get('redirect_uri')
  const page = (err: AadError): ConsentAnswer => ({ kind: 'page', err, clientId, state, redirectUri })

  const found = ctx.directory.lookupTenant(req.tenantSegment)
  if (found.kind === 'unknown') return page(aad.tenantNotFound(req.tenantSegment))
  if (found.kind === 'invalid') return page(aad.tenantInvalid(req.tenantSegment))
  // common/organizations: the admin signs in to their own tenant, the simulator's first one.
  const tenant = found.kind === 'tenant' ? found.tenant : ctx.directory.tenants[0]
  if (!tenant) return page(aad.tenantNotFound(req.tenantSegment))

  if (!clientId) return page(aad.missingParameter('client_id'))
  const app = ctx.directory.app(clientId)
  if (!app) return page(aad.unknownClient(clientId, tenant.name))
  if (req.v2 && !q.get('scope')) return page(aad.missingParameter('scope'))

  if (!redirectUri) {
    if (!app.redirectUris?.length) return page(aad.noReplyAddress())
    redirectUri = app.redirectUris[0]!
  } else if (app.redirectUris && !app.redirectUris.includes(redirectUri)) {
    return page(aad.redirectMismatch(redirectUri, app.clientId))
  }
  let target: URL
  try {
    target = new URL(redirectUri)
  } catch {
    return page({ status: 400, error: 'invalid_request', code: 90102, message: "'redirect_uri' value must be a valid absolute URI." })
  }

  const declined = ctx.takeDecline()
  if (declined) {
    target.searchParams.append('error', 'access_denied')
    target.searchParams.append('error_subcode', 'cancel')
    if (state !== null) target.searchParams.append('state', state)
    target.searchParams.append('error_description', aadDescription(aad.consentDeclined(), errCtx))
  } else {
    app.consented = true
    target.searchParams.append('admin_consent', 'True')
    target.searchParams.append('tenant', tenant.id)
    if (req.v2) target.searchParams.append('scope', q.get('scope')!)
    if (state !== null) target.searchParams.append('state', state)
  }
  return { kind: 'redirect', location: target.toString(), outcome: declined ? 'declined' : 'granted', tenant, clientId: app.clientId, state, redirectUri }
}

/** Entra's error page, reduced to the part a test or a person reads. */
export function errorPage(err: AadError, errCtx: AadErrorContext): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  const lines = aadDescription(err, errCtx).split('\r\n').map(esc)
  return `<!DOCTYPE html>\n<html><head><title>Sign in to your account</title></head><body>\n<h1>Sorry, but we're having trouble signing you in.</h1>\n<p>${lines.join('<br>\n')}</p>\n</body></html>\n`
}
