import t, { type Test } from 'tap'
import { createDrainInbox } from '../../src/app/drain-inbox'
import { createNotificationInbox, type NotificationInbox } from '../../src/store/notification-inbox'
import { useQueues } from '../helpers/queues'

// The notification inbox and its drain (docs/architecture.md#notifications), on a real Redis and
// real BullMQ queues: notified users become sync-user jobs, each user's notification is either
// turned into a job or still in the inbox, never neither.

const PREFIX = '{inbox}'

async function setup(t: Test) {
  const { redis, queues, jobs } = await useQueues(t, PREFIX)
  const inbox = createNotificationInbox(redis, PREFIX)
  const pending = async (name: string) => (await queues.sync.getJobs(['delayed', 'waiting'])).filter((j) => j.name === name)
  return { redis, queues, inbox, jobs, pending }
}

t.test('the first write arms the inbox (its writer asks for a drain); the drain disarms it and queues one sync per user', async (t) => {
  const { inbox, jobs, pending } = await setup(t)
  t.equal(await inbox.add(['a', 'b']), true, 'first write: ask for a drain')
  t.equal(await inbox.add(['b', 'c']), false, 'armed: a drain is on its way')
  t.equal(await inbox.size(), 3)
  const outcome = await createDrainInbox({ inbox, jobs })()
  t.same(outcome, { outcome: 'done', detail: { queued: 3 } })
  t.equal(await inbox.size(), 0, 'the inbox is empty once the jobs are queued')
  const syncs = await pending('sync-user')
  t.same(
    syncs.map((j) => j.data).sort((x, y) => x.userId.localeCompare(y.userId)),
    [
      { userId: 'a', reason: 'notification' },
      { userId: 'b', reason: 'notification' },
      { userId: 'c', reason: 'notification' }
    ]
  )
  t.ok(
    syncs.every((j) => j.delay === 0 && j.deduplicationId === `sync-user:${j.data.userId}`),
    'at once (the inbox was the wait), one per user'
  )
  t.equal(await inbox.add(['d']), true, 'after a drain began, the next write asks for the next drain')
})

t.test('a user notified again between take and done stays in the inbox for the next drain', async (t) => {
  const { inbox, jobs, pending } = await setup(t)
  await inbox.add(['a', 'b'])
  // An inbox whose `done` comes after a newer notification for b.
  const racing: NotificationInbox = {
    ...inbox,
    async done(entries) {
      await inbox.add(['b'])
      return inbox.done(entries)
    }
  }
  await createDrainInbox({ inbox: racing, jobs })()
  t.same(await inbox.take(10).then((e) => e.map((x) => x.mmUserId)), ['b'], 'b, notified after its job was queued, is still there')
  t.equal((await pending('sync-user')).length, 2, 'a and b queued once each so far')
  await createDrainInbox({ inbox, jobs })()
  t.equal(await inbox.size(), 0)
  t.equal((await pending('sync-user')).length, 2, "b's second sync folds into its pending job (deduplication)")
})

t.test('a drain stopped after queuing but before done: the users are queued again next time, never lost', async (t) => {
  const { inbox, jobs, pending } = await setup(t)
  await inbox.add(['a'])
  const crashing: NotificationInbox = {
    ...inbox,
    async done() {
      throw new Error('the worker died here')
    }
  }
  await t.rejects(createDrainInbox({ inbox: crashing, jobs })(), /died/)
  t.equal(await inbox.size(), 1, 'still in the inbox')
  await createDrainInbox({ inbox, jobs })()
  t.equal(await inbox.size(), 0)
  t.equal((await pending('sync-user')).length, 1, 'one sync for a')
})

t.test('a big inbox: 20 steps of 1,000 per run, then the next drain is asked for', async (t) => {
  const { inbox, jobs, pending } = await setup(t)
  const users = Array.from({ length: 25_000 }, (_, i) => `u${i}`)
  await inbox.add(users)
  const first = await createDrainInbox({ inbox, jobs })()
  t.same(first, { outcome: 'done', detail: { queued: 20_000, more: true } })
  t.equal(await inbox.size(), 5000)
  t.equal((await pending('drain-inbox')).length, 1, 'the rest is left to the next drain')
  const second = await createDrainInbox({ inbox, jobs })()
  t.same(second, { outcome: 'done', detail: { queued: 5000 } })
  t.equal((await pending('sync-user')).length, 25_000)
})

t.test('drain jobs: one pending at a time however often asked for', async (t) => {
  const { jobs, pending } = await setup(t)
  for (let i = 0; i < 5; i++) await jobs.drainInbox()
  t.equal((await pending('drain-inbox')).length, 1)
})
