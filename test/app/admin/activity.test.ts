import t from 'tap'
import { Redis } from 'ioredis'
import { createActivity } from '../../../src/app/admin/activity'
import { BUCKET_MS, createActivityStore } from '../../../src/store/activity-store'
import { usePrivateRedis } from '../../helpers/redis-server'

const T0 = Date.UTC(2024, 5, 3, 9, 0)

t.test('the last 24 h as chart series: 288 points each, rates per unit, the ceiling', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createActivityStore(redis, '{t}')
  await store.record({
    at: T0 + 1000,
    totals: { notifications: 600, mattermostCalls: 1500, statusChanges: 7, graph429s: 2 },
    maxima: { sweepLongestSeconds: 31, sweepUsers: 1200 },
    mattermostRate: 18
  })
  // The current bucket, one minute in.
  await store.record({ at: T0 + BUCKET_MS + 1000, totals: { notifications: 30, mattermostCalls: 120 }, maxima: {} })
  const activity = createActivity({ activity: store, config: { mattermost: { maxRequestsPerSecond: 20 } } })
  const report = await activity.readLast24h(T0 + BUCKET_MS + 60_000)

  t.equal(report.statusChanges.length, 288)
  t.equal(report.statusChanges[287]?.t, T0 + BUCKET_MS, 'the current bucket is last')
  t.equal(report.statusChanges[286]?.v, 7)
  t.equal(report.notificationsPerMinute[286]?.v, 120, '600 in 5 minutes')
  t.equal(report.notificationsPerMinute[287]?.v, 30, 'the current bucket: over the minute that passed')
  t.equal(report.mattermostPerSecond[286]?.v, 5)
  t.equal(report.mattermostPerSecond[287]?.v, 2)
  t.equal(report.mattermostBusiestPerSecond[286]?.v, 18)
  t.equal(report.mattermostCeiling, 20)
  t.equal(report.sweepSeconds[286]?.v, 31)
  t.equal(report.sweepUsers[286]?.v, 1200)
  t.equal(report.graph429s[286]?.v, 2)
  t.equal(
    report.mattermost429s.reduce((s, p) => s + p.v, 0),
    0,
    'none'
  )
  t.equal(report.customStatusChanges[0]?.v, 0, 'a day-old gap is 0')

  const none = await createActivity({ activity: store, config: { mattermost: null } }).readLast24h(T0)
  t.equal(none.mattermostCeiling, null, 'no Mattermost, no ceiling')
})
