import { randomUUID } from 'node:crypto'

// Error answers shaped as Microsoft Entra ID (AAD/ESTS) shapes them: a JSON body with the OAuth
// `error`, an `error_description` that starts with `AADSTSnnnn:` and ends with trace id,
// correlation id and timestamp on CRLF-separated lines, plus `error_codes`, `timestamp`,
// `trace_id`, `correlation_id`, `error_uri` (and `suberror` for some).

export interface AadError {
  /** HTTP status */
  status: number
  /** OAuth error, e.g. invalid_client */
  error: string
  /** AADSTS number, e.g. 7000215 */
  code: number
  /** the text after `AADSTSnnnn: ` */
  message: string
  suberror?: string
}

export interface AadErrorContext {
  traceId: string
  correlationId: string
  /** ms */
  now: number
  /** the simulator's base URL, for error_uri */
  baseUrl: string
}

export interface AadErrorBody {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
  suberror?: string
}

/** ESTS timestamps: `2026-03-15 12:00:00Z` */
export function estsTimestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
}

export function newTraceId(): string {
  return randomUUID()
}

/** The first line: `AADSTS7000215: Invalid client secret provided. ...` */
export function aadstsText(err: AadError): string {
  return `AADSTS${err.code}: ${err.message}`
}

/** `AADSTS...: message\r\nTrace ID: ...\r\nCorrelation ID: ...\r\nTimestamp: ...` */
export function aadDescription(err: AadError, ctx: AadErrorContext): string {
  return `${aadstsText(err)}\r\nTrace ID: ${ctx.traceId}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${estsTimestamp(ctx.now)}`
}

export function aadErrorBody(err: AadError, ctx: AadErrorContext): AadErrorBody {
  const body: AadErrorBody = {
    error: err.error,
    error_description: aadDescription(err, ctx),
    error_codes: [err.code],
    timestamp: estsTimestamp(ctx.now),
    trace_id: ctx.traceId,
    correlation_id: ctx.correlationId,
    error_uri: `${ctx.baseUrl}/error?code=${err.code}`
  }
  if (err.suberror) body.suberror = err.suberror
  return body
}

// The errors this simulator gives, with Microsoft's wording (docs "Microsoft Entra authentication
// and authorization error codes" and answers seen in the wild).

export const aad = {
  tenantNotFound: (tenant: string, error = 'invalid_request'): AadError => ({
    status: 400,
    error,
    code: 90002,
    message: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
  }),
  tenantInvalid: (tenant: string, error = 'invalid_request'): AadError => ({
    status: 400,
    error,
    code: 900023,
    message: `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`
  }),
  noTenantInfo: (): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 50059,
    message: 'No tenant-identifying information found in either the request or implied by any provided credentials.'
  }),
  missingParameter: (name: string): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`
  }),
  postOnly: (method: string): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 900561,
    message: `The endpoint only accepts POST requests. Received a ${method} request.`
  }),
  unsupportedGrantType: (grantType: string): AadError => ({
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    message: `The app requested an unsupported grant type '${grantType}'.`
  }),
  unknownClient: (clientId: string, tenantName: string): AadError => ({
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    message: `Application with identifier '${clientId}' was not found in the directory '${tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
  }),
  missingSecret: (): AadError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000218,
    message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
  }),
  badSecret: (clientId: string): AadError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`
  }),
  expiredSecret: (clientId: string): AadError => ({
    status: 401,
    error: 'invalid_client',
    code: 7000222,
    message: `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`
  }),
  scopeNotDefault: (scope: string): AadError => ({
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    message: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
  }),
  scopeInvalid: (scope: string): AadError => ({
    status: 400,
    error: 'invalid_scope',
    code: 70011,
    message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`
  }),
  resourceNotFound: (resource: string, tenantName: string): AadError => ({
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    message: `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
  }),
  consentMissing: (clientId: string, appName: string): AadError => ({
    status: 400,
    error: 'invalid_grant',
    code: 65001,
    suberror: 'consent_required',
    message: `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive authorization request for this user and resource.`
  }),
  consentDeclined: (): AadError => ({
    status: 400,
    error: 'access_denied',
    code: 65004,
    message: 'User declined to consent to access the app.'
  }),
  redirectMismatch: (redirectUri: string, clientId: string): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 50011,
    message: `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`
  }),
  noReplyAddress: (): AadError => ({
    status: 400,
    error: 'invalid_request',
    code: 500113,
    message: 'No reply address is registered for the application.'
  }),
  unknownInstance: (): AadError => ({
    status: 400,
    error: 'invalid_instance',
    code: 50049,
    message: 'Unknown or invalid instance.'
  }),
  /** injected faults (driver.failNext) */
  unavailable: (status: number): AadError =>
    status === 429
      ? { status, error: 'temporarily_unavailable', code: 90055, message: 'There are too many incoming requests. Please try again later.' }
      : status === 500
        ? { status, error: 'server_error', code: 50000, message: 'There was an error issuing a token or an issue with our sign-in service.' }
        : status >= 500
          ? { status, error: 'temporarily_unavailable', code: 90033, message: 'A transient error has occurred. Please try again.' }
          : { status, error: 'invalid_request', code: 90000, message: `Injected failure (HTTP ${status}).` }
}
