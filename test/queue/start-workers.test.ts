import t from 'tap'
import { Queue, QueueEvents } from 'bullmq'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/observability/create-logger'
import { createMetrics } from '../../src/observability/create-metrics'
import { createRedis } from '../../src/store/create-redis'
import { startWorkers } from '../../src/queue/start-workers'
import { QUEUE_OF, type Processors } from '../../src/queue/jobs'
import { RetryLater } from '../../src/shared/retry-later'
import { usePrivateRedis } from '../helpers/redis-server'

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** Processors for the jobs a test does not use: an expected skip, never a failure. */
function unusedProcessors(): Processors {
  const unused = async () => ({ outcome: 'skipped' as const, reason: 'not used by this test' })
  return {
    sweep: unused,
    'sweep-shard': unused,
    'sync-user': unused,
    'wake-up': unused,
    'wake-cohort': unused,
    'wake-shard': unused,
    'enrol-user': unused,
    'drain-inbox': unused,
    subscriptions: unused,
    directory: unused,
    health: unused
  }
}

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))

t.test('jobs are dispatched by name to their typed processor, on their own queue', async (t) => {
  const redis = await usePrivateRedis(t)
  const prefix = '{t1}'
  const seen: string[] = []
  const slow = deferred()
  const release = deferred()
  const processors: Processors = {
    ...unusedProcessors(),
    'sync-user': async (job) => {
      seen.push(`sync-user:${job.data.userId}:${job.data.reason}`)
      return { outcome: 'done' }
    },
    directory: async (job) => {
      seen.push(`directory:${job.data.reason}`)
      slow.resolve()
      await release.promise
      return { outcome: 'done', detail: { finished: true } }
    }
  }
  const connection = createRedis(redis.url, 'worker', silent)
  const metrics = createMetrics('worker')
  const set = startWorkers({ connection, prefix, processors, log: silent, metrics })
  const producer = createRedis(redis.url, 'command', silent)
  const sync = new Queue('sync', { connection: producer, prefix })
  const maintenance = new Queue('maintenance', { connection: producer, prefix })
  const eventConnections = [createRedis(redis.url, 'worker', silent), createRedis(redis.url, 'worker', silent)] as const
  const events = new QueueEvents('sync', { connection: eventConnections[0], prefix })
  const maintenanceEvents = new QueueEvents('maintenance', { connection: eventConnections[1], prefix })
  await Promise.all([events.waitUntilReady(), maintenanceEvents.waitUntilReady()])
  t.teardown(async () => {
    await Promise.all([sync.close(), maintenance.close(), events.close(), maintenanceEvents.close()])
    for (const c of [producer, connection, ...eventConnections]) c.disconnect()
  })

  t.equal(QUEUE_OF['sync-user'], 'sync')
  const done = await (await sync.add('sync-user', { userId: 'u1', reason: 'test' })).waitUntilFinished(events, 5000)
  t.same(done, { outcome: 'done' })
  const skipped = await (await sync.add('wake-up', { userId: 'u1', at: 0 })).waitUntilFinished(events, 5000)
  t.same(skipped, { outcome: 'skipped', reason: 'not used by this test' }, 'an expected skip is a result, not a failure')

  // A job name with no processor on this queue fails at once and is not retried.
  const stray = await sync.add('sweep', {}, { attempts: 3 })
  await t.rejects(stray.waitUntilFinished(events, 5000), /no processor for job "sweep" on queue "sync"/)
  const reloaded = await sync.getJob(stray.id as string)
  t.equal(reloaded?.attemptsMade, 1, 'UnrecoverableError: no retries')

  const metricsText = await metrics.registry.metrics()
  t.match(metricsText, /calstatus_jobs_total\{queue="sync",name="sync-user",outcome="completed",process="worker"\} 1/)
  t.match(metricsText, /calstatus_jobs_total\{queue="sync",name="wake-up",outcome="skipped",process="worker"\} 1/)
  t.match(metricsText, /calstatus_jobs_total\{queue="sync",name="sweep",outcome="failed",process="worker"\} 1/)

  // Graceful close: an active job finishes before close() resolves; nothing new is taken.
  const slowJob = await maintenance.add('directory', { reason: 'slow' })
  await slow.promise
  let closed = false
  const closing = set.close(5000).then((r) => {
    closed = true
    return r
  })
  // close() has begun (every worker paused: nothing new is taken) and a job comes in after it:
  // the job is still held, so a close that waits for it cannot have resolved.
  while (!set.workers.every((w) => w.isPaused())) await new Promise((r) => setImmediate(r))
  await maintenance.add('directory', { reason: 'after-close' })
  while ((await maintenance.getWaitingCount()) !== 1) await new Promise((r) => setTimeout(r, 10))
  t.equal(closed, false, 'close waits for the active job')
  release.resolve()
  t.same(await closing, { forced: false, cutOff: [] })
  t.same(await slowJob.waitUntilFinished(maintenanceEvents, 5000), { outcome: 'done', detail: { finished: true } })
  t.same(seen, ['sync-user:u1:test', 'directory:slow'], 'the job added after close was not taken')
  t.equal(await maintenance.getWaitingCount(), 1, 'it waits in Redis for the next worker')
})

