import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { ACTIVITY_TOTALS, SLOT_MS, type ActivityMaximum, type ActivitySample, type ActivityStore, type ActivityTotal } from '../store/activity-store'
import { toError } from '../shared/to-error'

/**
 * Every process's share of the admin page's activity charts (issue 17): every 10 s, on the
 * wall-clock 10 s so all processes sample the same slots, it reads this process's own counters,
 * takes what they counted since the last sample and adds it to the current 5-minute bucket in
 * Redis (src/store/activity-store.ts). A sample Redis did not take is not lost: the next one
 * adds it (counted from the last sample that was taken).
 */
export interface ActivitySampler {
  /** Take one sample now (start() does it every 10 s). */
  sample(): Promise<void>
  start(): void
  /** Stop the timer and take a last sample (at most 2 s), so the last seconds count too. */
  stop(): Promise<void>
}

export interface ActivitySamplerDeps {
  registry: Registry
  activity: Pick<ActivityStore, 'record'>
  log: Logger
  now?: () => number
}

/** Cumulative values read from the registry; deltas of these make a sample. */
interface Readings {
  mattermostCalls: number
  mattermost429s: number
  graph429s: number
  notifications: number
  statusChanges: number
  customStatusChanges: number
  sweeps: number
  sweepSeconds: number
  /** gauges of the last sweep this process finished: not cumulative */
  lastSweepMs: number
  lastSweepUsers: number
}

const ZERO: Readings = {
  mattermostCalls: 0,
  mattermost429s: 0,
  graph429s: 0,
  notifications: 0,
  statusChanges: 0,
  customStatusChanges: 0,
  sweeps: 0,
  sweepSeconds: 0,
  lastSweepMs: 0,
  lastSweepUsers: 0
}
const STOP_FLUSH_MS = 2000

export function createActivitySampler(deps: ActivitySamplerDeps): ActivitySampler {
  const now = deps.now ?? Date.now
  // The registry is this process's own and starts at zero with it: the first sample counts all.
  let last: Readings = ZERO
  let lastAt = now()
  let failing = false
  let timer: NodeJS.Timeout | null = null
  let running: Promise<void> | null = null

  const takeSample = async (): Promise<void> => {
    const at = now()
    const read = await readRegistry(deps.registry)
    const sample = toSample(last, read, at, lastAt)
    try {
      await deps.activity.record(sample)
      last = read
      lastAt = at
      if (failing) deps.log.info('activity samples are recorded again')
      failing = false
    } catch (err) {
      // Kept for the next sample; said once, not every 10 s of an outage.
      if (!failing) deps.log.warn({ err: toError(err) }, 'could not record an activity sample; the next one adds it')
      failing = true
    }
  }
  const sample = (): Promise<void> => {
    running ??= takeSample().finally(() => (running = null))
    return running
  }
  const schedule = (): void => {
    timer = setTimeout(
      () => {
        void sample().finally(() => timer && schedule())
      },
      SLOT_MS - (now() % SLOT_MS)
    )
    timer.unref()
  }

  return {
    sample,
    start() {
      if (!timer) schedule()
    },
    async stop() {
      if (timer) clearTimeout(timer)
      timer = null
      // A sample under way when the timer stopped comes first: a second one would find nothing new.
      if (running) await atMost(STOP_FLUSH_MS, running)
      await atMost(STOP_FLUSH_MS, sample())
    }
  }
}

/** Waits for `work`, but not longer than `ms`: a Redis that does not answer must not hold up shutdown. */
async function atMost(ms: number, work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/**
 * What changed since `last`. A counter lower than before was reset (a registry cleared): it
 * counts from zero. The sample belongs to the 10 s that just ended, so it is dated 5 s back:
 * a timer firing a little late still lands in the right slot.
 */
function toSample(last: Readings, read: Readings, at: number, lastAt: number): ActivitySample {
  const delta = (k: keyof Readings): number => (read[k] >= last[k] ? read[k] - last[k] : read[k])
  const totals: Partial<Record<ActivityTotal, number>> = {}
  // Every total is a running count in the registry: the sample adds its change since the last one.
  for (const k of ACTIVITY_TOTALS) totals[k] = delta(k)
  const sweeps = delta('sweeps')
  const maxima: Partial<Record<ActivityMaximum, number>> = {}
  if (sweeps > 0) {
    // One sweep finished here: its duration exactly. Several within 10 s in one process (tiny
    // sweeps): the histogram gives their sum only, so the longest is at least the mean and the last.
    const seconds = delta('sweepSeconds')
    maxima.sweepLongestSeconds = sweeps === 1 ? seconds : Math.max(seconds / sweeps, read.lastSweepMs / 1000)
    maxima.sweepUsers = read.lastSweepUsers
  }
  const elapsedSeconds = Math.max(1, (at - lastAt) / 1000)
  return { at: at - SLOT_MS / 2, totals, maxima, mattermostRate: delta('mattermostCalls') / elapsedSeconds }
}

interface Value {
  value: number
  labels: Record<string, string | number | undefined>
  metricName?: string
}

/** One metric's values, or none when this process does not have it (a web process runs no sweep). */
async function valuesOf(registry: Registry, name: string): Promise<Value[]> {
  const metric = registry.getSingleMetric(name)
  if (!metric) return []
  return (await metric.get()).values
}

const sum = (values: Value[], keep: (v: Value) => boolean = () => true): number => values.filter(keep).reduce((s, v) => s + v.value, 0)
const ok = (v: Value): boolean => v.labels['outcome'] === '2xx'

/**
 * The counters the charts need, by their names in src/mattermost/mattermost-metrics.ts,
 * src/graph/graph-metrics.ts, src/http/routes/graph-notifications.ts and src/app/sync/sweep.ts.
 * A status change is a status write Mattermost took: the sync writes only what changes.
 */
async function readRegistry(registry: Registry): Promise<Readings> {
  const [calls, mm429, graph429, notifications, sweeps, duration, lastSweep] = (await Promise.all(
    [
      'calstatus_mattermost_calls_total',
      'calstatus_mattermost_throttled_total',
      'calstatus_graph_throttled_total',
      'calstatus_graph_notifications_total',
      'calstatus_sweeps_total',
      'calstatus_sweep_duration_seconds',
      'calstatus_last_sweep'
    ].map((name) => valuesOf(registry, name))
  )) as [Value[], Value[], Value[], Value[], Value[], Value[], Value[]]
  const route = (r: string) => (v: Value) => v.labels['route'] === r && ok(v)
  const figure = (f: string): number => sum(lastSweep, (v) => v.labels['figure'] === f)
  return {
    mattermostCalls: sum(calls),
    mattermost429s: sum(mm429),
    graph429s: sum(graph429),
    notifications: sum(notifications, (v) => v.labels['route'] === 'notifications' && v.labels['outcome'] === 'accepted'),
    statusChanges: sum(calls, route('PUT /users/{id}/status')),
    customStatusChanges: sum(calls, route('PUT /users/{id}/status/custom')) + sum(calls, route('DELETE /users/{id}/status/custom')),
    sweeps: sum(sweeps),
    sweepSeconds: sum(duration, (v) => v.metricName === 'calstatus_sweep_duration_seconds_sum'),
    lastSweepMs: figure('durationMs'),
    lastSweepUsers: figure('users')
  }
}
