// Shared harness of the Graph benchmarks (bench/graph-schedules.ts, bench/anchor-baseline.ts):
// the three simulators in this process with REALISTIC_LATENCY (a full batch of 20 getSchedules
// x 20 addresses takes about 1.2 s), a tenant of N people with a realistic spread of meetings,
// and a client child process (bench/_graph-bench-client.ts) that trusts the simulators' CA the
// way the service does (NODE_EXTRA_CA_CERTS at start) and runs the Graph calls.
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { startSimulators, type Simulators } from '../sim/index'
import { REALISTIC_LATENCY } from '../sim/graph/server'
export { figure, type Figure } from './_shared'
import type { BaselineAnswer, ClientCommand, OursAnswer } from './_graph-bench-client'

const HOUR = 3600_000
/** The sync pipeline's window (src/queue/processors/sync-pipeline.ts): a minute back, 25 hours ahead. */
export const WINDOW_BEFORE_MS = 60_000
export const WINDOW_AFTER_MS = 25 * HOUR

export interface Person {
  id: string
  email: string
}

/** What the simulators counted during one client run. */
export interface SimCounts {
  /** outer HTTP requests to Graph (every route) */
  http: number
  /** requests inside $batch */
  inner: number
  tokenRequests: number
  throttled: number
  earlyRetries: number
}

export interface GraphBench {
  sims: Simulators
  people: Person[]
  window(): { startMs: number; endMs: number }
  /** maxConcurrentBatches: override GRAPH_MAX_CONCURRENT_BATCHES for this run */
  ours(emails: string[], maxConcurrentBatches?: number): Promise<OursAnswer & { counts: SimCounts }>
  baseline(refs: string[], opts: { budgetMs: number; checkAfterUsers: number }): Promise<BaselineAnswer & { counts: SimCounts }>
  stop(): Promise<void>
}

/**
 * A working day per person: 0 to 6 meetings in the next 25 hours (one in a hundred has a packed
 * day of 12, more than one calendarView page), plus one from two days ago that every query
 * must leave out. Some are tentative, private or cancelled.
 */
function seed(sims: Simulators, n: number, now: number): Person[] {
  const people: Person[] = []
  const d = sims.graph.driver
  const shows = ['busy', 'busy', 'tentative', 'busy', 'oof', 'workingElsewhere'] as const
  for (let i = 0; i < n; i++) {
    const email = `person${i}@contoso.example`
    const u = d.addUser({ mail: email, userPrincipalName: email, displayName: `Person ${i}` })
    people.push({ id: u.id, email })
    d.addEvent(u.id, { start: now - 48 * HOUR, end: now - 47 * HOUR, subject: 'old' })
    const count = i % 100 === 99 ? 12 : i % 7
    for (let k = 0; k < count; k++) {
      const start = now + (i % 4) * 15 * 60_000 + k * 1.5 * HOUR
      d.addEvent(u.id, {
        start,
        end: start + (k % 2 ? 60 : 30) * 60_000,
        showAs: shows[(i + k) % shows.length],
        subject: `meeting ${k} of ${email}`,
        isPrivate: (i + k) % 11 === 0,
        isCancelled: (i + k) % 29 === 0
      })
    }
  }
  return people
}

export async function startGraphBench(users: number): Promise<GraphBench> {
  const sims = await startSimulators({ graph: { latency: REALISTIC_LATENCY } })
  let child: ChildProcess | undefined
  try {
    const people = seed(sims, users, Date.now())
    child = fork(path.join(__dirname, '_graph-bench-client.js'), [], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        ...(process.env['GRAPH_MAX_CONCURRENT_BATCHES'] ? { GRAPH_MAX_CONCURRENT_BATCHES: process.env['GRAPH_MAX_CONCURRENT_BATCHES'] } : {}),
        ...sims.env
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const c = child
    const exitKill = (): void => {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }
    process.once('exit', exitKill)

    const nextMessage = <T>(timeoutMs: number): Promise<T> =>
      new Promise((resolve, reject) => {
        const onMessage = (m: unknown): void => {
          cleanup()
          const a = m as { ok: boolean; error?: string }
          if (a.ok) resolve(m as T)
          else reject(new Error(`bench client: ${a.error}`))
        }
        const onExit = (code: number | null): void => {
          cleanup()
          reject(new Error(`bench client exited (${code})`))
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`bench client did not answer within ${timeoutMs} ms`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          c.off('message', onMessage)
          c.off('exit', onExit)
        }
        c.on('message', onMessage)
        c.once('exit', onExit)
      })
    await nextMessage(20_000)

    const counted = async <T>(cmd: ClientCommand, timeoutMs: number): Promise<T & { counts: SimCounts }> => {
      sims.graph.resetCounters()
      sims.identity.resetCounters()
      const answer = nextMessage<T>(timeoutMs)
      c.send(cmd)
      const a = await answer
      const g = sims.graph.counters()
      const counts: SimCounts = {
        http: Object.values(g.requestsByRoute).reduce((x, y) => x + y, 0),
        inner: g.innerRequests,
        tokenRequests: sims.identity.counters().tokenRequests.total,
        throttled: g.throttled,
        earlyRetries: g.earlyRetries
      }
      return { ...a, counts }
    }
    const window = () => {
      const now = Date.now()
      return { startMs: now - WINDOW_BEFORE_MS, endMs: now + WINDOW_AFTER_MS }
    }

    return {
      sims,
      people,
      window,
      ours: (emails, maxConcurrentBatches) =>
        counted<OursAnswer>({ op: 'ours', emails, ...window(), ...(maxConcurrentBatches ? { maxConcurrentBatches } : {}) }, 120_000),
      baseline: (refs, opts) => counted<BaselineAnswer>({ op: 'baseline', refs, ...window(), ...opts }, opts.budgetMs * 2 + 60_000),
      async stop() {
        process.off('exit', exitKill)
        if (c.exitCode === null && c.signalCode === null) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => c.kill('SIGKILL'), 5000)
            c.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            if (c.connected) c.send({ op: 'stop' } satisfies ClientCommand)
            else c.kill('SIGTERM')
          })
        }
        await sims.stop()
      }
    }
  } catch (err) {
    child?.kill('SIGKILL')
    await sims.stop()
    throw err
  }
}
