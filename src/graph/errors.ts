import { RetryLater } from '../shared/retry-later'
// The project's own Graph errors: callers and logs see what went wrong in our words, the
// vendor's code kept for support. See docs/graph.md#errors-worth-a-specific-reaction.

export type GraphAuthProblem =
  | 'bad-secret' // AADSTS7000215: invalid client secret
  | 'expired-secret' // AADSTS7000222: the secret has expired
  | 'consent-missing' // AADSTS65001 (or a 401/403 on Graph after a token was issued)
  | 'tenant-not-found' // AADSTS90002 / AADSTS900023
  | 'bad-client' // invalid_client otherwise (unknown app id, wrong tenant)
  | 'unavailable' // network trouble or a 5xx at the identity host: retry later

/** What an administrator does about each sign-in problem (the setup check shows it as the fix). */
export const SIGN_IN_ADVICE: Record<GraphAuthProblem, string> = {
  'bad-secret': 'MS_CLIENT_SECRET is wrong: copy the secret value (not its id) from the app registration',
  'expired-secret': 'MS_CLIENT_SECRET has expired: create a new secret in the app registration and update MS_CLIENT_SECRET',
  'consent-missing': 'an administrator has not granted the app its permissions yet: open /admin/consent (or grant admin consent in Entra)',
  // msal reports an unreachable MS_AUTHORITY_HOST the same way (endpoints_resolution_error).
  'tenant-not-found': 'MS_TENANT_ID does not name a tenant the identity host knows, or MS_AUTHORITY_HOST could not be reached to look it up',
  'bad-client': 'MS_CLIENT_ID or MS_TENANT_ID do not match an app registration in this tenant',
  unavailable: 'the identity host could not be reached; will retry'
}

export class GraphAuthError extends Error {
  constructor(
    readonly problem: GraphAuthProblem,
    readonly detail: string
  ) {
    super(`Microsoft sign-in failed (${problem}): ${SIGN_IN_ADVICE[problem]}${detail ? ` [${detail}]` : ''}`)
    this.name = 'GraphAuthError'
  }
  /** Whether retrying later can help without an administrator doing something. */
  get retryable(): boolean {
    return this.problem === 'unavailable'
  }
}

/**
 * Any sign-in failure ends the Graph work of a job at once: a job makes at most one sign-in
 * attempt, and one that cannot succeed without an administrator (`retryable` false) is not
 * retried at all (docs/graph.md#sign-in-failures).
 */
export function isSignInFailure(err: unknown): err is GraphAuthError {
  return err instanceof GraphAuthError
}

/** A Graph request that failed for good (after the retries the client does itself). */
export class GraphRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number
  ) {
    super(`Graph ${status} ${code}: ${message}`)
    this.name = 'GraphRequestError'
  }
}

/** Map an identity error text (msal ServerError message or AAD error body) to a problem. */
export function classifyAuthFailure(text: string): GraphAuthProblem {
  if (/AADSTS7000222/.test(text)) return 'expired-secret'
  if (/AADSTS7000215/.test(text)) return 'bad-secret'
  // Before the consent rule: AADSTS700016's own text says "...or consented to by any user".
  if (/AADSTS700016|unauthorized_client/i.test(text)) return 'bad-client'
  if (/AADSTS65001|consent_required/i.test(text)) return 'consent-missing'
  if (/AADSTS90002\b|AADSTS900023|tenant .*not found|endpoints_resolution_error|openid_config_error/i.test(text)) return 'tenant-not-found'
  if (/invalid_client/i.test(text)) return 'bad-client'
  return 'unavailable'
}

/**
 * Graph asked to wait (Retry-After) longer than a process should sleep: the job runs again after
 * that long, from BullMQ's delayed set (docs/graph.md#throttling).
 */
export class GraphBusyError extends RetryLater {
  constructor(kind: string, afterMs: number) {
    super(`Graph throttled ${kind} and asked to wait ${Math.ceil(afterMs / 1000)} s; trying again then`, afterMs)
    this.name = 'GraphBusyError'
  }
}
