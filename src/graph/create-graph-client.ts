import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  ResponseType,
  RetryHandler,
  RetryHandlerOptions,
  type Context,
  type Middleware
} from '@microsoft/microsoft-graph-client'
import type { Logger } from 'pino'
import type { MicrosoftConfig } from '../config'
import { GraphAuthError, GraphRequestError } from './errors'
import type { GraphMetrics } from './graph-metrics'
import type { TokenProvider } from './create-token-provider'
import { parseJsonBody } from '../shared/parse-json-body'

export interface GraphResponse<T = unknown> {
  status: number
  headers: Record<string, string>
  body: T
}

/** One request inside a JSON batch; `url` is relative to the version (docs/graph.md#json-batching). */
export interface BatchRequest {
  id: string
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  url: string
  body?: unknown
  headers?: Record<string, string>
}

export interface BatchItemResponse {
  id: string
  status: number
  headers: Record<string, string>
  body: unknown
}

export interface GraphClientOptions {
  /** Per attempt; a slow Graph must not hold a job for ever. */
  timeoutMs: number
  /** Whole-request retries on 429/503/504 (graph-client's RetryHandler honours Retry-After). */
  maxRetries: number
  acceptLanguage?: string
}

export interface GraphClient {
  request<T = unknown>(method: BatchRequest['method'], path: string, opts: RequestOptions): Promise<GraphResponse<T>>
  /** POST /$batch; resolves with the items keyed by id (never by position: order is not kept). */
  batch(requests: BatchRequest[], kind: string): Promise<Map<string, BatchItemResponse>>
}

export interface RequestOptions {
  kind: string
  body?: unknown
  headers?: Record<string, string>
  /**
   * Answer a 429/503/504 at once instead of retrying it here: the caller paces many such
   * requests and must hear of a throttle at the first one (subscription creation).
   */
  noRetry?: boolean
}

export const MAX_BATCH_REQUESTS = 20

/**
 * The longest Retry-After a run sleeps through in the process; a longer one stops the run with
 * GraphBusyError, and the job is delayed in the queue for that long (docs/graph.md#throttling).
 */
export const MAX_IN_PROCESS_WAIT_MS = 120_000

/** Retry-After in seconds from a header map (any casing); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after')
  if (!key) return undefined
  const raw = (headers[key] ?? '').trim()
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

function statusClass(status: number): string {
  return status === 0 ? 'error' : `${Math.floor(status / 100)}xx`
}

/**
 * Sits after graph-client's RetryHandler, so it sees every attempt: sets an explicit
 * Accept-Language (Node's fetch sends `*`, which some Graph endpoints reject: docs/graph.md),
 * gives each attempt its own timeout, and counts attempts, 429s and the delays asked for.
 */
class AttemptHandler implements Middleware {
  private next: Middleware | undefined
  constructor(
    private readonly opts: GraphClientOptions,
    private readonly metrics: GraphMetrics,
    private readonly health: (up: boolean) => void
  ) {}
  setNext(next: Middleware): void {
    this.next = next
  }
  async execute(context: Context): Promise<void> {
    const options = (context.options ??= {})
    const headers = new Headers(options.headers)
    headers.set('Accept-Language', this.opts.acceptLanguage ?? 'en-US')
    options.headers = Object.fromEntries(headers.entries())
    options.signal = AbortSignal.timeout(this.opts.timeoutMs)
    const kind = (options as { calstatusKind?: string }).calstatusKind ?? 'other'
    try {
      await this.next?.execute(context)
    } catch (err) {
      this.metrics.requests.inc({ kind, outcome: 'error' })
      this.health(false)
      throw err
    }
    const status = context.response?.status ?? 0
    this.metrics.requests.inc({ kind, outcome: statusClass(status) })
    // Any answer but a 5xx (a 429 too) means Graph is there.
    this.health(status > 0 && status < 500)
    if (status === 429) this.metrics.throttled.inc({ kind })
    if ([429, 503, 504].includes(status)) {
      const after = retryAfterSeconds(Object.fromEntries(context.response?.headers.entries() ?? []))
      if (after !== undefined) this.metrics.retryDelay.observe({ kind }, after)
    }
  }
}

