import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { loadConfig } from '../../src/config'
import { createLogger } from '../../src/observability/create-logger'
import { createRedis } from '../../src/store/create-redis'
import { closeQueues, createQueues } from '../../src/queue/create-queues'
import { missingSchedules, scheduleCheckMs, upsertSchedules, watchSchedules } from '../../src/queue/schedules'
import { waitFor } from '../helpers/processes'
import { usePrivateRedis } from '../helpers/redis-server'

// The job schedulers against a real Redis that loses its data: FLUSHALL, and a restart without
// persistence. Nothing here runs a worker: what is checked is what Redis holds.

const lines: string[] = []
const log = createLogger(
  { level: 'info', name: 'test' },
  new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    }
  })
)

async function setUp(t: Test, redisUrl: string) {
  const { config } = loadConfig({ REDIS_URL: redisUrl, QUEUE_PREFIX: '{sched}', SWEEP_INTERVAL_SECONDS: '300' })
  const producer = createRedis(redisUrl, 'producer', log)
  const queues = createQueues(producer, config.queuePrefix, log)
  const admin = createRedis(redisUrl, 'command', log)
  t.teardown(async () => {
    await closeQueues(queues)
    producer.disconnect()
    admin.disconnect()
  })
  return { config, producer, queues, admin }
}

/** Directory runs waiting in the maintenance queue that were not started by its scheduler. */
const directoryRuns = async (queues: Awaited<ReturnType<typeof setUp>>['queues']): Promise<string[]> =>
  (await queues.maintenance.getJobs(['waiting', 'delayed', 'prioritized']))
    .filter((j) => j.name === 'directory' && !j.repeatJobKey)
    .map((j) => (j.data as { reason: string }).reason)

t.test('the check interval: a minute, or half the sweep interval when shorter', async (t) => {
  t.equal(scheduleCheckMs({ sweepIntervalSeconds: 300 }), 60_000)
  t.equal(scheduleCheckMs({ sweepIntervalSeconds: 10 }), 5000)
  t.equal(scheduleCheckMs({ sweepIntervalSeconds: 1 }), 1000, 'never more often than every second')
})

t.test('FLUSHALL: the check finds the schedulers missing, restores them and starts a directory run', async (t) => {
  const redis = await usePrivateRedis(t)
  const { config, producer, queues, admin } = await setUp(t, redis.url)
  t.same(await missingSchedules(queues), ['sweep', 'drain-inbox', 'directory', 'subscriptions', 'health'], 'none before the first upsert')
  await upsertSchedules(queues, config)
  t.same(await missingSchedules(queues), [], 'all four after it')

  // A long interval: only the explicit checks below run.
  const watch = watchSchedules({ queues, config, log, connection: producer, intervalMs: 3600_000 })
  t.teardown(() => watch.stop())
  t.same(await watch.check('test'), [], 'nothing to do while they are there')

  await admin.flushall()
  t.same(await missingSchedules(queues), ['sweep', 'drain-inbox', 'directory', 'subscriptions', 'health'], 'gone with the data')
  t.same(await watch.check('test'), ['sweep', 'drain-inbox', 'directory', 'subscriptions', 'health'], 'the check says what it restored')
  t.same(await missingSchedules(queues), [], 'all three back')
  t.same(await directoryRuns(queues), ['schedules-restored'], 'and one directory run to enrol everyone again')
  t.equal((await queues.sweep.getJobScheduler('sweep'))?.every, config.sweepIntervalSeconds * 1000, 'the sweep keeps its interval')
  t.ok(
    lines.some((l) => l.includes('job schedulers missing from Redis')),
    'the loss is logged as a warning'
  )

  // Two workers noticing at once: still one scheduler each and one directory run.
  await admin.flushall()
  await Promise.all([watch.check('a'), watch.check('b'), upsertSchedules(queues, config, 'schedules-restored')])
  t.equal(await queues.maintenance.getJobSchedulersCount(), 3, 'directory, subscriptions and health once each')
  t.same(await directoryRuns(queues), ['schedules-restored'], 'one directory run')
})

t.test('the periodic check restores them without being asked', async (t) => {
  const redis = await usePrivateRedis(t)
  const { config, producer, queues, admin } = await setUp(t, redis.url)
  await upsertSchedules(queues, config)
  const watch = watchSchedules({ queues, config, log, connection: producer, intervalMs: 200 })
  t.teardown(() => watch.stop())
  await admin.flushall()
  await waitFor('the schedulers back', 30_000, async () => ((await missingSchedules(queues)).length === 0 ? true : undefined))
  t.pass('restored by the timer')
})

t.test('Redis restarted without persistence: restored as soon as the connection is ready again', async (t) => {
  const redis = await usePrivateRedis(t)
  const { config, producer, queues } = await setUp(t, redis.url)
  await upsertSchedules(queues, config)
  // No timer in this test's lifetime: only the reconnect can restore them.
  const watch = watchSchedules({ queues, config, log, connection: producer, intervalMs: 3600_000 })
  t.teardown(() => watch.stop())
  await redis.stop()
  await redis.restart()
  await waitFor('the schedulers back after the reconnect', 30_000, async () => ((await missingSchedules(queues)).length === 0 ? true : undefined))
  t.same(await directoryRuns(queues), ['schedules-restored'], 'with a directory run')
})
