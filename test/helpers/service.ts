import { Redis } from 'ioredis'
import { startSimulators, type Simulators, type StartSimulatorsOptions } from '../../sim/index'
import { freePort, type AppendFsync } from '../../sim/private-redis'
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
  /** `/calstatus <text>` typed by a person (with `slashCommand`): the ephemeral answer, '' if none. */
  calstatus(mmUserId: string, text: string): Promise<string>
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
   * The admin created `/calstatus` (its token in MM_COMMAND_TOKEN, its URL the web's), and the
   * Mattermost simulator may call integrations on localhost. The web then knows its own PUBLIC_URL
   * from the start, as in production (buttons call it back): its port is picked here, at the small
   * risk that another process takes it first.
   */
  slashCommand?: boolean
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
  const localIntegrations = opts.slashCommand ? { config: { allowedUntrustedInternalConnections: ['127.0.0.1'] } } : {}
  const sims = await startSimulators({ ...opts.sims, mattermost: { dndExpiryPeriodMs: 60_000, ...localIntegrations, ...opts.sims?.mattermost } })
  t.teardown(() => sims.stop())
  await opts.before?.(sims)
  // Its URL is the web's, set once the port is known below.
  const command = opts.slashCommand ? sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: 'http://127.0.0.1:9/' }) : null
  const prefix = '{e2e}'
  const env = baseEnv({
    ...sims.env,
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_SECONDS: '5',
    ...(command ? { MM_COMMAND_TOKEN: command.token } : {}),
    ...opts.env
  })
  const cmd = procfileCommands()
  // The web listens on a port of its own choosing (PORT=0) and says which in its "web listening"
  // line (info, hence its level): a port picked here and handed over could be taken in between.
  const port = opts.slashCommand ? await freePort() : 0
  if (port !== 0) env['PUBLIC_URL'] = opts.env?.['PUBLIC_URL'] ?? `http://127.0.0.1:${port}`
  const web = startCommand(cmd['web'] as string, { ...env, PORT: String(port), LOG_LEVEL: opts.env?.['LOG_LEVEL'] ?? 'info' })
  t.teardown(() => web.end())
  const webUrl = (await loggedUrl(web, 'web listening', 30_000)).replace('://0.0.0.0:', '://127.0.0.1:')
  if (command) sims.mattermost.driver.updateCommandUrl(command.id, `${webUrl}/mattermost/command`)
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
    async calstatus(mmUserId, text) {
      if (!command) throw new Error('startService: pass slashCommand: true to type /calstatus')
      const r = await sims.mattermost.driver.executeCommand({ userId: mmUserId, command: `/calstatus ${text}` })
      if (r.reply.status !== 200) throw new Error(`/calstatus ${text}: HTTP ${r.reply.status}`)
      return r.ephemeralText ?? ''
    },
    output: () => [`--- web ---`, web.output(), ...workers.map((w, i) => `--- worker ${i} ---\n${w.output()}`)].join('\n')
  }
}
