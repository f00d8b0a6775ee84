import { Client4 } from '@mattermost/client'
import type { Logger } from 'pino'
import { MattermostAuthError, MattermostBusyError, MattermostError } from './errors'
import { backoffMs } from '../shared/backoff'
import { parseJsonBody } from '../shared/parse-json-body'
import { errorMessage, toError } from '../shared/to-error'
import type { MattermostMetrics } from './mattermost-metrics'
import type { RateCeiling, RateLimitAnswer } from './create-rate-ceiling'

// This project compiles to CommonJS, where the named import of this CommonJS package works
// (under native ESM it would fail at run time: docs/mattermost.md#mattermostclient-from-node-20).

export interface MattermostRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Full API path from Client4's route builders, e.g. client4.getUsersRoute() + '/status/ids'. */
  url: string
  /** Route template for metrics and errors, e.g. 'PUT /users/{id}/status'. */
  route: string
  body?: unknown
  /**
   * false when repeating a request that may already have been applied is harmful: a DM
   * posted twice, or DND set over DND (which makes Mattermost store prev_status = dnd).
   * Such requests are retried only when the server surely did not apply them (429, 503).
   */
  idempotent?: boolean
  /** Statuses the caller handles itself instead of an error (e.g. 404 for a lookup). */
  accept?: number[]
  /**
   * Called right before each attempt is sent, after every wait: a write made for a user checks
   * that it still holds the user's lease here, and throws if not (docs/architecture.md, "One
   * user, one writer").
   */
  beforeSend?: () => Promise<void>
}

export interface MattermostResponse<T = unknown> {
  status: number
  body: T
}

export interface MattermostHttp {
  client4: InstanceType<typeof Client4>
  call<T = unknown>(req: MattermostRequest): Promise<MattermostResponse<T>>
}

export interface MattermostHttpOptions {
  timeoutMs: number
  /** Attempts for 5xx and network errors. */
  maxAttempts: number
  /** Attempts for 429s (each waits for Retry-After / X-Ratelimit-Reset). */
  maxThrottledAttempts: number
  backoffBaseMs: number
  /**
   * The longest a call sleeps in the process, for a ceiling slot or a 429's Retry-After; a
   * longer wait throws MattermostBusyError and the job is delayed in the queue instead.
   */
  maxWaitMs: number
}

/** An error whose request may or may not have been applied by the server. */
export function isAmbiguous(err: unknown): boolean {
  return err instanceof MattermostError && (err.status === 0 || err.status === 500 || err.status === 502 || err.status === 504)
}

function header(res: Response, name: string): number | undefined {
  const raw = res.headers.get(name)
  if (raw === null || raw.trim() === '' || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined
  return Number(raw)
}

/** The X-Ratelimit-* headers and Retry-After, where present and numeric (docs/mattermost.md#rate-limiting). */
function rateLimitAnswer(res: Response): RateLimitAnswer {
  const limit = header(res, 'x-ratelimit-limit')
  const remaining = header(res, 'x-ratelimit-remaining')
  const resetSeconds = header(res, 'x-ratelimit-reset')
  const retryAfterSeconds = header(res, 'retry-after')
  return {
    throttled: res.status === 429,
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetSeconds !== undefined ? { resetSeconds } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {})
  }
}

export function createMattermostHttp(
  config: { url: string; botToken: string },
  deps: { ceiling: RateCeiling | null; metrics: MattermostMetrics; log: Logger },
  opts: MattermostHttpOptions
): MattermostHttp {
  const client4 = new Client4()
  client4.setUrl(config.url)
  client4.setToken(config.botToken)
  client4.setUserAgent('calstatus')

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
  const backoff = (attempt: number): number => backoffMs(attempt, opts.backoffBaseMs, 30_000)

  // The ceiling learns the server's limit from every answer; a Redis failure here must not fail a
  // call the server has already applied (a DM would be posted twice when the job retries).
  async function observe(res: Response, ticket: number | undefined): Promise<void> {
    try {
      await deps.ceiling?.observe(rateLimitAnswer(res), ticket)
    } catch (err) {
      deps.log.warn({ err: errorMessage(err) }, 'mattermost rate ceiling: could not record the answer')
    }
  }

  async function call<T>(req: MattermostRequest): Promise<MattermostResponse<T>> {
    let attempts = 0
    let throttled = 0
    for (;;) {
      let ticket: number | undefined
      if (deps.ceiling) {
        const slot = await deps.ceiling.acquire(opts.maxWaitMs)
        if ('busyForMs' in slot)
          throw new MattermostBusyError(
            req.route,
            slot.busyForMs,
            `the cluster's ceiling (MM_MAX_REQUESTS_PER_SECOND) is booked for the next ${Math.ceil(slot.busyForMs / 1000)} s`
          )
        deps.metrics.ceilingWait.observe(slot.waitedMs / 1000)
        ticket = slot.ticket
      }
      await req.beforeSend?.()
      attempts += 1
      let res: Response
      try {
        // Client4's options carry the bearer token, X-Requested-With and the user agent.
        const init = client4.getOptions({ method: req.method, ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}) }) as RequestInit
        res = await fetch(req.url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) })
      } catch (err) {
        deps.metrics.calls.inc({ route: req.route, outcome: 'error' })
        const message = toError(err).name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : errorMessage(err)
        if (req.idempotent !== false && attempts < opts.maxAttempts) {
          await sleep(backoff(attempts))
          continue
        }
        throw new MattermostError(0, req.route, 'network', message)
      }
      deps.metrics.calls.inc({ route: req.route, outcome: `${Math.floor(res.status / 100)}xx` })
      await observe(res, ticket)
      // Mattermost answers JSON with exactly `application/json`; parse anything JSON-ish.
      const body = parseJsonBody(await res.text(), res.headers.get('content-type'))
      if (res.ok || req.accept?.includes(res.status)) return { status: res.status, body: body as T }

      if (res.status === 429) {
        deps.metrics.throttled.inc({ route: req.route })
        throttled += 1
        if (throttled < opts.maxThrottledAttempts) {
          // Retry-After and X-Ratelimit-Reset are seconds (docs/mattermost.md#rate-limiting).
          const after = header(res, 'retry-after') ?? header(res, 'x-ratelimit-reset')
          const waitMs = after !== undefined ? after * 1000 + Math.random() * 100 : backoff(throttled)
          if (waitMs > opts.maxWaitMs) throw new MattermostBusyError(req.route, waitMs, `429, asked to wait ${Math.ceil(waitMs / 1000)} s`)
          deps.log.debug({ route: req.route, waitMs }, 'mattermost 429: waiting')
          await sleep(waitMs)
          attempts -= 1 // a 429 was not applied: it does not use up an error attempt
          continue
        }
      }
      const err = (typeof body === 'object' && body !== null ? body : {}) as { id?: string; message?: string }
      if (res.status === 401) throw new MattermostAuthError(err.message ?? 'unauthorized')
      // 503 means not applied; other 5xx may have been applied, so only idempotent calls retry.
      const retryable = res.status === 503 || (res.status >= 500 && req.idempotent !== false)
      if (retryable && attempts < opts.maxAttempts) {
        await sleep(backoff(attempts))
        continue
      }
      throw new MattermostError(res.status, req.route, err.id ?? '', err.message ?? (typeof body === 'string' ? body.slice(0, 200) : 'error'))
    }
  }

  return { client4, call }
}
