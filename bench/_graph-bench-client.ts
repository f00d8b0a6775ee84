// The client side of the Graph benchmarks (bench/graph-schedules.ts, bench/anchor-baseline.ts),
// run as a child process started with the simulators' environment (NODE_EXTRA_CA_CERTS
// included, as an operator would trust a CA), so the simulators in the parent and the client
// here do not share one event loop. Commands come over IPC:
//   {op: 'ours', emails, startMs, endMs, maxConcurrentBatches?}  the real createGraphAdapter().fetchSchedules
//   {op: 'baseline', refs, startMs, endMs, budgetMs}  the anchor's access pattern (below)
// and each answers {ok: true, ...figures} or {ok: false, error}.
import { Writable } from 'node:stream'
import pino from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../src/config'
import { createGraphAdapter } from '../src/graph/create-graph-adapter'

export type ClientCommand =
  | { op: 'ours'; emails: string[]; startMs: number; endMs: number; maxConcurrentBatches?: number }
  | { op: 'baseline'; refs: string[]; startMs: number; endMs: number; budgetMs: number; checkAfterUsers: number }
  | { op: 'stop' }

export interface OursAnswer {
  ok: true
  wallMs: number
  httpRequests: number
  retries: number
  scheduled: number
  failed: number
  items: number
  maxConcurrentBatches: number
  /** whole-batch failures by message (each one costs a retry of all its items) */
  batchErrors: Record<string, number>
}

export interface BaselineAnswer {
  ok: true
  wallMs: number
  /** users whose calendars were read (all of them, or fewer when the budget cut the run short) */
  users: number
  httpRequests: number
  innerRequests: number
  pages: number
  events: number
  failedUsers: number
  throttledItems: number
  tokenMs: number
}

const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }))

async function ours(cmd: Extract<ClientCommand, { op: 'ours' }>): Promise<OursAnswer> {
  const { config } = loadConfig(process.env)
  if (!config.microsoft) throw new Error('MS_* is not set in the client environment')
  // A fresh adapter per run: the run pays for its token, as a sweep in a new process would,
  // and shows that concurrent batches share one token request.
  // maxConcurrentBatches: the anchor comparison also runs ours one batch at a time, as the anchor does.
  const microsoft = { ...config.microsoft, maxConcurrentBatches: cmd.maxConcurrentBatches ?? config.microsoft.maxConcurrentBatches }
  const graph = createGraphAdapter(microsoft, { log: silent, registry: new Registry(), publicUrl: null })
  // Whole-batch failures (after the client's own retries) are retried by runBatches; record why.
  const batchErrors: Record<string, number> = {}
  const batch = graph.client.batch.bind(graph.client)
  graph.client.batch = async (requests, kind) => {
    try {
      return await batch(requests, kind)
    } catch (err) {
      const key = err instanceof Error ? err.message : String(err)
      batchErrors[key] = (batchErrors[key] ?? 0) + 1
      throw err
    }
  }
  const t0 = performance.now()
  const { results, stats } = await graph.fetchSchedules(cmd.emails, { startMs: cmd.startMs, endMs: cmd.endMs })
  const wallMs = performance.now() - t0
  let scheduled = 0
  let items = 0
  for (const r of results.values()) {
    if (r.kind === 'schedule') {
      scheduled += 1
      items += r.items.length
    }
  }
  return {
    ok: true,
    wallMs,
    httpRequests: stats.httpRequests,
    retries: stats.retries,
    scheduled,
    failed: results.size - scheduled,
    items,
    maxConcurrentBatches: microsoft.maxConcurrentBatches,
    batchErrors
  }
}

// ---------------------------------------------------------------------------------------------
// The anchor's approach (the Mattermost Microsoft Calendar plugin's availability job): one
// user per request (GET /users/{id}/calendarView for the window), 20 such requests per $batch,
// batches one after another, nextLink pages followed (here: queued into the next batch, made
// relative to the version). Plain fetch with a client-credentials token from the identity
// simulator; a 429 item waits for its Retry-After before it is asked again.

