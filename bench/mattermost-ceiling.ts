// The adaptive Mattermost ceiling (src/mattermost/create-rate-ceiling.ts) at the default
// MM_MAX_REQUESTS_PER_SECOND, two independent clients (each its own Redis connection and HTTP
// client, one shared ceiling in a private redis-server) writing statuses to the Mattermost
// simulator in this process:
// - rate limiting on at Mattermost's defaults (10/s, burst 100 per remote address; both clients
//   come from 127.0.0.1, so they share one bucket at the server): a burst of LIMITED_CALLS writes.
//   Figures: requests the server saw, the share answered 429, the time to finish against the
//   ideal (the server lets its burst of 101 through at once, then 10/s).
// - rate limiting off: a burst of OFF_CALLS writes, calls/s achieved (the ceiling spaces slots
//   for 90% of itself), OFF_RUNS times.
// Under 2 minutes on a 2-core machine.
import { Writable } from 'node:stream'
import { rmSync } from 'node:fs'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { startMattermostSim, type MattermostSim } from '../sim/mattermost/server'
import { startPrivateRedis } from '../sim/private-redis'
import { VARIABLES } from '../src/config-variables'
import { createMattermostAdapter, type MattermostAdapter } from '../src/mattermost/create-mattermost-adapter'
import { createLogger } from '../src/observability/create-logger'
import { figure, runStandalone, type BenchResult, type Figure } from './_shared'

const CEILING = Number(VARIABLES.MM_MAX_REQUESTS_PER_SECOND.default)
const CLIENTS = 2
const LIMITED_CALLS = Number(process.env['MM_CEILING_LIMITED_CALLS'] ?? 600)
const OFF_CALLS = Number(process.env['MM_CEILING_OFF_CALLS'] ?? 1000)
const OFF_RUNS = Number(process.env['MM_CEILING_OFF_RUNS'] ?? 3)
const LIMIT = { perSec: 10, maxBurst: 100 }

const silent = createLogger({ level: 'silent', name: 'bench' }, new Writable({ write: (_c, _e, done) => done() }))

interface Setup {
  sim: MattermostSim
  clients: MattermostAdapter[]
  users: string[]
  stop: () => Promise<void>
}

/** A fresh simulator, a fresh private Redis, CLIENTS adapters sharing one ceiling. */
async function setUp(users: number): Promise<Setup> {
  const redis = await startPrivateRedis()
  const sim = await startMattermostSim({ botRoles: 'system_user system_user_manager', dndExpiryPeriodMs: 0, contract: 'off' })
  const connections: Redis[] = []
  const clients = Array.from({ length: CLIENTS }, () => {
    const connection = new Redis(redis.url)
    connections.push(connection)
    return createMattermostAdapter(
      { url: sim.url, botToken: sim.botToken, commandToken: null, adminUsers: [], maxRequestsPerSecond: CEILING },
      { log: silent, registry: new Registry(), redis: connection, keyPrefix: '{bench}' }
    )
  })
  const ids = Array.from({ length: users }, (_, i) => sim.driver.addUser({ username: `person${i}`, email: `person${i}@example.com` }).id)
  return {
    sim,
    clients,
    users: ids,
    stop: async () => {
      for (const c of connections) c.disconnect()
      await sim.stop()
      await redis.stop()
      rmSync(redis.dir, { recursive: true, force: true })
    }
  }
}

/** Every user's status written once, the writes spread over the clients; seconds to the last answer. */
async function burst(s: Setup): Promise<number> {
  const t0 = performance.now()
  await Promise.all(s.users.map((id, i) => (s.clients[i % s.clients.length] as MattermostAdapter).setStatus(id, 'away')))
  return (performance.now() - t0) / 1000
}

async function limited(): Promise<{ seconds: number; requests: number; throttled: number }> {
  const s = await setUp(LIMITED_CALLS)
  try {
    // One call first so that the state exists (as in a running service), then the burst.
    s.sim.driver.setRateLimit(LIMIT)
    await (s.clients[0] as MattermostAdapter).getStatuses([s.users[0] as string])
    // Let the server's bucket fill again: the burst starts from a full one.
    await new Promise((r) => setTimeout(r, 1000 / LIMIT.perSec + 200))
    s.sim.resetCounters()
    const seconds = await burst(s)
    const c = s.sim.counters()
    return { seconds, requests: c.total, throttled: c.throttled }
  } finally {
    await s.stop()
  }
}

async function off(): Promise<{ perSecond: number; throttled: number }> {
  const s = await setUp(OFF_CALLS)
  try {
    await (s.clients[0] as MattermostAdapter).getStatuses([s.users[0] as string])
    s.sim.resetCounters()
    const seconds = await burst(s)
    return { perSecond: OFF_CALLS / seconds, throttled: s.sim.counters().throttled }
  } finally {
    await s.stop()
  }
}

export async function run(): Promise<BenchResult> {
  const lim = await limited()
  const offRuns: Array<{ perSecond: number; throttled: number }> = []
  for (let i = 0; i < OFF_RUNS; i++) offRuns.push(await off())
  const ideal = (LIMITED_CALLS - (LIMIT.maxBurst + 1)) / LIMIT.perSec
  const figures: Record<string, Figure> = {
    [`limiting on: requests the server saw for ${LIMITED_CALLS} writes`]: figure([lim.requests], 'requests'),
    'limiting on: share answered 429': figure([(100 * lim.throttled) / lim.requests], '%'),
    [`limiting on: time to finish ${LIMITED_CALLS} writes`]: figure([lim.seconds], 's'),
    'limiting on: ideal time (burst 101 at once, then 10/s)': figure([ideal], 's'),
    'limiting on: time / ideal': figure([lim.seconds / ideal], 'x'),
    [`limiting off: writes per second at the default ceiling (${CEILING}/s)`]: figure(
      offRuns.map((r) => r.perSecond),
      'calls/s'
    )
  }
  return {
    name: 'Mattermost rate ceiling (adaptive)',
    figures,
    notes: [
      `Default MM_MAX_REQUESTS_PER_SECOND=${CEILING}; ${CLIENTS} independent clients sharing one ceiling through a private redis-server; status writes (PUT /users/{id}/status) to the Mattermost simulator in the same process.`,
      `Limiting on (${LIMIT.perSec}/s, burst ${LIMIT.maxBurst}, per remote address): single run of ${LIMITED_CALLS} writes after one warm-up call; the ideal is (${LIMITED_CALLS} - ${LIMIT.maxBurst + 1}) / ${LIMIT.perSec} s.`,
      `Limiting off: ${OFF_RUNS} runs of ${OFF_CALLS} writes (median, min, max); the ceiling spaces slots for 90% of itself (${CEILING * 0.9}/s); 429s seen: ${offRuns.map((r) => r.throttled).join(', ')}.`
    ]
  }
}

if (require.main === module) runStandalone(run)
