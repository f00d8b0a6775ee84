import t from 'tap'
import { Redis } from 'ioredis'
import { createSubscriptionStore, type StoredSubscription } from '../../src/store/subscription-store'
import { usePrivateRedis } from '../helpers/redis-server'

const sub = (id: string, mmUserId: string, expiresAt: number): StoredSubscription => ({
  id,
  mmUserId,
  graphUserId: `g-${mmUserId}`,
  clientState: `secret-${id}`,
  expiresAt,
  lastRenewedAt: 1,
  lastError: null
})

t.test('one subscription per user, expiry order, removal, errors', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createSubscriptionStore(redis, '{t}')

  await store.save(sub('s1', 'u1', 3000))
  await store.save(sub('s2', 'u2', 1000))
  t.equal(await store.count(), 2)
  t.same(await store.expiringBefore(5000, 10), ['s2', 's1'], 'soonest first')
  t.same(await store.expiringBefore(2000, 10), ['s2'])

  await store.save(sub('s1b', 'u1', 9000))
  t.equal((await store.byUser('u1'))?.id, 's1b', 'a new subscription replaces the old one')
  t.equal(await store.get('s1'), null)
  t.equal(await store.count(), 2)

  await store.setError('s2', 'renew failed: 500')
  t.equal((await store.get('s2'))?.lastError, 'renew failed: 500')
  await store.setError('gone', 'x')
  t.equal(await store.get('gone'), null, 'an error for an unknown subscription creates nothing')

  await store.remove('s1') // already replaced: must not unlink u1's current subscription
  t.equal((await store.byUser('u1'))?.id, 's1b')
  await store.remove('s1b')
  t.equal(await store.byUser('u1'), null)
  t.same([...(await store.getMany(['s2', 's1b', 's2'])).keys()], ['s2'])
})