interface Item {
  ref: string
  url: string
  notBefore: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function baseline(cmd: Extract<ClientCommand, { op: 'baseline' }>): Promise<BaselineAnswer> {
  const env = process.env
  const authority = `${env['MS_AUTHORITY_HOST']}/${env['MS_TENANT_ID']}`
  const graphUrl = env['MS_GRAPH_URL'] as string
  const t0 = performance.now()
  const tokenRes = await fetch(`${authority}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: env['MS_CLIENT_ID'] as string,
      client_secret: env['MS_CLIENT_SECRET'] as string,
      scope: `${graphUrl}/.default`
    })
  })
  if (!tokenRes.ok) throw new Error(`token request: ${tokenRes.status} ${await tokenRes.text()}`)
  const token = ((await tokenRes.json()) as { access_token: string }).access_token
  const tokenMs = performance.now() - t0

  const start = new Date(cmd.startMs).toISOString()
  const end = new Date(cmd.endMs).toISOString()
  const view = (ref: string) =>
    `/users/${encodeURIComponent(ref)}/calendarView?startDateTime=${encodeURIComponent(start)}&endDateTime=${encodeURIComponent(end)}`
  const prefix = `${graphUrl}/v1.0`

  let refs = cmd.refs
  let queue: Item[] = []
  let next = 0
  let httpRequests = 0
  let innerRequests = 0
  let pages = 0
  let events = 0
  let throttledItems = 0
  const failed = new Set<string>()
  let checked = false

  while (next < refs.length || queue.length > 0) {
    // After the first `checkAfterUsers` users: would all of them fit in the budget? If not,
    // stop taking new users (the caller extrapolates linearly and says so).
    if (!checked && next >= cmd.checkAfterUsers && queue.length === 0) {
      checked = true
      const elapsed = performance.now() - t0
      if ((elapsed * refs.length) / next > cmd.budgetMs) refs = refs.slice(0, next)
    }
    const now = Date.now()
    const group: Item[] = []
    queue = queue.filter((it) => (group.length < 20 && it.notBefore <= now ? (group.push(it), false) : true))
    while (group.length < 20 && next < refs.length) {
      const ref = refs[next++] as string
      group.push({ ref, url: view(ref), notBefore: 0 })
    }
    if (group.length === 0) {
      await sleep(Math.max(1, Math.min(...queue.map((q) => q.notBefore)) - now))
      continue
    }
    httpRequests += 1
    innerRequests += group.length
    const res = await fetch(`${prefix}/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Accept-Language': 'en' },
      body: JSON.stringify({ requests: group.map((it, i) => ({ id: String(i + 1), method: 'GET', url: it.url })) })
    })
    if (res.status !== 200) throw new Error(`$batch: ${res.status} ${await res.text()}`)
    const body = (await res.json()) as {
      responses: Array<{ id: string; status: number; headers?: Record<string, string>; body?: { value?: unknown[]; '@odata.nextLink'?: string } }>
    }
    for (const r of body.responses) {
      const it = group[Number(r.id) - 1] as Item
      if (r.status === 200) {
        pages += 1
        events += r.body?.value?.length ?? 0
        const link = r.body?.['@odata.nextLink']
        if (link) queue.push({ ref: it.ref, url: link.startsWith(prefix) ? link.slice(prefix.length) : link, notBefore: 0 })
      } else if (r.status === 429 || r.status >= 500) {
        throttledItems += 1
        const after = Number(r.headers?.['Retry-After'] ?? r.headers?.['retry-after'] ?? 2)
        queue.push({ ...it, notBefore: Date.now() + after * 1000 })
      } else failed.add(it.ref)
    }
  }
  return {
    ok: true,
    wallMs: performance.now() - t0,
    users: refs.length,
    httpRequests,
    innerRequests,
    pages,
    events,
    failedUsers: failed.size,
    throttledItems,
    tokenMs
  }
}

if (require.main === module) {
  process.on('message', (m: ClientCommand) => {
    if (m.op === 'stop') process.exit(0)
    const work = m.op === 'ours' ? ours(m) : baseline(m)
    work.then(
      (answer) => process.send?.(answer),
      (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    )
  })
  process.send?.({ ok: true, ready: true })
}
