// Worker killed mid-sweep: how long after a SIGKILL everyone is where the calendar says. 800
// people are all in a meeting; the only worker is killed once the first sweep has written a few
// dozen Do Not Disturbs, and a new worker starts at once. The dead worker released nothing: its
// shard jobs stall until BullMQ hands them out again, its user leases expire (30 s), and the next
// sweep (every 10 s here) covers everyone anyway. test/e2e/worker-killed.test.ts checks that they
// converge, with no second message and no DND over DND; this measures how soon.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { startSimulators, type Simulators } from '../sim/index'
import { REALISTIC_LATENCY } from '../sim/graph/server'
import { freePort, startPrivateRedis } from '../sim/private-redis'
import { childProcesses, figure, outputTail, runStandalone, waitFor, type BenchResult } from './_shared'

const ROOT = path.resolve(__dirname, '..', '..')
const PEOPLE = 800
const RUNS = Number(process.env['WORKER_KILLED_RUNS'] ?? 3)
const S = 1000
const children = childProcesses()

function startProcess(entry: 'web.js' | 'worker.js', env: Record<string, string>) {
  const child = children.track(spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main', entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }))
  return { child, output: outputTail(child), stop: () => children.stop(child, () => child.kill('SIGTERM'), 15_000) }
}

/** One run: seconds from the kill until everyone is in Do Not Disturb, and the DND writes made before it. */
async function runOnce(): Promise<{ seconds: number; writtenBeforeKill: number }> {
  const redis = await startPrivateRedis()
  let sims: Simulators | null = null
  const processes: Array<ReturnType<typeof startProcess>> = []
  try {
    sims = await startSimulators({ graph: { latency: REALISTIC_LATENCY } })
    const now = Date.now()
    const ids: string[] = []
    for (let i = 0; i < PEOPLE; i++) {
      const p = sims.addPerson({ username: `user${i}`, email: `user${i}@contoso.example` })
      sims.mattermost.driver.presence(p.mmUserId, 'active')
      sims.graph.driver.addEvent(p.graphUserId, { start: now - 5 * 60 * S, end: now + 20 * 60 * S, showAs: 'busy', subject: 'All-hands' })
      ids.push(p.mmUserId)
    }
    const port = await freePort()
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...sims.env,
      REDIS_URL: redis.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      QUEUE_PREFIX: '{killed}',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '10',
      MM_MAX_REQUESTS_PER_SECOND: '300'
    }
    processes.push(startProcess('web.js', env))
    const first = startProcess('worker.js', env)
    processes.push(first)
    const mm = sims.mattermost
    const bot = `api:${mm.botUserId}`
    const dndWrites = (): number => mm.history.statuses.filter((c) => c.who === bot && c.to === 'dnd').length
    await waitFor('the first sweep to start writing', 120 * S, async () => (dndWrites() >= 40 ? true : undefined))
    const writtenBeforeKill = dndWrites()
    const killedAt = Date.now()
    first.child.kill('SIGKILL')
    processes.push(startProcess('worker.js', env))
    const convergedAt = await waitFor('every user in DND', 300 * S, async () =>
      ids.every((id) => mm.driver.status(id).status === 'dnd') ? Date.now() : undefined
    )
    return { seconds: (convergedAt - killedAt) / 1000, writtenBeforeKill }
  } catch (err) {
    for (const p of processes) process.stderr.write(p.output())
    throw err
  } finally {
    await Promise.all(processes.map((p) => p.stop()))
    await sims?.stop()
    await redis.stop()
  }
}

export async function run(): Promise<BenchResult> {
  const samples: number[] = []
  const written: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const r = await runOnce()
    samples.push(r.seconds)
    written.push(r.writtenBeforeKill)
  }
  return {
    name: 'Worker killed mid-sweep',
    figures: { [`every one of ${PEOPLE} people in DND after the SIGKILL`]: figure(samples, 's') },
    notes: [
      `${RUNS} runs; the worker was killed after ${written.join(', ')} of ${PEOPLE} DND writes; a new worker started at once; sweeps every 10 s; Mattermost ceiling 300/s; Graph simulator with realistic latency.`,
      'Target: everyone converges within a minute of the kill.'
    ]
  }
}

if (require.main === module) runStandalone(run)
