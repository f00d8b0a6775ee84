import type { Redis } from 'ioredis'
import { redisScripts } from './redis-scripts'

/**
 * The last day of activity, cluster-wide, for the admin page's charts (issue 17): one hash per
 * 5-minute bucket, `<p>:activity:<bucketStartMinute>`, to which every process adds what it
 * counted since its last sample (src/observability/activity-sampler.ts). Kept 25 h, so a day
 * is always there and nothing needs cleaning up.
 */
export const BUCKET_MS = 5 * 60_000
export const BUCKETS_PER_DAY = (24 * 3600_000) / BUCKET_MS
/**
 * Mattermost calls are also added per 10-second slot of the bucket, as calls per second: every
 * process samples on the same wall-clock 10 s, so a slot's sum is the cluster's rate over those
 * 10 s, and the busiest slot shows how close the cluster came to MM_MAX_REQUESTS_PER_SECOND.
 */
export const SLOT_MS = 10_000
const KEEP_SECONDS = 25 * 3600

/** Counted things, summed over every process. */
export const ACTIVITY_TOTALS = [
  'mattermostCalls',
  'mattermost429s',
  'graph429s',
  'notifications',
  'statusChanges',
  'customStatusChanges',
  'sweeps',
  'sweepSeconds'
] as const
export type ActivityTotal = (typeof ACTIVITY_TOTALS)[number]
/** Largest values any process saw in the bucket. */
export type ActivityMaximum = 'sweepLongestSeconds' | 'sweepUsers'

const MAXIMA: readonly ActivityMaximum[] = ['sweepLongestSeconds', 'sweepUsers']
const RATE_FIELD = 'mattermostRate:'

export interface ActivitySample {
  /** a time inside the 10 s the sample covers: it picks the bucket and the slot */
  at: number
  totals: Partial<Record<ActivityTotal, number>>
  maxima: Partial<Record<ActivityMaximum, number>>
  /** this process's Mattermost calls per second over the sample */
  mattermostRate?: number
}

export interface ActivityBucket {
  /** start of the bucket (ms) */
  start: number
  totals: Record<ActivityTotal, number>
  maxima: Record<ActivityMaximum, number>
  /** the busiest 10 s of the bucket, in Mattermost calls per second across the cluster */
  busiestMattermostRate: number
}

export interface ActivityStore {
  /** Add one process's sample to its bucket: one round trip. */
  record(sample: ActivitySample): Promise<void>
  /** The 288 buckets of the day up to `now`, oldest first, the current (partial) one last; a missing bucket is all zeros. */
  readBuckets(now: number): Promise<ActivityBucket[]>
}

export const bucketStart = (at: number): number => Math.floor(at / BUCKET_MS) * BUCKET_MS

export function createActivityStore(redis: Redis, prefix: string): ActivityStore {
  const scripts = redisScripts(redis)
  const key = (start: number): string => `${prefix}:activity:${start / 60_000}`
  return {
    async record(sample) {
      const k = key(bucketStart(sample.at))
      const tx = redis.pipeline()
      for (const [field, value] of Object.entries(sample.totals)) {
        if (!usable(value)) continue
        if (Number.isInteger(value)) tx.hincrby(k, field, value)
        else tx.hincrbyfloat(k, field, value)
      }
      if (usable(sample.mattermostRate)) tx.hincrbyfloat(k, `${RATE_FIELD}${Math.floor((sample.at % BUCKET_MS) / SLOT_MS)}`, sample.mattermostRate)
      const maxima = Object.entries(sample.maxima).filter(([, v]) => usable(v))
      if (maxima.length > 0)
        scripts.queue(
          tx,
          'hashMax',
          [k],
          maxima.flatMap(([f, v]) => [f, String(v)])
        )
      if (tx.length === 0) return
      tx.expire(k, KEEP_SECONDS)
      const failed = ((await tx.exec()) ?? []).find(([err]) => err)
      if (failed?.[0]) throw failed[0]
    },
    async readBuckets(now) {
      const last = bucketStart(now)
      const starts = Array.from({ length: BUCKETS_PER_DAY }, (_, i) => last - (BUCKETS_PER_DAY - 1 - i) * BUCKET_MS)
      const tx = redis.pipeline()
      for (const start of starts) tx.hgetall(key(start))
      const results = (await tx.exec()) ?? []
      return starts.map((start, i) => {
        const [err, hash] = results[i] ?? [null, {}]
        if (err) throw err
        return toBucket(start, hash as Record<string, string>)
      })
    }
  }
}

/** Zero, negative and non-finite values add nothing: a counter never goes down. */
function usable(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && value > 0
}

function toBucket(start: number, hash: Record<string, string>): ActivityBucket {
  const num = (field: string): number => {
    const n = Number(hash[field] ?? 0)
    return Number.isFinite(n) ? n : 0
  }
  let busiest = 0
  for (const field of Object.keys(hash)) if (field.startsWith(RATE_FIELD)) busiest = Math.max(busiest, num(field))
  return {
    start,
    totals: Object.fromEntries(ACTIVITY_TOTALS.map((f) => [f, num(f)])) as Record<ActivityTotal, number>,
    maxima: Object.fromEntries(MAXIMA.map((f) => [f, num(f)])) as Record<ActivityMaximum, number>,
    busiestMattermostRate: busiest
  }
}
