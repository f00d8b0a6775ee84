import t from 'tap'
import { Registry } from 'prom-client'
import { Redis } from 'ioredis'
import { registerSweepAgeMetric } from '../../src/observability/sweep-age-metric'
import { pingRedis } from '../../src/store/create-redis'
import { createSweepStore } from '../../src/store/sweep-store'
import { usePrivateRedis } from '../helpers/redis-server'

// calstatus_sweep_last_completed_age_seconds, read from a real Redis at scrape time.

const age = async (registry: Registry): Promise<number> => {
  const m = /^calstatus_sweep_last_completed_age_seconds (\S+)$/m.exec(await registry.metrics())
  if (!m?.[1]) throw new Error('no sample')
  return Number(m[1])
}

t.test('seconds since the last completed sweep, through a flush and an outage', async (t) => {
  const redis = await usePrivateRedis(t)
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 })
  client.on('error', () => undefined)
  t.teardown(() => client.disconnect())
  await pingRedis(client, 5000)
  const sweeps = createSweepStore<{ finishedAt: number }>(client, '{age}')
  let now = 1_000_000
  const registry = new Registry()
  registerSweepAgeMetric(
    registry,
    async () => (await sweeps.lastCompleted())?.finishedAt ?? null,
    () => now
  )

  now += 30_000
  t.equal(await age(registry), 30, 'none in Redis: at least since the process started')

  await sweeps.saveSummary({ finishedAt: now - 5000 })
  t.equal(await age(registry), 5, 'from the last summary')
  await sweeps.saveSummary({ finishedAt: now - 2000 })
  t.equal(await age(registry), 2, 'the newest one counts')

  now += 60_000
  await client.flushall()
  t.equal(await age(registry), 62, 'Redis lost its data: still since the last completion this process saw')

  await redis.stop()
  now += 10_000
  t.equal(await age(registry), 72, 'Redis away: the scrape still answers, from what it knew')
})
