import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { configErrorCheck, loadedConfigCheck } from '../app/admin/config-checks'
import { redisUnreachableCheck } from '../app/admin/redis-checks'
import { createSetupHealth, type SetupCheck } from '../app/admin/setup-health'
import { ConfigError, loadConfig, type Env } from '../config'
import { createGraphAdapter } from '../graph/create-graph-adapter'
import { createMattermostAdapter } from '../mattermost/create-mattermost-adapter'
import { createRedis, pingRedis } from '../store/create-redis'
import { createSubscriptionStore } from '../store/subscription-store'
import { createUserStore } from '../store/user-store'
import { errorMessage } from '../shared/to-error'

// `npm run doctor` (docs/doctor.md): the admin page's setup checks (src/app/admin/setup-health.ts),
// run once from the command line against the environment the processes get. No queues, no
// workers, nothing listening: the webhook line goes out through PUBLIC_URL to the web process.

const REDIS_CONNECT_MS = 3000

export interface DoctorOptions {
  /** getSchedule for this mailbox rather than an enrolled person's */
  mailbox?: string | null
  /** each check's time budget (default: the admin page's) */
  budgetMs?: number
}

/** The checklist, configuration first. Never throws for a problem it checks for: that is a line. */
export async function runDoctor(env: Env, log: Logger, opts: DoctorOptions = {}): Promise<SetupCheck[]> {
  let loaded
  try {
    loaded = loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return [configErrorCheck(err)]
    throw err
  }
  const configLine = loadedConfigCheck(loaded)
  const { config } = loaded
  const redis = createRedis(config.redisUrl, 'command', log)
  // The connection's own error ("WRONGPASS ...", "connect ECONNREFUSED ...") says more than a timeout.
  let lastError = ''
  redis.on('error', (err: Error) => (lastError = err.message))
  try {
    try {
      await pingRedis(redis, REDIS_CONNECT_MS)
    } catch (err) {
      return [configLine, redisUnreachableCheck(config.redisUrl, lastError || errorMessage(err))]
    }
    const registry = new Registry()
    const prefix = config.queuePrefix
    // One attempt per call: the doctor reports what it sees now; the processes do the retrying.
    const graph = config.microsoft ? createGraphAdapter(config.microsoft, { log, registry, publicUrl: config.publicUrl }, { maxItemAttempts: 1 }) : null
    const mattermost = config.mattermost ? createMattermostAdapter(config.mattermost, { log, registry, redis, keyPrefix: prefix }, { maxAttempts: 1 }) : null
    const health = createSetupHealth(
      {
        config,
        graph,
        mattermost,
        users: createUserStore(redis, prefix),
        subscriptions: createSubscriptionStore(redis, prefix),
        redis,
        mailbox: opts.mailbox ?? null
      },
      opts.budgetMs === undefined ? {} : { budgetMs: opts.budgetMs }
    )
    return [configLine, ...(await health.check())]
  } finally {
    redis.disconnect()
  }
}
