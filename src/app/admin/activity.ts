import type { Config } from '../../config'
import { BUCKET_MS, type ActivityBucket, type ActivityStore } from '../../store/activity-store'

/** One chart's data: a point per 5-minute bucket, oldest first, `t` its start (ms). */
export type ActivityPoints = Array<{ t: number; v: number }>

/**
 * The admin page's "last 24 hours" (issue 17, item 3), cluster-wide: each series has 288
 * points, one per 5-minute bucket, the current bucket last; a bucket nobody wrote is 0.
 * Rates of the current bucket are over the part of it that has passed.
 */
export interface ActivityReport {
  bucketMs: number
  /** the longest sweep that finished in the bucket, seconds */
  sweepSeconds: ActivityPoints
  /** the users of that bucket's largest sweep */
  sweepUsers: ActivityPoints
  /** Mattermost status writes that landed, per 5 minutes */
  statusChanges: ActivityPoints
  /** custom statuses set or cleared, per 5 minutes */
  customStatusChanges: ActivityPoints
  /** Graph change notifications accepted, per minute (the bucket's mean) */
  notificationsPerMinute: ActivityPoints
  /** Mattermost calls per second: the bucket's mean */
  mattermostPerSecond: ActivityPoints
  /** Mattermost calls per second in the bucket's busiest 10 s, to set against the ceiling */
  mattermostBusiestPerSecond: ActivityPoints
  /** MM_MAX_REQUESTS_PER_SECOND, or null without Mattermost */
  mattermostCeiling: number | null
  /** Mattermost answers 429, per 5 minutes */
  mattermost429s: ActivityPoints
  /** Graph answers 429 (requests and $batch items), per 5 minutes */
  graph429s: ActivityPoints
}

export interface ActivityDeps {
  activity: Pick<ActivityStore, 'readBuckets'>
  config: { mattermost: Pick<NonNullable<Config['mattermost']>, 'maxRequestsPerSecond'> | null }
}

export function createActivity(deps: ActivityDeps): { readLast24h(now: number): Promise<ActivityReport> } {
  return {
    async readLast24h(now) {
      const buckets = await deps.activity.readBuckets(now)
      /** Seconds of the bucket that have passed: all of them but in the current one. */
      const seconds = (b: ActivityBucket): number => Math.max(1, Math.min(BUCKET_MS, now - b.start)) / 1000
      const series = (value: (b: ActivityBucket) => number): ActivityPoints => buckets.map((b) => ({ t: b.start, v: value(b) }))
      return {
        bucketMs: BUCKET_MS,
        sweepSeconds: series((b) => b.maxima.sweepLongestSeconds),
        sweepUsers: series((b) => b.maxima.sweepUsers),
        statusChanges: series((b) => b.totals.statusChanges),
        customStatusChanges: series((b) => b.totals.customStatusChanges),
        notificationsPerMinute: series((b) => (b.totals.notifications / seconds(b)) * 60),
        mattermostPerSecond: series((b) => b.totals.mattermostCalls / seconds(b)),
        mattermostBusiestPerSecond: series((b) => b.busiestMattermostRate),
        mattermostCeiling: deps.config.mattermost?.maxRequestsPerSecond ?? null,
        mattermost429s: series((b) => b.totals.mattermost429s),
        graph429s: series((b) => b.totals.graph429s)
      }
    }
  }
}
