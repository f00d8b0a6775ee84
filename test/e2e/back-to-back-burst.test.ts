import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges } from '../helpers/statuses'
import { createSubscriptionStore } from '../../src/store/subscription-store'
import { Redis } from 'ioredis'

// Issue 18's missed starts, reproduced: 300 people, one 1-minute meeting each, 100 starting at
// each of three consecutive whole minutes (at the 2nd and 3rd minute 100 meetings end as 100
// others start), created about 75 s ahead through Graph (so their change notifications arrive),
// one worker, while sweeps run every 10 s (the harshest overlap of sweeps and notification
// syncs). Everyone must be in Do Not Disturb during their meeting, set by the service.

t.setTimeout(600_000)

const PEOPLE = 300
const PER_MINUTE = 100

t.test('back-to-back one-minute meetings across three minutes: nobody misses their start', async (t) => {
  const people: Person[] = []
  const svc = await startService(t, {
    workers: 1,
    env: { MM_MAX_REQUESTS_PER_SECOND: '300', SWEEP_INTERVAL_SECONDS: '10' },
    before: (sims) => {
      for (let i = 0; i < PEOPLE; i++) {
        const name = `person${i}`
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        people.push({ name, ...ids })
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-8000))
  })
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  const subscriptions = createSubscriptionStore(redis, svc.prefix)
  await waitFor('a subscription for everyone', 120 * S, async () => {
    for (const p of people) if (!(await subscriptions.byUser(p.mmUserId))) return undefined
    return true
  })

  // The first whole minute at least 75 s away; the meetings go in 75 s before it.
  const first = Math.ceil((Date.now() + 76 * S) / MINUTE) * MINUTE
  await new Promise((r) => setTimeout(r, Math.max(0, first - 75 * S - Date.now())))
  const meetings = people.map((p, i) => {
    const start = first + Math.floor(i / PER_MINUTE) * MINUTE
    sims.graph.driver.addEvent(p.graphUserId, { start, end: start + MINUTE, showAs: 'busy', subject: 'Stand-up' })
    return { p, start, end: start + MINUTE }
  })
  const lastEnd = first + (PEOPLE / PER_MINUTE) * MINUTE
  await new Promise((r) => setTimeout(r, lastEnd - Date.now() + 5 * S))

  const ours = byService(sims)
  const missed: string[] = []
  const lateness: number[] = []
  for (const { p, start, end } of meetings) {
    const dnd = statusChanges(sims, p.mmUserId).find((c) => c.to === 'dnd' && ours(c.who) && c.time < end && c.time >= start - MINUTE)
    if (!dnd) missed.push(p.name)
    else lateness.push(dnd.time - start)
  }
  lateness.sort((a, b) => a - b)
  t.comment(
    `lateness (DND write - start): p50 ${lateness[Math.floor(lateness.length / 2)]} ms, p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms, max ${lateness.at(-1)} ms; earliest ${lateness[0]} ms`
  )
  t.same(missed, [], `all ${PEOPLE} went to Do Not Disturb during their meeting`)
  for (const { p, start } of meetings) {
    const early = statusChanges(sims, p.mmUserId).find((c) => c.to === 'dnd' && c.time < start - MINUTE)
    if (early) t.fail(`${p.name}: DND more than 60 s before the start`)
  }
})
