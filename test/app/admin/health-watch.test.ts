import t from 'tap'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { createHealthWatch } from '../../../src/app/admin/health-watch'
import { createAdminNotices } from '../../../src/app/admin-notices'
import { createProblemStore } from '../../../src/store/problem-store'
import { createSubscriptionStore } from '../../../src/store/subscription-store'
import { usePrivateRedis } from '../../helpers/redis-server'
import { silentLogger } from '../../helpers/web-app'

// The health job on a real Redis: no persistence, an evicting policy and failing subscriptions
// become admin notices (listed, DMed once), and go away with a recovery message once fixed.

t.test('Redis without persistence, with eviction, and failing subscriptions: noticed, then cleared', async (t) => {
  const redis = new Redis((await usePrivateRedis(t)).url)
  t.teardown(() => redis.disconnect())
  const dms: string[] = []
  const notices = createAdminNotices({
    problems: createProblemStore(redis, '{h}'),
    messenger: () => ({ messageAdmins: async (m: string) => (dms.push(m), { sent: 1, failed: 0 }) }),
    log: silentLogger,
    registry: new Registry(),
    adminPageUrl: 'https://calstatus.example.com/admin'
  })
  const subscriptions = createSubscriptionStore(redis, '{h}')
  await subscriptions.save({
    id: 's1',
    mmUserId: 'u1',
    graphUserId: 'g1',
    clientState: 'c',
    expiresAt: Date.now() + 86_400_000,
    lastRenewedAt: Date.now(),
    lastError: null
  })
  await subscriptions.setError('s1', 'validation handshake failed: 404')
  await redis.config('SET', 'maxmemory-policy', 'allkeys-lru')
  await redis.config('SET', 'appendonly', 'no')
  await redis.config('SET', 'save', '')
  const watch = createHealthWatch({ subscriptions, redis, notices })
  t.match(await watch(), { outcome: 'done', detail: { failingSubscriptions: 1, redisProblems: 2 } })
  const kinds = (await notices.current()).map((p) => p.kind).sort()
  t.same(kinds, ['redis-eviction', 'redis-persistence', 'subscriptions-failing'], 'three problems listed')
  t.equal(dms.length, 3, 'and the admins told of each')
  t.match(dms.join('\n'), /PUBLIC_URL/, 'with the fix')
  t.ok(
    dms.every((m) => m.includes('https://calstatus.example.com/admin')),
    'and a link to the admin page'
  )
  await watch()
  t.equal(dms.length, 3, 'not told again within the hour')

  await redis.config('SET', 'maxmemory-policy', 'noeviction')
  await redis.config('SET', 'appendonly', 'yes')
  await subscriptions.setError('s1', null)
  await watch()
  t.same(await notices.current(), [], 'all clear')
  t.equal(dms.length, 6, 'a recovery message for each')
  await redis.config('SET', 'appendonly', 'no')
})
