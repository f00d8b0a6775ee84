import t from 'tap'
import { Redis } from 'ioredis'
import { BUCKET_MS, BUCKETS_PER_DAY, createActivityStore } from '../../src/store/activity-store'
import { usePrivateRedis } from '../helpers/redis-server'

// A Monday, 09:00 UTC: the start of a bucket.
const T0 = Date.UTC(2024, 5, 3, 9, 0)

t.test('two processes add to the same 5-minute bucket; maxima keep the largest', async (t) => {
  const server = await usePrivateRedis(t)
  const a = new Redis(server.url)
  const b = new Redis(server.url)
  t.teardown(() => [a, b].forEach((c) => c.disconnect()))
  const storeA = createActivityStore(a, '{t}')
  const storeB = createActivityStore(b, '{t}')

  await storeA.record({
    at: T0 + 5_000,
    totals: { statusChanges: 3, sweepSeconds: 1.5 },
    maxima: { sweepLongestSeconds: 12.5, sweepUsers: 800 },
    mattermostRate: 4
  })
  await storeB.record({ at: T0 + 5_000, totals: { statusChanges: 2, graph429s: 1 }, maxima: { sweepLongestSeconds: 7 }, mattermostRate: 2.5 })
  await storeB.record({ at: T0 + 15_000, totals: { statusChanges: 1 }, maxima: { sweepLongestSeconds: 20, sweepUsers: 400 }, mattermostRate: 5 })
  // The next bucket is its own.
  await storeA.record({ at: T0 + BUCKET_MS + 1, totals: { statusChanges: 100 }, maxima: {} })

  const key = `{t}:activity:${T0 / 60_000}`
  t.same(await a.hgetall(key), {
    statusChanges: '6',
    sweepSeconds: '1.5',
    graph429s: '1',
    sweepLongestSeconds: '20',
    sweepUsers: '800',
    'mattermostRate:0': '6.5',
    'mattermostRate:1': '5'
  })

  const buckets = await storeA.readBuckets(T0 + BUCKET_MS + 60_000)
  t.equal(buckets.length, BUCKETS_PER_DAY)
  const [current, previous] = [buckets[BUCKETS_PER_DAY - 1], buckets[BUCKETS_PER_DAY - 2]]
  t.equal(current?.start, T0 + BUCKET_MS, 'the current bucket is last')
  t.equal(current?.totals.statusChanges, 100)
  t.equal(previous?.start, T0)
  t.equal(previous?.totals.statusChanges, 6, 'summed over both processes')
  t.equal(previous?.totals.sweepSeconds, 1.5)
  t.equal(previous?.totals.mattermostCalls, 0, 'a series nobody wrote is 0')
  t.same(previous?.maxima, { sweepLongestSeconds: 20, sweepUsers: 800 })
  t.equal(previous?.busiestMattermostRate, 6.5, 'the busiest 10 s, both processes together')
})

t.test('a day of buckets with gaps: 288 points, zeros where nothing was written, nothing older than a day', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createActivityStore(redis, '{t}')
  const now = T0 + 24 * 3600_000 + 90_000
  // Before the first bucket of the day shown: left out. Just inside: the first point.
  await store.record({ at: now - 24 * 3600_000 - BUCKET_MS, totals: { notifications: 9 }, maxima: {} })
  await store.record({ at: now - 24 * 3600_000 + BUCKET_MS, totals: { notifications: 1 }, maxima: {} })
  await store.record({ at: now - 3 * 3600_000, totals: { notifications: 2 }, maxima: {} })
  await store.record({ at: now, totals: { notifications: 3 }, maxima: {} })

  const buckets = await store.readBuckets(now)
  t.equal(buckets.length, 288)
  const starts = buckets.map((b) => b.start)
  t.ok(
    starts.every((s, i) => i === 0 || s - (starts[i - 1] ?? 0) === BUCKET_MS),
    'evenly spaced'
  )
  t.equal(starts[287], T0 + 24 * 3600_000, 'ends with the bucket of now')
  t.equal(starts[0], T0 + 5 * 60_000, '24 h back, the current bucket included')
  const nonZero = buckets.filter((b) => b.totals.notifications > 0).map((b) => [(b.start - T0) / 60_000, b.totals.notifications])
  t.same(nonZero, [
    [5, 1],
    [21 * 60, 2],
    [24 * 60, 3]
  ])
})

t.test('a bucket is kept 25 hours, each write renews it; zeros and nonsense write nothing', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createActivityStore(redis, '{t}')
  await store.record({ at: T0, totals: { sweeps: 1 }, maxima: {} })
  const key = `{t}:activity:${T0 / 60_000}`
  const ttl = await redis.ttl(key)
  t.ok(ttl > 24 * 3600 && ttl <= 25 * 3600, `kept 25 h (${ttl} s)`)
  await redis.expire(key, 10)
  await store.record({ at: T0 + 1000, totals: { sweeps: 1 }, maxima: {} })
  t.ok((await redis.ttl(key)) > 24 * 3600, 'renewed by a write')

  await store.record({
    at: T0 + 2 * BUCKET_MS,
    totals: { sweeps: 0, statusChanges: Number.NaN, graph429s: -3 },
    maxima: { sweepUsers: Infinity },
    mattermostRate: 0
  })
  t.equal(await redis.exists(`{t}:activity:${(T0 + 2 * BUCKET_MS) / 60_000}`), 0, 'nothing to add: no key, no round trip')

  // Expired (as Redis drops it after 25 h): the bucket reads as zeros.
  await redis.pexpire(key, 1)
  await new Promise((resolve) => setTimeout(resolve, 20))
  const buckets = await store.readBuckets(T0 + 1000)
  t.equal(buckets[287]?.totals.sweeps, 0, 'gone')
})
