import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { JobResult } from '../jobs'
import type { SyncSummary } from './sync-pipeline'

// The safety net (architecture.md "sweep"): every SWEEP_INTERVAL_SECONDS, once for the whole
// cluster (a BullMQ job scheduler), every enrolled user is evaluated, 400 per shard: one Graph
// $batch and one Mattermost status read per shard.

export const SHARD_SIZE = 400
const KEEP_SUMMARIES = 50

export interface SweepSummary extends SyncSummary {
  sweepId: string
  startedAt: number
  finishedAt: number
  durationMs: number
  shards: number
}

const FIELDS: Array<keyof SyncSummary> = ['users', 'graphRequests', 'mattermostReads', 'mattermostWrites', 'changes', 'messages', 'skipped', 'errors']

export function createSweepMetrics(registry: Registry) {
  return {
    sweeps: new Counter({ name: 'calstatus_sweeps_total', help: 'Completed sweeps', registers: [registry] }),
    duration: new Histogram({
      name: 'calstatus_sweep_duration_seconds',
      help: 'Sweep duration, first shard queued to last shard done',
      buckets: [1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry]
    }),
    last: new Gauge({ name: 'calstatus_last_sweep', help: 'Figures of the last completed sweep', labelNames: ['figure'], registers: [registry] })
  }
}

export function createSweep(deps: {
  queue: Queue
  redis: Redis
  prefix: string
  enrolledIds(): Promise<string[]>
  syncUsers(ids: string[], opts: { reason: string; failIfBusy: boolean }): Promise<SyncSummary>
  log: Logger
  metrics: ReturnType<typeof createSweepMetrics>
}) {
  const key = (sweepId: string): string => `${deps.prefix}:sweep:${sweepId}`
  const summariesKey = `${deps.prefix}:sweeps`

  return {
    /** `sweep`: split into shards; the job id makes a retried sweep enqueue the same shards. */
    async start(sweepId: string): Promise<JobResult> {
      const ids = await deps.enrolledIds()
      const shards: string[][] = []
      for (let i = 0; i < ids.length; i += SHARD_SIZE) shards.push(ids.slice(i, i + SHARD_SIZE))
      if (shards.length === 0) return { outcome: 'skipped', reason: 'no enrolled users' }
      await deps.redis.hset(key(sweepId), { startedAt: String(Date.now()), shards: String(shards.length), remaining: String(shards.length) })
      await deps.redis.expire(key(sweepId), 24 * 3600)
      await deps.queue.addBulk(
        shards.map((userIds, shard) => ({
          name: 'sweep-shard',
          data: { sweepId, shard, userIds },
          opts: {
            jobId: `${sweepId}-shard-${shard}`,
            attempts: 3,
            backoff: { type: 'exponential', delay: 2000 },
            removeOnComplete: { count: 2000, age: 3600 },
            removeOnFail: { count: 2000 }
          }
        }))
      )
      return { outcome: 'done', detail: { users: ids.length, shards: shards.length } }
    },

    /** `sweep-shard`: sync 400 users; the last shard to finish writes the sweep's summary. */
    async shard(sweepId: string, shard: number, userIds: string[]): Promise<JobResult> {
      const summary = await deps.syncUsers(userIds, { reason: 'sweep', failIfBusy: false })
      // A retried shard (a worker died after counting) is counted once.
      if ((await deps.redis.hsetnx(key(sweepId), `shard-${shard}`, '1')) === 0) return { outcome: 'done', detail: { ...summary, recounted: false } }
      const tx = deps.redis.multi()
      for (const f of FIELDS) tx.hincrby(key(sweepId), f, summary[f])
      tx.hincrby(key(sweepId), 'remaining', -1)
      const results = (await tx.exec()) ?? []
      const remaining = Number(results[results.length - 1]?.[1] ?? 1)
      if (remaining === 0) await finish(sweepId)
      return { outcome: 'done', detail: { ...summary } }
    }
  }

  async function finish(sweepId: string): Promise<void> {
    const h = await deps.redis.hgetall(key(sweepId))
    const finishedAt = Date.now()
    const startedAt = Number(h['startedAt'] ?? finishedAt)
    const summary: SweepSummary = {
      sweepId,
      startedAt,
      finishedAt,
      durationMs: finishedAt - startedAt,
      shards: Number(h['shards'] ?? 0),
      ...(Object.fromEntries(FIELDS.map((f) => [f, Number(h[f] ?? 0)])) as unknown as SyncSummary)
    }
    deps.log.info(summary, 'sweep finished')
    deps.metrics.sweeps.inc()
    deps.metrics.duration.observe(summary.durationMs / 1000)
    for (const f of [...FIELDS, 'shards', 'durationMs'] as const) deps.metrics.last.set({ figure: f }, summary[f])
    await deps.redis
      .multi()
      .lpush(summariesKey, JSON.stringify(summary))
      .ltrim(summariesKey, 0, KEEP_SUMMARIES - 1)
      .exec()
  }
}

export async function lastSweeps(redis: Redis, prefix: string, count = 10): Promise<SweepSummary[]> {
  return (await redis.lrange(`${prefix}:sweeps`, 0, count - 1)).map((s) => JSON.parse(s) as SweepSummary)
}
