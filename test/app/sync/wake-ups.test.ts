import t, { type Test } from 'tap'
import { createWakeUps } from '../../../src/app/sync/wake-ups'
import { cohortJobId } from '../../../src/queue/create-job-queue'
import { createWakeUpStore } from '../../../src/store/wake-up-store'
import { useQueues } from '../../helpers/queues'

// Wake-ups in cohorts (docs/architecture.md, "Wake-ups"), on a real Redis and real BullMQ queues.

const PREFIX = '{wk}'

/** A private Redis and the queues on it, closed at teardown. */
async function setup(t: Test) {
  const { redis, queues, jobs } = await useQueues(t, PREFIX)
  return { redis, queues, markers: createWakeUpStore(redis, PREFIX), jobs }
}

const delayedIds = async (queues: Awaited<ReturnType<typeof setup>>['queues']) => (await queues.sync.getJobs(['delayed'])).map((j) => j.id ?? '').sort()

t.test('users due at the same instant share its cohort: two runs per instant, however many join', async (t) => {
  const { queues, markers, jobs } = await setup(t)
  const wakeUps = createWakeUps({ markers, jobs, earlyRunLeadMs: 65_000 })
  const at = Math.ceil(Date.now() / 60_000) * 60_000 + 10 * 60_000
  for (const id of ['a', 'b', 'c']) await wakeUps.schedule(id, at)
  await wakeUps.schedule('a', at)
  t.same(await delayedIds(queues), [cohortJobId(at, 'early'), cohortJobId(at, 'on-time')].sort(), 'the early and on-time runs of the instant, once')
  t.same((await markers.cohort(at)).sort(), ['a', 'b', 'c'])
  const early = await queues.sync.getJob(cohortJobId(at, 'early'))
  t.ok(early && Math.abs(early.timestamp + early.delay - (at - 65_000)) < 1000, 'the early run is due MAX_EARLY_SECONDS and planning time before')

  // Moving a user moves them between cohorts; none needed takes them out.
  await wakeUps.schedule('b', at + 60_000)
  await wakeUps.schedule('c', null)
  t.same(await markers.cohort(at), ['a'])
  t.same(await markers.cohort(at + 60_000), ['b'])
  t.equal(await markers.get('c'), null)
  t.equal(await wakeUps.isCurrent('b', at), false, 'a run for the old time skips b')
  t.equal(await wakeUps.isCurrent('b', at + 60_000), true)
})

t.test('joining a cohort whose on-time run took its members: a wake-up of their own, every time', async (t) => {
  const { queues, markers, jobs } = await setup(t)
  const wakeUps = createWakeUps({ markers, jobs, earlyRunLeadMs: 0 })
  const at = Date.now() + 30_000
  await wakeUps.schedule('a', at)
  t.same(await markers.closeCohort(at, 60_000), ['a'], 'the on-time run takes a')
  await wakeUps.schedule('late', at)
  const own = (await queues.sync.getJobs(['delayed'])).filter((j) => j.name === 'wake-up')
  t.same(
    own.map((j) => j.data),
    [{ userId: 'late', at }],
    'the late joiner has a wake-up of their own'
  )
  t.same(await markers.cohort(at), ['a'], 'and is not in the closed cohort')
  // The same user and instant again (moved away and back): a second job, not one BullMQ ignores.
  await wakeUps.schedule('late', at + 60_000)
  await wakeUps.schedule('late', at)
  t.equal((await queues.sync.getJobs(['delayed'])).filter((j) => j.name === 'wake-up').length, 2, 'each with its own id')
})

t.test('a wake-up whose cohort jobs could not be added leaves no marker: the next decision adds them', async (t) => {
  const { queues, markers, jobs: real } = await setup(t)
  let failNextAdd = true
  const jobs = {
    ...real,
    addCohort: async (at: number, lead: number) => {
      if (failNextAdd) {
        failNextAdd = false
        throw new Error('redis: connection lost')
      }
      return real.addCohort(at, lead)
    }
  }
  const wakeUps = createWakeUps({ markers, jobs, earlyRunLeadMs: 0 })
  const at = Date.now() + 60_000
  await t.rejects(wakeUps.schedule('u1', at))
  t.equal(await markers.get('u1'), null, 'no marker claims a wake-up that does not exist')
  await wakeUps.schedule('u1', at)
  t.same(await delayedIds(queues), [cohortJobId(at, 'on-time')], 'added by the next decision with the same time')
  t.equal(await markers.get('u1'), at)
})

t.test('a wake-up job with no marker (it ran out) still runs; a replaced one does not', async (t) => {
  const { markers, jobs } = await setup(t)
  const wakeUps = createWakeUps({ markers, jobs, earlyRunLeadMs: 0 })
  const at = Date.now() + 60_000
  t.equal(await wakeUps.isCurrent('u1', at), true, 'no marker: run it (a sync is harmless, a missed boundary is not)')
  await wakeUps.schedule('u1', at + 60_000)
  t.equal(await wakeUps.isCurrent('u1', at), false, 'replaced by a later one')
  t.equal(await wakeUps.isCurrent('u1', at + 60_000), true)
})
