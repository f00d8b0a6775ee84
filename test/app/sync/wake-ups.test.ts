import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { createWakeUps } from '../../../src/app/sync/wake-ups'
import { createJobQueue, wakeUpJobId } from '../../../src/queue/create-job-queue'
import { closeQueues, createQueues } from '../../../src/queue/create-queues'
import { createWakeUpStore } from '../../../src/store/wake-up-store'
import { usePrivateRedis } from '../../helpers/redis-server'
import { silentLogger } from '../../helpers/web-app'

/** A private Redis and the queues on it, closed at teardown. */
async function setup(t: Test) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  const queues = createQueues(redis, '{wk}', silentLogger)
  t.teardown(async () => {
    await closeQueues(queues)
    redis.disconnect()
  })
  return { redis, queues }
}

t.test('a wake-up whose job could not be added leaves no marker: the next decision adds it', async (t) => {
  const { redis, queues } = await setup(t)
  const real = createJobQueue(queues)
  let failNextAdd = true
  const jobs = {
    addWakeUp: async (id: string, at: number) => {
      if (failNextAdd) {
        failNextAdd = false
        throw new Error('redis: connection lost')
      }
      return real.addWakeUp(id, at)
    },
    removeWakeUp: (id: string, at: number) => real.removeWakeUp(id, at)
  }
  const markers = createWakeUpStore(redis, '{wk}')
  const wakeUps = createWakeUps({ markers, jobs })
  const at = Date.now() + 60_000
  await t.rejects(wakeUps.schedule('u1', at))
  t.equal(await markers.get('u1'), null, 'no marker claims a wake-up that does not exist')
  await wakeUps.schedule('u1', at)
  t.same(
    (await queues.sync.getJobs(['delayed'])).map((j) => j.id),
    [wakeUpJobId('u1', at)],
    'added by the next decision with the same time'
  )
  t.equal(await markers.get('u1'), at)
})

t.test('a wake-up job with no marker (it could not be written, or ran out) still runs; a replaced one does not', async (t) => {
  const { redis, queues } = await setup(t)
  const markers = createWakeUpStore(redis, '{wk}')
  const wakeUps = createWakeUps({ markers, jobs: createJobQueue(queues) })
  const at = Date.now() + 60_000
  t.equal(await wakeUps.isCurrent('u1', at), true, 'no marker: run it (a sync is harmless, a missed boundary is not)')
  await wakeUps.schedule('u1', at + 60_000)
  t.equal(await wakeUps.isCurrent('u1', at), false, 'replaced by a later one')
  t.equal(await wakeUps.isCurrent('u1', at + 60_000), true)
})
