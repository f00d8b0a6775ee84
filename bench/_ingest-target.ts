// Child process of bench/notification-ingest.ts (the leading "_" keeps the bench runner from
// running it as a benchmark): one HTTP target per process, so autocannon's own CPU is not on
// the target's event loop. Started with fork(); reports `{ url, metricsUrl }` over IPC once listening and
// stops on the message 'stop' (or when the parent goes away).
//   argv[2] = 'calstatus': the real web process (startWeb: real queues, real notification
//             intake, Redis from REDIS_URL, logging at LOG_LEVEL to stdout), as `web:` runs it.
//   argv[2] = 'bare':      a bare Fastify app, one POST route that answers 202 (JSON parsed by
//             Fastify's default parser, the items counted for GET /count), no logger.
import Fastify from 'fastify'
import { loadConfig } from '../src/config'
import { createLogger } from '../src/observability/create-logger'
import { startWeb } from '../src/main/start-web'

async function start(mode: string): Promise<{ url: string; metricsUrl: string | null; stop(): Promise<void> }> {
  if (mode === 'calstatus') {
    const { config } = loadConfig(process.env)
    const log = createLogger({ level: config.logLevel, name: 'web' })
    return startWeb(config, log)
  }
  if (mode === 'bare') {
    const app = Fastify()
    let items = 0
    app.post('/graph/notifications', async (request, reply) => {
      const value = (request.body as { value?: unknown } | null)?.value
      if (Array.isArray(value)) items += value.length
      return reply.code(202).send()
    })
    app.get('/count', async () => ({ items }))
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, metricsUrl: null, stop: () => app.close() }
  }
  throw new Error(`unknown target ${mode}: calstatus or bare`)
}

function send(message: unknown): void {
  if (process.send) process.send(message)
}

start(process.argv[2] ?? '').then(
  (target) => {
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      target.stop().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    }
    process.on('message', (m) => {
      if (m === 'stop') stop()
    })
    process.on('disconnect', stop)
    process.on('SIGTERM', stop)
    send({ url: target.url, metricsUrl: target.metricsUrl })
  },
  (err: unknown) => {
    process.stderr.write(`ingest target failed to start: ${(err as Error).stack ?? String(err)}\n`)
    process.exit(1)
  }
)
