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
  t.same(
    [...(await store.ownersOf(['s2', 's1b', 's2', 'never']))],
    [['s2', { mmUserId: 'u2', clientState: 'secret-s2' }]],
    "a notification's look-up: the owner and the secret of the ones held, each once"
  )
})

t.test('health: active, expiring soon, expired, failing with an example error', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createSubscriptionStore(redis, '{t}')
  const now = 1_000_000
  t.same(await store.health(now, 3_600_000), { active: 0, expiringSoon: 0, expired: 0, failing: 0, lastError: null }, 'none')

  await store.save(sub('old', 'u1', now - 1))
  await store.save(sub('soon', 'u2', now + 60_000))
  await store.save(sub('later', 'u3', now + 7_200_000))
  await store.save({ ...sub('bad', 'u4', now + 7_200_000), lastError: 'Graph 400 ValidationError: the notification URL did not answer' })
  await store.setError('soon', 'Graph 503 ServiceUnavailable')
  await store.setError('gone', 'an error for a subscription we no longer hold')
  const { lastError, ...counts } = await store.health(now, 3_600_000)
  t.same(counts, { active: 3, expiringSoon: 1, expired: 1, failing: 2 })
  t.match(lastError, /^Graph (400|503) /, 'one of the errors')

  await store.setError('soon', null)
  await store.remove('bad')
  t.same(
    await store.health(now, 3_600_000),
    { active: 2, expiringSoon: 1, expired: 1, failing: 0, lastError: null },
    'cleared and removed ones no longer count'
  )
  await store.save({ ...sub('again', 'u2', now + 60_000), lastError: 'x' })
  await store.save(sub('again2', 'u2', now + 60_000))
  t.equal((await store.health(now, 3_600_000)).failing, 0, 'a replaced failing subscription no longer counts')
})
