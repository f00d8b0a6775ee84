import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * The project's own HTTP error: a status and a reason that is safe to show the client. What
 * went wrong inside goes in `cause`, which only the log sees.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'HttpError'
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

/**
 * The one error handler: 4xx carry their reason (validation, body too large, wrong media type),
 * 5xx only the request id to find the log line and a generic message: an HttpError's own
 * (written to be shown), never another error's, which may carry a Redis or driver detail.
 * Never a stack trace.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      const message = err instanceof HttpError ? err.message : status === 503 ? 'service unavailable, try again later' : 'internal error'
      return reply.code(status).send({ error: REASONS[status] ?? 'Error', message, requestId: request.id })
    }
    request.log.info({ status, reason: err.message }, 'request refused')
    return reply.code(status).send({ error: REASONS[status] ?? 'Error', message: err.message, requestId: request.id })
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `no route for ${request.method} ${request.url.split('?')[0]}`, requestId: request.id })
  )
}
