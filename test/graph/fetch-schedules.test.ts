import t, { type Test } from 'tap'
import pino from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createGraphAdapter } from '../../src/graph/create-graph-adapter'
import { startSimulators, type StartSimulatorsOptions } from '../../sim/index'

// Many batches in flight at once, each getSchedule under a mailbox this process is not using
// (src/graph/mailbox-gate.ts), against the Graph simulator over HTTPS: it answers 429 to a
// fifth concurrent request on one mailbox, as Outlook does (docs/graph.md#throttling).

const log = pino({ level: 'silent' })
const HOUR = 3600_000

async function setup(t: Test, opts: StartSimulatorsOptions = {}, env: Record<string, string> = {}) {
  const sims = await startSimulators(opts)
  t.teardown(() => sims.stop())
  const { config } = loadConfig({ ...sims.env, ...env })
  const graph = createGraphAdapter(config.microsoft!, { log, registry: new Registry(), publicUrl: null }, { backoffBaseMs: 50 })
  return { sims, graph, config }
}

function addPeople(sims: Awaited<ReturnType<typeof startSimulators>>, n: number): string[] {
  return Array.from({ length: n }, (_, i) => sims.graph.driver.addUser({ mail: `p${i}@contoso.example` }).mail)
}

const windowFrom = (now: number) => ({ startMs: now - 60_000, endMs: now + 25 * HOUR })

t.test('10,000 people at the default settings: all 25 batches in flight at once, no mailbox over its limit', async (t) => {
  // A second per batch: on a loaded machine, sending 25 batches of 400 takes longer than 100 ms,
  // and the first answers would come back before the last batch left (23 in flight, not 25).
  const { sims, graph, config } = await setup(t, { graph: { latency: { perRequestMs: 1000, perScheduleMs: 0 } } })
  t.ok(config.microsoft!.maxConcurrentBatches >= 25, 'the default puts a 10,000-person sweep (25 batches) in flight at once')
  const emails = addPeople(sims, 10_000)
  const { results, stats } = await graph.fetchSchedules(emails, windowFrom(Date.now()))
  t.equal([...results.values()].filter((r) => r.kind === 'schedule').length, 10_000)
  t.equal(stats.httpRequests, 25)
  const c = sims.graph.counters()
  t.equal(c.maxBatchesInFlight, 25, 'one round trip, not waves')
  t.equal(c.throttled, 0)
  t.equal(c.distinctPathMailboxes, 500, 'every getSchedule under a mailbox of its own')
  t.equal(c.maxConcurrentPerMailbox, 1)
})

t.test('the same people asked for by 6 jobs at once: the gate spreads them over the members, Graph throttles nobody', async (t) => {
  const { sims, graph } = await setup(t, { graph: { latency: { perRequestMs: 150, perScheduleMs: 0 } } })
  const emails = addPeople(sims, 20)
  const runs = await Promise.all(Array.from({ length: 6 }, () => graph.fetchSchedules(emails, windowFrom(Date.now()))))
  for (const { results } of runs) t.equal([...results.values()].filter((r) => r.kind === 'schedule').length, 20)
  const c = sims.graph.counters()
  t.equal(c.throttled, 0, "no 429: without the gate, six requests under the chunk's first member would be two over the limit")
  t.ok(c.maxConcurrentPerMailbox <= 2, `at most this process's share per mailbox (${c.maxConcurrentPerMailbox})`)
  t.equal(c.getScheduleCalls, 6)
})

t.test('one person asked for by 3 jobs at once: the third waits for a free turn instead of being throttled', async (t) => {
  const { sims, graph } = await setup(t, { graph: { latency: { perRequestMs: 200, perScheduleMs: 0 } } })
  const [email] = addPeople(sims, 1)
  const started = Date.now()
  const runs = await Promise.all(Array.from({ length: 3 }, () => graph.fetchSchedules([email!], windowFrom(Date.now()))))
  for (const { results } of runs) t.equal(results.get(email!)?.kind, 'schedule')
  const c = sims.graph.counters()
  t.equal(c.throttled, 0)
  t.equal(c.maxConcurrentPerMailbox, 2)
  t.ok(Date.now() - started >= 400, 'the third went after one of the first two')
})
