import t from 'tap'
import { Redis } from 'ioredis'
import { createNonceStore } from '../../src/store/nonce-store'
import { usePrivateRedis } from '../helpers/redis-server'

const NOW = Date.UTC(2024, 5, 3, 9, 0)

t.test('a nonce is used once; it is kept until a minute after its expiry', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createNonceStore(redis, '{t}', { now: () => NOW })

  t.equal(await store.useOnce('n1', NOW + 600_000), true, 'first use')
  t.equal(await store.useOnce('n1', NOW + 600_000), false, 'second use')
  t.equal(await store.useOnce('n2', NOW + 600_000), true, 'another nonce is its own')

  const ttl = await redis.pttl('{t}:action-nonce:n1')
  t.ok(ttl > 600_000 && ttl <= 660_000, `kept for the rest of its life plus a minute (${ttl} ms)`)

  t.equal(await store.useOnce('old', NOW - 3_600_000), true, 'an already expired one is still recorded')
  const oldTtl = await redis.pttl('{t}:action-nonce:old')
  t.ok(oldTtl > 0 && oldTtl <= 60_000, `for a minute (${oldTtl} ms)`)
  t.equal(await store.useOnce('old', NOW - 3_600_000), false)
})

t.test('of many uses at once, exactly one wins', async (t) => {
  const server = await usePrivateRedis(t)
  const clients = Array.from({ length: 5 }, () => new Redis(server.url))
  t.teardown(() => clients.forEach((c) => c.disconnect()))
  const stores = clients.map((c) => createNonceStore(c, '{t}'))
  const results = await Promise.all(stores.flatMap((s) => Array.from({ length: 10 }, () => s.useOnce('race', Date.now() + 60_000))))
  t.equal(results.filter(Boolean).length, 1)
})
