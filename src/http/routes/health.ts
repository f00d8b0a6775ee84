import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { errorMessage } from '../../shared/to-error'

export interface HealthDeps {
  /** Resolves when Redis answers, rejects (quickly) otherwise. */
  checkRedis: () => Promise<void>
  registry: Registry
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  // Liveness: the process is up and its event loop answers. Never depends on Redis, so an
  // orchestrator does not restart healthy processes while Redis is away.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  // Readiness: Redis answers. 503 takes the instance out of the load balancer until it does.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    try {
      await deps.checkRedis()
      return { status: 'ready' }
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: `redis: ${errorMessage(err)}` })
    }
  })

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType)
    return deps.registry.metrics()
  })
}
