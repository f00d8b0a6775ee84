import type { Logger } from 'pino'
import { createUseCases } from '../app/create-use-cases'
import type { Config } from '../config'
import type { MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import { MattermostAuthError } from '../mattermost/errors'
import { createMetrics } from '../observability/create-metrics'
import { serveMetrics } from '../observability/serve-metrics'
import { createActivitySampler } from '../observability/activity-sampler'
import { createProcessors } from '../queue/create-processors'
import { closeQueues, createQueues } from '../queue/create-queues'
import { missingSchedules, upsertSchedules, watchSchedules } from '../queue/schedules'
import { registerSweepAgeMetric } from '../observability/sweep-age-metric'
import { startWorkers } from '../queue/start-workers'
import { createRedis, pingRedis } from '../store/create-redis'
import { createServices } from './create-services'
import { within } from './startup'

export interface RunningWorker {
  metricsUrl: string | null
  stop(): Promise<void>
}

/**
 * Composition root of the worker process: connections, the services object, the use cases and
 * one processor per job; it upserts the cluster-wide schedules. Microsoft 365 and Mattermost
 * must be configured (start-up stops earlier with a configuration error otherwise).
 */
export async function startWorker(config: Config, log: Logger): Promise<RunningWorker> {
  const connection = createRedis(config.redisUrl, 'worker', log)
  const producer = createRedis(config.redisUrl, 'producer', log)
  const state = createRedis(config.redisUrl, 'command', log)
  const queues = createQueues(producer, config.queuePrefix, log)
  const metrics = createMetrics('worker')
  const services = createServices(config, log, metrics.registry, { state, queues })
  const { graph, mattermost } = services
  if (!config.microsoft || !graph || !mattermost) throw new Error('the worker needs Microsoft 365 (MS_*) and Mattermost (MM_*) configured')
  await checkMattermost(mattermost, log)
  const processors = createProcessors(createUseCases({ ...services, graph, mattermost }))
  await upsertSchedules(queues, config)
  // Redis may lose them later (docs/architecture.md#schedulers): checked periodically and on reconnect.
  const schedules = watchSchedules({ queues, config, log, connection: producer })
  registerSweepAgeMetric(metrics.registry, async () => (await services.sweeps.lastCompleted())?.finishedAt ?? null)
  /** Readiness: Redis answers and holds the job schedulers; null when ready. */
  const notReady = async (): Promise<string | null> => {
    try {
      await pingRedis(producer, 1000)
      return (await within(1000, 'reading the job schedulers', missingSchedules(queues))).length > 0 ? 'schedulers missing' : null
    } catch {
      return 'redis unavailable'
    }
  }
  // A sweep shard is mostly one Graph $batch waiting on Graph: shards in flight per process
  // follow GRAPH_MAX_CONCURRENT_BATCHES, so a sweep uses the Graph concurrency the operator set
  // (fewer made a 10,000-user sweep wait on too few batches: bench/RESULTS.md, "Full sweep").
  const concurrency = { sweep: config.microsoft.maxConcurrentBatches }
  const set = startWorkers({ connection, prefix: config.queuePrefix, processors, log, metrics, concurrency })
  log.info({ queues: set.workers.map((w) => w.name) }, 'workers started')
  // The admin page's last 24 hours: this process's share, every 10 s.
  const activity = createActivitySampler({ registry: metrics.registry, activity: services.activity, log })
  activity.start()

  const metricsServer =
    config.workerMetricsPort === null
      ? null
      : await serveMetrics({ registry: metrics.registry, port: config.workerMetricsPort, host: config.host, log, processName: 'worker', readiness: notReady })

  return {
    metricsUrl: metricsServer?.url ?? null,
    async stop() {
      schedules.stop()
      const { forced, cutOff } = await set.close(config.shutdownTimeoutSeconds * 1000)
      if (forced) log.warn({ timeoutSeconds: config.shutdownTimeoutSeconds, jobs: cutOff }, 'active jobs did not finish in time; BullMQ will retry them')
      await metricsServer?.close()
      // After the jobs: what they counted last goes into the last sample.
      await activity.stop()
      await closeQueues(queues)
      connection.disconnect()
      producer.disconnect()
      state.disconnect()
    }
  }
}

/**
 * Start-up check of the bot token (GET /users/me). A refused token is a configuration error:
 * stop with one clear line. An unreachable Mattermost is not: keep running, jobs retry.
 */
async function checkMattermost(mm: MattermostAdapter, log: Logger): Promise<void> {
  try {
    const me = await mm.me()
    if (!me.isBot) log.warn({ username: me.username }, 'MM_BOT_TOKEN belongs to a person, not a bot account')
    log.info({ bot: me.username, roles: me.roles }, 'Mattermost bot token accepted')
  } catch (err) {
    if (err instanceof MattermostAuthError) throw err
    log.warn({ err }, 'Mattermost is not reachable yet; jobs will retry')
  }
}
