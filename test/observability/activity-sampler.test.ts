import t from 'tap'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { createActivitySampler } from '../../src/observability/activity-sampler'
import { createActivityStore } from '../../src/store/activity-store'
import { createSweepStore } from '../../src/store/sweep-store'
import { createMattermostMetrics } from '../../src/mattermost/mattermost-metrics'
import { createGraphMetrics } from '../../src/graph/graph-metrics'
import { createSweep, type SweepSummary } from '../../src/app/sync/sweep'
import { graphNotificationRoutes } from '../../src/http/routes/graph-notifications'
import { createLogger } from '../../src/observability/create-logger'
import { usePrivateRedis } from '../helpers/redis-server'

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))
// 09:00:10 UTC: the first 10 s slot after a bucket's start.
const T0 = Date.UTC(2024, 5, 3, 9, 0, 10)
const SECRET = 'c'.repeat(48)

/** A process's registry with the project's own counters, registered by the code that owns them. */
async function processMetrics(registry: Registry, redis: Redis, clock: () => number) {
  const mm = createMattermostMetrics(registry)
  const graph = createGraphMetrics(registry)
  const app = Fastify()
  await app.register(graphNotificationRoutes, {
    lookup: async (ids) => new Map(ids.filter((id) => id === 'sub-1').map((id) => [id, { mmUserId: 'u1', clientState: SECRET }])),
    notified: async () => undefined,
    lifecycle: async () => undefined,
    tenantId: null,
    registry
  })
  const sweep = createSweep({
    users: { enrolledIds: async () => ['u1', 'u2'] },
    sweeps: createSweepStore<SweepSummary>(redis, `{s${Math.random()}}`),
    jobs: { sweepShards: async () => undefined },
    syncUsers: async (ids) => ({
      users: ids.length,
      graphRequests: 1,
      mattermostReads: 2,
      mattermostWrites: 0,
      changes: 0,
      messages: 0,
      skipped: 0,
      errors: 0
    }),
    log: silent,
    registry,
    now: clock
  })
  const notify = (items: number): Promise<unknown> =>
    app.inject({
      method: 'POST',
      url: '/graph/notifications',
      payload: { value: Array.from({ length: items }, (_, i) => ({ subscriptionId: i === 0 ? 'wrong' : 'sub-1', clientState: SECRET })) }
    })
  return { mm, graph, notify, sweep, close: () => app.close() }
}

t.test('counters become samples in the right bucket; two processes add up', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  let now = T0
  const clock = (): number => now
  const store = createActivityStore(redis, '{t}')
  const regA = new Registry()
  const regB = new Registry()
  const a = await processMetrics(regA, redis, clock)
  const b = await processMetrics(regB, redis, clock)
  t.teardown(async () => Promise.all([a.close(), b.close()]))
  const samplerA = createActivitySampler({ registry: regA, activity: store, log: silent, now: clock })
  const samplerB = createActivitySampler({ registry: regB, activity: store, log: silent, now: clock })

  // Ten seconds of work in each process.
  now = T0 + 10_000
  for (let i = 0; i < 30; i++) a.mm.calls.inc({ route: 'POST /users/status/ids', outcome: '2xx' })
  for (let i = 0; i < 4; i++) a.mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' })
  a.mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '4xx' })
  a.mm.calls.inc({ route: 'DELETE /users/{id}/status/custom', outcome: '2xx' })
  a.mm.throttled.inc({ route: 'PUT /users/{id}/status' })
  b.mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' }, 5)
  b.graph.throttled.inc({ kind: 'getSchedule' }, 2)
  b.graph.throttled.inc({ kind: 'batch' })
  await b.notify(4) // three accepted, one unknown subscription
  t.equal((await b.sweep.start('sw1')).outcome, 'done')
  now += 42_000
  await b.sweep.shard({ sweepId: 'sw1', shard: 0, userIds: ['u1', 'u2'] })
  now = T0 + 10_000
  await samplerA.sample()
  await samplerB.sample()

  const key = `{t}:activity:${Date.UTC(2024, 5, 3, 9, 0) / 60_000}`
  const hash = await redis.hgetall(key)
  t.same(
    Object.fromEntries(Object.entries(hash).filter(([f]) => !f.startsWith('sweepSeconds') && !f.startsWith('mattermostRate'))),
    {
      mattermostCalls: '41',
      mattermost429s: '1',
      graph429s: '3',
      notifications: '3',
      statusChanges: '9',
      customStatusChanges: '1',
      sweeps: '1',
      sweepLongestSeconds: '42',
      sweepUsers: '2'
    },
    'both processes, summed'
  )
  t.equal(Number(hash['sweepSeconds']), 42)
  // Both samples cover 09:00:10-09:00:20 (dated 5 s back): slot 1; 36 calls over 10 s in A, 5 in B.
  t.equal(Number(hash['mattermostRate:1']), 4.1, 'calls per second of the cluster in that slot')

  // Nothing new: nothing written.
  now += 10_000
  await samplerA.sample()
  t.equal(Number(await redis.hget(key, 'mattermostCalls')), 41, 'a sample counts only what is new')

  // The next bucket.
  now = T0 + 5 * 60_000
  a.mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' })
  await samplerA.sample()
  const next = `{t}:activity:${Date.UTC(2024, 5, 3, 9, 5) / 60_000}`
  t.equal(await redis.hget(next, 'statusChanges'), '1')
  t.equal(await redis.hget(key, 'statusChanges'), '9', 'the earlier bucket is untouched')
})

t.test('a sample Redis refused is added by the next one', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 })
  redis.on('error', () => undefined)
  t.teardown(() => redis.disconnect())
  const registry = new Registry()
  const mm = createMattermostMetrics(registry)
  let now = T0
  const lines: string[] = []
  const log = createLogger({ level: 'info', name: 'test' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }))
  const sampler = createActivitySampler({ registry, activity: createActivityStore(redis, '{t}'), log, now: () => now })

  await server.stop()
  mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' }, 2)
  now += 10_000
  await sampler.sample()
  now += 10_000
  await sampler.sample()
  t.equal(lines.filter((l) => l.includes('could not record an activity sample')).length, 1, 'said once')

  await server.restart()
  await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', resolve)))
  mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' })
  now += 10_000
  await sampler.sample()
  const key = `{t}:activity:${Date.UTC(2024, 5, 3, 9, 0) / 60_000}`
  t.equal(await redis.hget(key, 'statusChanges'), '3', 'none lost')
  t.equal(Number(await redis.hget(key, 'mattermostRate:3')), 0.1, 'the rate is over the whole 30 s, not a spike')
})

t.test('start() samples on the wall-clock 10 s; stop() takes a last sample', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const registry = new Registry()
  const mm = createMattermostMetrics(registry)
  const store = createActivityStore(redis, '{t}')
  const sampler = createActivitySampler({ registry, activity: store, log: silent })
  sampler.start()
  sampler.start() // twice: still one timer
  mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' })
  const deadline = Date.now() + 15_000
  const changes = async (): Promise<number> => (await store.readBuckets(Date.now())).reduce((s, b) => s + b.totals.statusChanges, 0)
  while ((await changes()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(await changes(), 1, 'sampled within 10 s')
  mm.calls.inc({ route: 'PUT /users/{id}/status', outcome: '2xx' }, 2)
  await sampler.stop()
  t.equal(await changes(), 3, 'the last seconds counted at stop')
})
