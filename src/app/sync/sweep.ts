import type { Logger } from 'pino'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { SweepStore } from '../../store/sweep-store'
import type { JobQueue } from '../job-queue'
import type { Outcome } from '../outcome'
import type { SyncSummary, SyncUsers } from './sync-users'

// The safety net (docs/architecture.md, "The sweep"): every SWEEP_INTERVAL_SECONDS, once for
// the whole cluster, every enrolled user is evaluated, 400 per shard: one Graph $batch and one
// Mattermost status read per shard.

export const SHARD_SIZE = 400

export interface SweepSummary extends SyncSummary {
  sweepId: string
  startedAt: number
  finishedAt: number
  durationMs: number
  shards: number
}

const FIELDS: Array<keyof SyncSummary> = ['users', 'graphRequests', 'mattermostReads', 'mattermostWrites', 'changes', 'messages', 'skipped', 'errors']

export interface Sweep {
  /** `sweep`: split the enrolled users into shards; a retried start enqueues the same shards. */
  start(sweepId: string): Promise<Outcome>
  /** `sweep-shard`: sync its users; the last shard to finish writes the sweep's summary. */
  shard(work: { sweepId: string; shard: number; userIds: string[] }): Promise<Outcome>
}

export interface SweepDeps {
  users: { enrolledIds(): Promise<string[]> }
  sweeps: SweepStore<SweepSummary>
  jobs: Pick<JobQueue, 'sweepShards'>
  syncUsers: SyncUsers
  /**
   * Sign in to Microsoft (a cached token costs nothing): a sweep that cannot, fails with the
   * sign-in's error before it adds any shard, instead of every shard failing on its own.
   */
  signIn?: () => Promise<unknown>
  log: Logger
  registry: Registry
  now?: () => number
}

function createSweepMetrics(registry: Registry) {
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

export function createSweep(deps: SweepDeps): Sweep {
  const now = deps.now ?? Date.now
  const metrics = createSweepMetrics(deps.registry)

  const finish = async (sweepId: string): Promise<void> => {
    const progress = await deps.sweeps.progress(sweepId)
    const finishedAt = now()
    const startedAt = progress?.startedAt ?? finishedAt
    const summary: SweepSummary = {
      sweepId,
      startedAt,
      finishedAt,
      durationMs: finishedAt - startedAt,
      shards: progress?.shards ?? 0,
      ...(Object.fromEntries(FIELDS.map((f) => [f, progress?.figures[f] ?? 0])) as unknown as SyncSummary)
    }
    deps.log.info(summary, 'sweep finished')
    metrics.sweeps.inc()
    metrics.duration.observe(summary.durationMs / 1000)
    for (const f of [...FIELDS, 'shards', 'durationMs'] as const) metrics.last.set({ figure: f }, summary[f])
    await deps.sweeps.saveSummary(summary)
  }

  return {
    async start(sweepId) {
      const ids = await deps.users.enrolledIds()
      const shards: string[][] = []
      for (let i = 0; i < ids.length; i += SHARD_SIZE) shards.push(ids.slice(i, i + SHARD_SIZE))
      if (shards.length === 0) {
        // An empty sweep is still a sweep that ran: its summary keeps the sweep-age metric low,
        // which alerts only when sweeps stop (README, "Metrics").
        await deps.sweeps.begin(sweepId, 0, now())
        await finish(sweepId)
        return { outcome: 'skipped', reason: 'no enrolled users' }
      }
      await deps.signIn?.()
      // A retried start (its job failed after this) keeps what finished shards already counted.
      await deps.sweeps.begin(sweepId, shards.length, now())
      await deps.jobs.sweepShards(sweepId, shards)
      return { outcome: 'done', detail: { users: ids.length, shards: shards.length } }
    },

    async shard({ sweepId, shard, userIds }) {
      const summary = await deps.syncUsers(userIds, { reason: 'sweep', failIfBusy: false })
      // A retried shard (a worker died after counting) is counted once.
      const counted = await deps.sweeps.countShard(sweepId, shard, { ...summary })
      if (counted === null) return { outcome: 'done', detail: { ...summary, recounted: false } }
      if (counted.remaining === 0) await finish(sweepId)
      return { outcome: 'done', detail: { ...summary } }
    }
  }
}
