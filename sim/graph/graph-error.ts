import { graphStamp } from './ids'

/** What a route answers; `body` undefined means no content (204). */
export interface ApiResponse {
  status: number
  headers: Record<string, string>
  body?: unknown
}

export interface GraphErrorBody {
  error: { code: string; message: string; innerError?: { date: string; 'request-id': string; 'client-request-id': string } }
}

/** `{error: {code, message}}`; `innerError` is added when the answer is sent (see withInnerError). */
export function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers, body: { error: { code, message } } }
}

export function isErrorBody(body: unknown): body is GraphErrorBody {
  return typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object'
}

/** Graph puts `innerError {date, request-id, client-request-id}` into every error body. */
export function withInnerError(res: ApiResponse, requestId: string, clientRequestId: string, nowMs: number): ApiResponse {
  if (!isErrorBody(res.body) || !('code' in res.body.error)) return res
  const error = { ...res.body.error, innerError: { date: graphStamp(nowMs), 'request-id': requestId, 'client-request-id': clientRequestId } }
  return { ...res, body: { ...res.body, error } }
}

export const badRequest = (message: string, code = 'BadRequest'): ApiResponse => graphError(400, code, message)
