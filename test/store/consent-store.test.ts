import t from 'tap'
import { Redis } from 'ioredis'
import { createConsentStore, type ConsentRecord } from '../../src/store/consent-store'
import { usePrivateRedis } from '../helpers/redis-server'

t.test('a state is consumed once, by one of many callers, and expires', async (t) => {
  const server = await usePrivateRedis(t)
  const clients = Array.from({ length: 4 }, () => new Redis(server.url))
  t.teardown(() => clients.forEach((c) => c.disconnect()))
  const stores = clients.map((c) => createConsentStore(c, '{t}'))
  const store = stores[0]!

  await store.issue('s1', { admin: 'root', issuedAt: 1 }, 600_000)
  const ttl = await clients[0]!.pttl('{t}:consent-state:s1')
  t.ok(ttl > 590_000 && ttl <= 600_000, `kept 10 minutes (${ttl} ms)`)
  const results = await Promise.all(stores.flatMap((s) => [s.consume('s1'), s.consume('s1')]))
  t.same(
    results.filter((r) => r !== null),
    [{ admin: 'root', issuedAt: 1 }],
    'exactly one caller gets who started it'
  )
  t.equal(await store.consume('never-issued'), null)

  await store.issue('short', { admin: 'root', issuedAt: 1 }, 50)
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(await store.consume('short'), null, 'an expired state is gone')
})

t.test('records: the last one first, 20 kept', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createConsentStore(redis, '{t}')
  t.equal(await store.last(), null, 'nothing yet')
  const record = (at: number): ConsentRecord => ({ admin: 'root', at, outcome: 'granted', tenant: 'x', tenantCompared: true })
  for (let at = 1; at <= 25; at++) await store.record(record(at))
  t.same(await store.last(), record(25))
  t.equal(await redis.llen('{t}:consents'), 20)
})