export function createGraphClient(
  config: MicrosoftConfig,
  deps: {
    tokens: TokenProvider
    metrics: GraphMetrics
    log: Logger
    /** Told after every attempt whether Graph answered (anything but a 5xx) or not (src/app/outage-watch.ts). */
    health?: (up: boolean) => void
  },
  opts: GraphClientOptions
): GraphClient {
  // graph-client turns an error of the token provider into a GraphError that keeps only its name
  // and message; the sign-in error itself is kept here so that callers see it (they stop at it).
  let signInFailure: GraphAuthError | null = null
  const auth = new AuthenticationHandler({
    getAccessToken: async () => {
      try {
        return await deps.tokens.getToken()
      } catch (err) {
        if (err instanceof GraphAuthError) signInFailure = err
        throw err
      }
    }
  })
  // The handler caps its sleep at 180 s and would retry before a longer Retry-After; a wait
  // over 2 minutes is not slept at all: the error reaches run-batches, which delays the job.
  const withinWait = (_delay: number, _attempt: number, _req: unknown, _opts: unknown, res: Response): boolean =>
    (retryAfterSeconds(Object.fromEntries(res.headers.entries())) ?? 0) * 1000 <= MAX_IN_PROCESS_WAIT_MS
  const retry = new RetryHandler(new RetryHandlerOptions(3, opts.maxRetries, withinWait))
  const health = deps.health
  const attempt = new AttemptHandler(opts, deps.metrics, (up) => {
    try {
      health?.(up)
    } catch (err) {
      deps.log.warn({ err }, 'Graph health hook failed')
    }
  })
  const http = new HTTPMessageHandler()
  auth.setNext(retry)
  retry.setNext(attempt)
  attempt.setNext(http)
  const client = Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${config.graphUrl}/`,
    defaultVersion: 'v1.0',
    // The bearer token only goes to Graph's own hosts or these (docs/graph.md); hostname, no port.
    customHosts: new Set([new URL(config.graphUrl).hostname])
  })

  const send = async <T>(
    method: BatchRequest['method'],
    path: string,
    kind: string,
    body: unknown,
    headers: Record<string, string>,
    noRetry: boolean
  ): Promise<GraphResponse<T>> => {
    let request = client.api(path).responseType(ResponseType.RAW).options({ calstatusKind: kind })
    if (noRetry) request = request.middlewareOptions([new RetryHandlerOptions(0, 0)])
    for (const [k, v] of Object.entries(headers)) request = request.header(k, v)
    let response: Response
    try {
      response = (await (method === 'GET'
        ? request.get()
        : method === 'POST'
          ? request.post(body ?? {})
          : method === 'PATCH'
            ? request.patch(body ?? {})
            : request.delete())) as Response
    } catch (err) {
      if (err instanceof GraphAuthError) throw err
      const e = err as { name?: string; message?: string; code?: string }
      if (e.code === 'GraphAuthError' && signInFailure) throw signInFailure
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /aborted|timeout/i.test(e.message ?? '')
      throw new GraphRequestError(0, timedOut ? 'timeout' : 'network', timedOut ? `no answer within ${opts.timeoutMs} ms` : (e.message ?? 'request failed'))
    }
    const parsed = parseJsonBody(await response.text(), response.headers.get('content-type'))
    return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed as T }
  }

  const request = async <T>(method: BatchRequest['method'], path: string, o: RequestOptions): Promise<GraphResponse<T>> => {
    const sentAt = Date.now()
    const first = await send<T>(method, path, o.kind, o.body, o.headers ?? {}, o.noRetry ?? false)
    if (first.status !== 401) return first
    // An expired or revoked token: get a fresh one once, then give up (docs/graph.md#errors-worth-a-specific-reaction).
    // Concurrent requests that were refused the same token share one refresh.
    await deps.tokens.getToken({ forceRefresh: true, unlessRefreshedSince: sentAt })
    return send<T>(method, path, o.kind, o.body, o.headers ?? {}, o.noRetry ?? false)
  }

  return {
    request,
    async batch(requests, kind) {
      if (requests.length === 0) return new Map()
      if (requests.length > MAX_BATCH_REQUESTS) throw new Error(`a $batch takes at most ${MAX_BATCH_REQUESTS} requests, got ${requests.length}`)
      const payload = {
        requests: requests.map((r) => ({
          id: r.id,
          method: r.method,
          url: r.url,
          // `headers` is required whenever there is a body (docs/graph.md).
          ...(r.body !== undefined ? { body: r.body, headers: { 'Content-Type': 'application/json', ...r.headers } } : r.headers ? { headers: r.headers } : {})
        }))
      }
      const res = await request<{ responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> }>('POST', '/$batch', {
        kind: 'batch',
        body: payload
      })
      if (res.status !== 200) {
        const err = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error
        throw new GraphRequestError(res.status, err?.code ?? 'batch-failed', err?.message ?? `$batch answered ${res.status}`, retryAfterSeconds(res.headers))
      }
      const byId = new Map<string, BatchItemResponse>()
      for (const item of res.body.responses ?? []) {
        byId.set(item.id, { id: item.id, status: item.status, headers: item.headers ?? {}, body: item.body })
        deps.metrics.requests.inc({ kind, outcome: statusClass(item.status) })
        if (item.status === 429) deps.metrics.throttled.inc({ kind })
      }
      // An item Graph did not answer is a failure of that item, never silently dropped.
      for (const r of requests) {
        if (!byId.has(r.id))
          byId.set(r.id, { id: r.id, status: 0, headers: {}, body: { error: { code: 'missing', message: 'no response for this id in the batch' } } })
      }
      return byId
    }
  }
}
