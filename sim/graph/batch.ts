import type { Stats } from './counters'
import { badRequest, graphError, withInnerError, type ApiResponse } from './graph-error'
import { guid } from './ids'
import type { ApiContext, ApiRequest } from './api'

// POST /$batch (docs/graph.md#json-batching): at most 20 requests, ids unique case-insensitively,
// URLs relative to the version, headers required with a body; at most 4 inner requests of one
// batch run at once; answers in any order (shuffled here), each with its own status.

export const MAX_BATCH = 20
export const BATCH_CONCURRENCY = 4

export const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8'

interface Item {
  id: string
  method: string
  url: string
  headers?: Record<string, unknown>
  body?: unknown
  dependsOn?: string[]
}

export interface BatchDeps {
  stats: Stats
  random: () => number
  now: () => number
  dispatch: (req: ApiRequest, ctx: ApiContext) => Promise<ApiResponse>
}

function invalid(message = 'Invalid batch payload format.'): ApiResponse {
  return badRequest(message)
}

function parseItems(body: unknown): { ok: true; items: Item[] } | { ok: false; res: ApiResponse } {
  const requests = (body as { requests?: unknown } | null | undefined)?.requests
  if (typeof body !== 'object' || body === null || !Array.isArray(requests)) return { ok: false, res: invalid() }
  if (requests.length === 0) return { ok: false, res: invalid('Invalid batch payload format: no requests.') }
  if (requests.length > MAX_BATCH) return { ok: false, res: invalid(`Limit of ${MAX_BATCH} requests per batch exceeded (got ${requests.length}).`) }
  const items: Item[] = []
  const seen = new Set<string>()
  for (const r of requests) {
    const x = r as Partial<Item> | null
    if (typeof x !== 'object' || x === null || typeof x.id !== 'string' || !x.id || typeof x.method !== 'string' || typeof x.url !== 'string') {
      return { ok: false, res: invalid('Invalid batch payload format: every request needs an id, a method and a url (strings).') }
    }
    const key = x.id.toLowerCase()
    if (seen.has(key)) return { ok: false, res: invalid(`Batch request ids must be unique (case-insensitive): '${x.id}' is repeated.`) }
    seen.add(key)
    if (x.dependsOn !== undefined && (!Array.isArray(x.dependsOn) || !x.dependsOn.every((d) => typeof d === 'string'))) return { ok: false, res: invalid() }
    items.push(x as Item)
  }
  for (const it of items) {
    for (const d of it.dependsOn ?? []) {
      const idx = items.findIndex((o) => o.id.toLowerCase() === d.toLowerCase())
      if (idx < 0 || idx >= items.indexOf(it))
        return { ok: false, res: invalid(`Request '${it.id}' depends on '${d}', which is not an earlier request of the batch.`) }
    }
  }
  return { ok: true, items }
}

function lowerHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h ?? {})) if (typeof v === 'string') out[k.toLowerCase()] = v
  return out
}

export async function handleBatch(outer: ApiRequest, ctx: ApiContext, deps: BatchDeps): Promise<ApiResponse> {
  deps.stats.c.batches += 1
  deps.stats.batchesInFlight += 1
  deps.stats.c.maxBatchesInFlight = Math.max(deps.stats.c.maxBatchesInFlight, deps.stats.batchesInFlight)
  try {
    return await answerBatch(outer, ctx, deps)
  } finally {
    deps.stats.batchesInFlight -= 1
  }
}

async function answerBatch(outer: ApiRequest, ctx: ApiContext, deps: BatchDeps): Promise<ApiResponse> {
  const parsed = parseItems(outer.body)
  if (!parsed.ok) return parsed.res
  const items = parsed.items

  // At most 4 at a time, started in the order given.
  let running = 0
  const queue: Array<() => void> = []
  const acquire = (): Promise<void> =>
    new Promise((resolve) => {
      if (running < BATCH_CONCURRENCY) {
        running += 1
        resolve()
      } else queue.push(() => resolve())
    })
  const release = (): void => {
    const next = queue.shift()
    if (next) next()
    else running -= 1
  }

  const runOne = async (it: Item): Promise<ApiResponse> => {
    deps.stats.c.innerRequests += 1
    if (/^[a-z][a-z0-9+.-]*:/i.test(it.url))
      return badRequest(`Invalid request URL '${it.url}': batch request URLs must be relative to the version ('/users/...').`)
    const first = it.url.replace(/^\/+/, '').split(/[/?]/)[0] ?? ''
    if (/^(v1\.0|beta)$/i.test(first)) return badRequest(`Resource not found for the segment '${first}'.`)
    const headers = lowerHeaders(it.headers)
    if (it.body !== undefined && !headers['content-type']) return badRequest(`Write request id : ${it.id} does not contain Content-Type header or body.`)
    return deps.dispatch({ method: it.method.toUpperCase(), url: it.url, headers, body: it.body, inner: true }, ctx)
  }

  const results = new Map<string, Promise<ApiResponse>>()
  for (const it of items) {
    const deps2 = (it.dependsOn ?? []).map((d) => results.get(d.toLowerCase())!)
    const task = (async (): Promise<ApiResponse> => {
      const before = await Promise.all(deps2)
      if (before.some((r) => r.status < 200 || r.status >= 300))
        return graphError(424, 'FailedDependency', 'The request depends on a request of the batch that failed.')
      await acquire()
      try {
        return await runOne(it)
      } catch (err) {
        return graphError(500, 'InternalServerError', `Simulator error: ${(err as Error).message}`)
      } finally {
        release()
      }
    })()
    results.set(it.id.toLowerCase(), task)
  }

  const responses = await Promise.all(
    items.map(async (it) => {
      const res = withInnerError(await results.get(it.id.toLowerCase())!, guid(), guid(), deps.now())
      const headers: Record<string, string> = { ...res.headers }
      if (res.body !== undefined) headers['Content-Type'] = JSON_CONTENT_TYPE
      return { id: it.id, status: res.status, headers, ...(res.body !== undefined ? { body: res.body } : {}) }
    })
  )
  // Graph answers in completion order, not in request order: clients must match by id.
  for (let i = responses.length - 1; i > 0; i--) {
    const j = Math.floor(deps.random() * (i + 1))
    ;[responses[i], responses[j]] = [responses[j]!, responses[i]!]
  }
  return { status: 200, headers: {}, body: { responses } }
}
