import { Redis } from 'ioredis'
import { createServer } from 'node:net'
import { startSimulators, type Simulators, type StartSimulatorsOptions } from '../../sim/index'
import type { AppendFsync } from '../../sim/private-redis'
import { usePrivateRedis, type PrivateRedis } from './redis-server'
import { assertBuilt, baseEnv, loggedUrl, procfileCommands, startCommand, waitFor, type RunningProcess } from './processes'

// End-to-end harness: a private Redis, the three simulators in this process, and the real
// `web` and `worker` processes started from the Procfile with an environment that points them
// at the simulators (exactly what an operator does, only the endpoints differ).

export interface RunningService {
  sims: Simulators
  redis: PrivateRedis
  web: RunningProcess
  workers: RunningProcess[]
  webUrl: string
  /** The REDIS_URL the processes use (with the password, when one was asked for). */
  redisUrl: string
  env: Record<string, string>
  prefix: string
  /** Start one more worker process with the same environment. */
  addWorker(): Promise<RunningProcess>
  /** Everything the processes printed (for failure messages). */
  output(): string
}

export interface ServiceOptions {
  workers?: number
  env?: Record<string, string>
  sims?: StartSimulatorsOptions
  /** Persist the private Redis with AOF and this fsync policy (restart tests). */
  appendfsync?: AppendFsync
  /** Redis asks for this password (requirepass), and REDIS_URL carries it. */
  redisPassword?: string
  /**
   * The web knows its own PUBLIC_URL from the start, as in production (buttons in messages call
   * it back): its port is picked here, at the small risk that another process takes it first.
   */
  webKnowsPublicUrl?: boolean
  /** Seed people before the processes start (the directory run at start enrols them). */
  before?: (sims: Simulators) => void | Promise<void>
}

export async function startService(t: { teardown(fn: () => unknown): void }, opts: ServiceOptions = {}): Promise<RunningService> {
  assertBuilt()
  const redis = await usePrivateRedis(t, opts.appendfsync ? { appendfsync: opts.appendfsync } : {})
  let redisUrl = redis.url
  if (opts.redisPassword) {
    const admin = new Redis(redis.url)
    await admin.config('SET', 'requirepass', opts.redisPassword)
    admin.disconnect()
    redisUrl = redis.url.replace('redis://', `redis://default:${encodeURIComponent(opts.redisPassword)}@`)
  }
  const sims = await startSimulators({ ...opts.sims, mattermost: { dndExpiryPeriodMs: 60_000, ...opts.sims?.mattermost } })
  t.teardown(() => sims.stop())
  await opts.before?.(sims)
  const prefix = '{e2e}'
  const env = baseEnv({
    ...sims.env,
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_SECONDS: '5',
    ...opts.env
  })
  const cmd = procfileCommands()
  // The web listens on a port of its own choosing (PORT=0) and says which in its "web listening"
  // line (info, hence its level): a port picked here and handed over could be taken in between.
  const port = opts.webKnowsPublicUrl ? await freePort() : 0
  if (port !== 0) env['PUBLIC_URL'] = opts.env?.['PUBLIC_URL'] ?? `http://127.0.0.1:${port}`
  const web = startCommand(cmd['web'] as string, { ...env, PORT: String(port), LOG_LEVEL: opts.env?.['LOG_LEVEL'] ?? 'info' })
  t.teardown(() => web.end())
  const webUrl = (await loggedUrl(web, 'web listening', 30_000)).replace('://0.0.0.0:', '://127.0.0.1:')
  // Graph's notifications go to the web: the workers make subscriptions with this URL.
  env['PUBLIC_URL'] = opts.env?.['PUBLIC_URL'] ?? webUrl
  // Redis reachable; the job schedulers come with the first worker (until then /readyz says so).
  await waitFor('web connected to Redis', 20_000, async () => {
    try {
      const res = await fetch(`${webUrl}/readyz`)
      const body = (await res.json()) as { reason?: string }
      return res.ok || body.reason === 'schedulers missing' || undefined
    } catch {
      return undefined
    }
  })
  const workers: RunningProcess[] = []
  const addWorker = async (): Promise<RunningProcess> => {
    const w = startCommand(cmd['worker'] as string, env)
    t.teardown(() => w.end())
    workers.push(w)
    return w
  }
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker()
  return {
    sims,
    redis,
    web,
    workers,
    webUrl,
    redisUrl,
    env,
    prefix,
    addWorker,
    output: () => [`--- web ---`, web.output(), ...workers.map((w, i) => `--- worker ${i} ---\n${w.output()}`)].join('\n')
  }
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
