import { createServer, type Server } from 'node:http'
import type { Logger } from 'pino'
import type { Config } from '../config'
import { createRedis } from '../store/create-redis'
import { createMetrics } from '../observability/create-metrics'
import { startWorkers } from '../queue/start-workers'
import { createDefaultProcessors } from '../queue/default-processors'
import type { Processors } from '../queue/jobs'

export interface RunningWorker {
  metricsUrl: string | null
  stop(): Promise<void>
}

/** Composition root of the worker process. */
export async function startWorker(config: Config, log: Logger, processors: Processors = createDefaultProcessors()): Promise<RunningWorker> {
  const connection = createRedis(config.redisUrl, 'worker', log)
  const metrics = createMetrics('worker')
  const set = startWorkers({ connection, prefix: config.queuePrefix, processors, log, metrics })
  log.info({ queues: set.workers.map((w) => w.name) }, 'workers started')

  let server: Server | null = null
  let metricsUrl: string | null = null
  if (config.workerMetricsPort !== null) {
    server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        metrics.registry.metrics().then(
          (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
          () => res.writeHead(500).end()
        )
      } else if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}')
      }
    })
    const listening = server
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject)
      listening.listen(config.workerMetricsPort ?? 0, config.host, resolve)
    })
    const address = listening.address()
    metricsUrl = typeof address === 'object' && address ? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}/metrics` : null
    log.info({ url: metricsUrl }, 'worker metrics listening')
  }

  return {
    metricsUrl,
    async stop() {
      const { forced } = await set.close(config.shutdownTimeoutSeconds * 1000)
      if (forced) log.warn({ timeoutSeconds: config.shutdownTimeoutSeconds }, 'active jobs did not finish in time; BullMQ will retry them')
      if (server) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server?.close(() => resolve()))
      }
      connection.disconnect()
    }
  }
}
