import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { errorMessage } from '../../shared/to-error'

export interface HealthDeps {
  /** Resolves when Redis answers, rejects (quickly) otherwise. */
  checkRedis: () => Promise<void>
  /** The ids of the cluster's job schedulers Redis does not hold (src/queue/schedules.ts); none when absent. */
  missingSchedules?: () => Promise<string[]>
  registry: Registry
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  // Liveness: the process is up and its event loop answers. Never depends on Redis, so an
  // orchestrator does not restart healthy processes while Redis is away.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  // Readiness: Redis answers and holds the job schedulers (without them nothing is swept or
  // enrolled: Redis lost its data, docs/architecture.md#schedulers). 503 takes the instance out of the
  // load balancer until both hold.
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    try {
      await deps.checkRedis()
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: `redis: ${errorMessage(err)}` })
    }
    try {
      if ((await deps.missingSchedules?.())?.length) return reply.code(503).send({ status: 'unavailable', reason: 'schedulers missing' })
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'schedulers unknown' })
    }
    return { status: 'ready' }
  })

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType)
    return deps.registry.metrics()
  })
}
