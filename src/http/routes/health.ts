import type { FastifyInstance } from 'fastify'
import { errorMessage } from '../../shared/to-error'

export interface HealthDeps {
  /** Resolves when Redis answers, rejects (quickly) otherwise. */
  checkRedis: () => Promise<void>
  /** The ids of the cluster's job schedulers Redis does not hold (src/queue/schedules.ts); none when absent. */
  missingSchedules?: () => Promise<string[]>
}

// /metrics is not here: it has a port of its own (src/observability/serve-metrics.ts).

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  // Liveness: the process is up and its event loop answers. Never depends on Redis, so an
  // orchestrator does not restart healthy processes while Redis is away.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))

  // Readiness: Redis answers and holds the job schedulers (without them nothing is swept or
  // enrolled: Redis lost its data, docs/architecture.md#schedulers). 503 takes the instance out of
  // the load balancer until both hold. Why not goes to the log (once per new reason: probes come
  // every few seconds), not to the caller, who may be anyone on the public port.
  let lastReason = ''
  app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
    try {
      await deps.checkRedis()
      lastReason = ''
    } catch (err) {
      if (errorMessage(err) !== lastReason) request.log.warn({ err }, 'not ready: redis unavailable')
      lastReason = errorMessage(err)
      return reply.code(503).send({ status: 'unavailable', reason: 'redis unavailable' })
    }
    try {
      if ((await deps.missingSchedules?.())?.length) return reply.code(503).send({ status: 'unavailable', reason: 'schedulers missing' })
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'schedulers unknown' })
    }
    return { status: 'ready' }
  })
}
