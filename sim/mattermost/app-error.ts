// Mattermost's error shape (model.AppError as JSON): {id, message, detailed_error, request_id,
// status_code}. The @mattermost/client turns these fields into ClientError.server_error_id and
// status_code, so the ids and codes below are the server's own.

export class AppError extends Error {
  override readonly name = 'AppError'
  constructor(
    readonly statusCode: number,
    readonly id: string,
    message: string,
    readonly detailedError = ''
  ) {
    super(message)
  }
}

export interface AppErrorBody {
  id: string
  message: string
  detailed_error: string
  request_id: string
  status_code: number
}

export function appErrorBody(err: AppError, requestId: string): AppErrorBody {
  return { id: err.id, message: err.message, detailed_error: err.detailedError, request_id: requestId, status_code: err.statusCode }
}

/** c.SetInvalidParam(name): 400, api.context.invalid_body_param.app_error */
export function invalidBodyParam(name: string, detail = ''): AppError {
  return new AppError(400, 'api.context.invalid_body_param.app_error', `Invalid or missing ${name} in request body.`, detail)
}

/** c.SetInvalidURLParam(name): 400, api.context.invalid_url_param.app_error */
export function invalidUrlParam(name: string): AppError {
  return new AppError(400, 'api.context.invalid_url_param.app_error', `Invalid or missing ${name} parameter in request URL.`)
}

/** c.SetPermissionError(permission): 403, api.context.permissions.app_error */
export function permissionError(permission: string): AppError {
  return new AppError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.', `permission=${permission}`)
}

/** No or unknown token (APISessionRequired): 401. */
export function sessionExpired(): AppError {
  return new AppError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.')
}

/** store user missing: 404, app.user.missing_account.const */
export function userNotFound(): AppError {
  return new AppError(404, 'app.user.missing_account.const', 'Unable to find the user.')
}

/** The API router's NotFoundHandler. */
export function apiNotFound(): AppError {
  return new AppError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.')
}
