import type { Redis } from 'ioredis'

/**
 * A sweep's progress while its shards run (one hash per sweep, kept a day) and the summaries
 * of the last sweeps. Figures are summed as shards finish; each shard counts once however
 * often it is retried, and a retried start never resets what finished shards counted.
 */
export interface SweepStore<S> {
  /** Record the sweep's start and shard count; a second call for the same sweep changes nothing. */
  begin(sweepId: string, shards: number, startedAt: number): Promise<void>
  /** Add a finished shard's figures, once per shard: `remaining` shards after it, or null if it was counted already. */
  countShard(sweepId: string, shard: number, figures: Record<string, number>): Promise<{ remaining: number } | null>
  progress(sweepId: string): Promise<{ startedAt: number; shards: number; figures: Record<string, number> } | null>
  saveSummary(summary: S): Promise<void>
  /** Newest first. */
  lastSummaries(count: number): Promise<S[]>
  /** The summary of the last completed sweep, or null when Redis holds none. */
  lastCompleted(): Promise<S | null>
}

const KEEP_SUMMARIES = 50

export function createSweepStore<S>(redis: Redis, prefix: string): SweepStore<S> {
  const key = (sweepId: string): string => `${prefix}:sweep:${sweepId}`
  const summariesKey = `${prefix}:sweeps`
  return {
    async begin(sweepId, shards, startedAt) {
      await redis
        .multi()
        .hsetnx(key(sweepId), 'startedAt', String(startedAt))
        .hsetnx(key(sweepId), 'shards', String(shards))
        .hsetnx(key(sweepId), 'remaining', String(shards))
        .expire(key(sweepId), 24 * 3600)
        .exec()
    },
    async countShard(sweepId, shard, figures) {
      if ((await redis.hsetnx(key(sweepId), `shard-${shard}`, '1')) === 0) return null
      const tx = redis.multi()
      for (const [name, value] of Object.entries(figures)) tx.hincrby(key(sweepId), `figure:${name}`, value)
      tx.hincrby(key(sweepId), 'remaining', -1)
      const results = (await tx.exec()) ?? []
      return { remaining: Number(results[results.length - 1]?.[1] ?? 1) }
    },
    async progress(sweepId) {
      const h = await redis.hgetall(key(sweepId))
      if (h['startedAt'] === undefined) return null
      const figures: Record<string, number> = {}
      for (const [field, value] of Object.entries(h)) {
        if (field.startsWith('figure:')) figures[field.slice('figure:'.length)] = Number(value)
      }
      return { startedAt: Number(h['startedAt']), shards: Number(h['shards'] ?? 0), figures }
    },
    async saveSummary(summary) {
      await redis
        .multi()
        .lpush(summariesKey, JSON.stringify(summary))
        .ltrim(summariesKey, 0, KEEP_SUMMARIES - 1)
        .exec()
    },
    async lastSummaries(count) {
      return (await redis.lrange(summariesKey, 0, count - 1)).map((s) => JSON.parse(s) as S)
    },
    async lastCompleted() {
      const last = await redis.lindex(summariesKey, 0)
      return last === null ? null : (JSON.parse(last) as S)
    }
  }
}
