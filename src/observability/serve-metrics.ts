import { createServer } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

export interface MetricsServer {
  /** `http://host:port/metrics` as a scraper on this machine reaches it. */
  url: string
  close(): Promise<void>
}

/**
 * `GET /metrics` (Prometheus), `GET /healthz` and, given, `GET /readyz` on a port of their own, apart from the public
 * listener: the counters say what the service sees (docs/architecture.md#http-surface), which is
 * for operators, not for whoever can reach the public URL. Used by both processes
 * (`WEB_METRICS_PORT`, `WORKER_METRICS_PORT`).
 */
export async function serveMetrics(opts: {
  registry: Registry
  port: number
  host: string
  log: Logger
  processName: string
  /** `GET /readyz`: null when ready, else the reason (a worker: Redis and the job schedulers). */
  readiness?: () => Promise<string | null>
}): Promise<MetricsServer> {
  const { registry } = opts
  const server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff')
    const path = (req.url ?? '').split('?')[0]
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (err: unknown) => {
          opts.log.error({ err }, 'could not collect metrics')
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"Internal Server Error"}')
        }
      )
    } else if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    } else if (req.method === 'GET' && path === '/readyz' && opts.readiness) {
      void opts
        .readiness()
        .then((reason) =>
          res
            .writeHead(reason ? 503 : 200, { 'content-type': 'application/json' })
            .end(JSON.stringify(reason ? { status: 'unavailable', reason } : { status: 'ready' }))
        )
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not Found"}')
    }
  })
  // A scrape is one short request; nobody may hold a connection open for long.
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : opts.port
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const url = `http://${host}:${port}/metrics`
  opts.log.info({ url }, `${opts.processName} metrics listening`)
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