t.test('close is bounded: a job that never ends is left to BullMQ after the timeout', async (t) => {
  const redis = await usePrivateRedis(t)
  const prefix = '{t2}'
  const running = deferred()
  const connection = createRedis(redis.url, 'worker', silent)
  const set = startWorkers({
    connection,
    prefix,
    log: silent,
    metrics: createMetrics('worker'),
    processors: {
      ...unusedProcessors(),
      sweep: async () => {
        running.resolve()
        return new Promise(() => undefined)
      }
    }
  })
  const producer = createRedis(redis.url, 'command', silent)
  const sweep = new Queue('sweep', { connection: producer, prefix })
  t.teardown(async () => {
    await sweep.close()
    producer.disconnect()
    connection.disconnect()
  })
  await sweep.add('sweep', {})
  await running.promise
  // The job never ends: a close that waited for it would never return (60 s here, far past its 300 ms).
  let timer: NodeJS.Timeout | undefined
  const closed = await Promise.race([
    set.close(300),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('close() waited for a job that never ends')), 60_000)))
  ]).finally(() => clearTimeout(timer))
  t.equal(closed.forced, true, 'it gave up waiting (forced)')
  t.match(closed.cutOff, [/^sweep \S+ since /], 'names the job it cut off')
  t.equal(closed.cutOff.length, 1, 'the one job')
})

t.test('a processor that throws RetryLater: the job runs again after the delay, no attempt used, not failed', async (t) => {
  const redis = await usePrivateRedis(t)
  const prefix = '{t-later}'
  const runs: number[] = []
  const processors: Processors = {
    ...unusedProcessors(),
    'sync-user': async () => {
      runs.push(Date.now())
      if (runs.length < 3) throw new RetryLater('another job holds the user', 300)
      return { outcome: 'done' }
    }
  }
  const connection = createRedis(redis.url, 'worker', silent)
  const metrics = createMetrics('worker')
  const set = startWorkers({ connection, prefix, processors, log: silent, metrics })
  const producer = createRedis(redis.url, 'command', silent)
  const sync = new Queue('sync', { connection: producer, prefix })
  const eventConnection = createRedis(redis.url, 'worker', silent)
  const events = new QueueEvents('sync', { connection: eventConnection, prefix })
  await events.waitUntilReady()
  t.teardown(async () => {
    await set.close(5000)
    await Promise.all([sync.close(), events.close()])
    for (const c of [producer, connection, eventConnection]) c.disconnect()
  })
  // One attempt only: a RetryLater that used up attempts would fail the job on the second run.
  const job = await sync.add('sync-user', { userId: 'u1', reason: 'test' }, { attempts: 1 })
  t.same(await job.waitUntilFinished(events, 30_000), { outcome: 'done' })
  t.equal(runs.length, 3)
  t.ok(runs[1]! - runs[0]! >= 290 && runs[2]! - runs[1]! >= 290, 'each run waited for the delay it asked for')
  const finished = await sync.getJob(job.id!)
  t.equal(finished?.attemptsMade, 1, 'the delays used no attempt')
  const counted = (await metrics.registry.getSingleMetricAsString('calstatus_jobs_total')).split('\n')
  t.ok(
    counted.some((l) => l.includes('outcome="delayed"') && l.endsWith(' 2')),
    'counted as delayed twice'
  )
  t.notOk(
    counted.some((l) => l.includes('outcome="failed"')),
    'never as failed'
  )
})
