import t from 'tap'
import { Redis } from 'ioredis'
import { createSendNotice } from '../../../src/app/sync/send-notice'
import { createDailyNoticeStore, type DailyNoticeStore } from '../../../src/store/daily-notice-store'
import { usePrivateRedis } from '../../helpers/redis-server'
import { silentLogger } from '../../helpers/web-app'

// The daily message goes once a day per person (claimed in Redis), and is not lost when Redis
// is away for a moment: the claim is asked again, then the message is sent anyway.

const daily = { kind: 'daily' as const, text: 'Good morning', day: 20_000 }

function recorder() {
  const sent: string[] = []
  return { sent, mattermost: { sendDirectMessage: async (id: string) => (sent.push(id), { postId: 'p', channelId: 'c' }) } }
}

t.test('once per person and day, on a real Redis', async (t) => {
  const redis = new Redis((await usePrivateRedis(t)).url)
  t.teardown(() => redis.disconnect())
  const { sent, mattermost } = recorder()
  const send = createSendNotice({ mattermost, daily: createDailyNoticeStore(redis, '{n}'), actions: null, log: silentLogger })
  t.equal(await send('u1', daily), true)
  t.equal(await send('u1', daily), false, 'the second offer of the day: not sent')
  t.equal(await send('u1', { ...daily, day: 20_001 }), true, 'the next day: sent')
  t.equal(await send('u2', daily), true, 'someone else: sent')
  t.same(sent, ['u1', 'u1', 'u2'])
})

t.test('Redis away for a moment: asked again; away for longer: sent anyway', async (t) => {
  const failing = (failures: number): DailyNoticeStore & { calls: number } => {
    const store = {
      calls: 0,
      async claim() {
        store.calls += 1
        if (store.calls <= failures) throw new Error('Connection is closed.')
        return true
      },
      async unclaim() {}
    }
    return store
  }
  const brief = failing(2)
  const a = recorder()
  t.equal(await createSendNotice({ mattermost: a.mattermost, daily: brief, actions: null, log: silentLogger })('u1', daily), true)
  t.same([brief.calls, a.sent], [3, ['u1']], 'two failures, then the claim')
  const long = failing(100)
  const b = recorder()
  t.equal(await createSendNotice({ mattermost: b.mattermost, daily: long, actions: null, log: silentLogger })('u1', daily), true)
  t.same([long.calls, b.sent], [4, ['u1']], 'four tries, then sent without the claim')
})
