import t from 'tap'
import { cohortJobId } from '../../src/queue/create-job-queue'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { MINUTE, type Person, S } from '../helpers/statuses'

// Someone who leaves (deactivated in Mattermost) is dropped by the next directory run, end to
// end: the real web and worker processes against the simulators, with a private Redis. Their
// pending wake-up goes, their subscription is deleted in Graph, and their state is forgotten.
// Someone whose e-mail Mattermost no longer vouches for (docs/mattermost.md#who-is-enrolled)
// leaves the same way.

t.test('a user who leaves: wake-up cancelled, subscription deleted, state dropped', async (t) => {
  const people: Record<string, Person> = {}
  let ceoGraphId = ''
  const svc = await startService(t, {
    before: (sims) => {
      ceoGraphId = sims.graph.driver.addUser({ mail: 'ceo@example.com', userPrincipalName: 'ceo@example.com' }).id
      for (const name of ['leo', 'ursa', 'stay']) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com` })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
        // A meeting later today: each gets a pending wake-up at its start.
        const start = Math.ceil(Date.now() / MINUTE) * MINUTE + 60 * MINUTE
        sims.graph.driver.addEvent(ids.graphUserId, { start, end: start + 30 * MINUTE, showAs: 'busy', subject: 'Later' })
      }
    }
  })
  const { sims, prefix } = svc
  const leo = people['leo']!
  const ursa = people['ursa']!
  const stay = people['stay']!
  const redis = new Redis(svc.redis.url)
  const maintenance = new Queue('maintenance', { connection: redis, prefix })
  const sync = new Queue('sync', { connection: redis, prefix })
  t.teardown(async () => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
    await maintenance.close()
    await sync.close()
    redis.disconnect()
  })
  const subscriptionOf = (p: Person) => sims.graph.driver.subscriptions().find((s) => s.userId === p.graphUserId)
  /** The person's pending wake-ups: 1 when marked, a member of that instant's cohort, and its run pending. */
  const wakeUpJobsOf = async (p: Person): Promise<number[]> => {
    const at = await redis.get(`${prefix}:wake-at:${p.mmUserId}`)
    if (at === null) return []
    const member = await redis.sismember(`${prefix}:cohort:${at}`, p.mmUserId)
    return member === 1 && (await sync.getJobState(cohortJobId(Number(at), 'on-time'))) === 'delayed' ? [Number(at)] : []
  }

  await waitFor('all subscribed and with a wake-up', 30 * S, async () => {
    for (const p of [leo, ursa, stay]) if (!subscriptionOf(p) || (await wakeUpJobsOf(p)).length !== 1) return undefined
    return true
  })
  t.ok(await redis.exists(`${prefix}:wake-at:${leo.mmUserId}`), "leo's wake-up marker")

  sims.mattermost.driver.deactivateUser(leo.mmUserId)
  // Ursa moves to e-mail-and-password sign-in and sets the CEO's address (unverified).
  sims.mattermost.driver.updateUser(ursa.mmUserId, { authService: '', email: 'ceo@example.com' })
  // The hourly directory run, now.
  await maintenance.add('directory', { reason: 'test' })

  await waitFor('leo dropped', 30 * S, async () => ((await redis.sismember(`${prefix}:enrolled`, leo.mmUserId)) === 0 ? true : undefined))
  await waitFor("leo's subscription deleted in Graph", 10 * S, async () => (subscriptionOf(leo) ? undefined : true))
  t.same(await wakeUpJobsOf(leo), [], 'no wake-up job left for leo')
  t.equal(await redis.exists(`${prefix}:wake-at:${leo.mmUserId}`), 0, 'no wake-up marker left')
  t.equal(await redis.exists(`${prefix}:user:${leo.mmUserId}`), 0, 'his state is forgotten')
  t.equal(await redis.hget(`${prefix}:sub-by-user`, leo.mmUserId), null, 'no stored subscription')

  await waitFor('ursa dropped', 30 * S, async () => ((await redis.sismember(`${prefix}:enrolled`, ursa.mmUserId)) === 0 ? true : undefined))
  await waitFor("ursa's subscription deleted in Graph", 10 * S, async () => (subscriptionOf(ursa) ? undefined : true))
  t.same(await wakeUpJobsOf(ursa), [], 'no wake-up job left for ursa')
  t.equal(await redis.exists(`${prefix}:user:${ursa.mmUserId}`), 0, 'her state is forgotten')
  t.notOk(
    sims.graph.driver.subscriptions().some((s) => s.userId === ceoGraphId),
    "nobody subscribed to the CEO's calendar"
  )

  t.ok(subscriptionOf(stay), 'the other person keeps her subscription')
  t.equal((await wakeUpJobsOf(stay)).length, 1, 'and her wake-up')
  t.equal(await redis.sismember(`${prefix}:enrolled`, stay.mmUserId), 1, 'and stays enrolled')
})
