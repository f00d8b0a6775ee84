import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'

// A site with SYNC_USERS=opt-in, end to end: nobody is synced until they type `/calstatus on`,
// and then within seconds (their own enrolment job, not the hourly directory run).

t.setTimeout(300_000)

t.test('opt-in: only the people who turn it on', async (t) => {
  const people: Record<'ivy' | 'ned', Person> = {} as never
  const svc = await startService(t, {
    slashCommand: true,
    env: { SYNC_USERS: 'opt-in' },
    before: (sims) => {
      for (const name of ['ivy', 'ned'] as const) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'America/New_York' })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })
  const say = (p: Person, text: string) => svc.calstatus(p.mmUserId, text)

  t.match(await say(people.ivy, ''), /calstatus on/, 'before: told how to start')
  t.match(await say(people.ivy, 'pause 1h'), /calstatus on/, 'nothing to pause yet')
  t.match(await say(people.ivy, 'on'), /in/i)
  await waitFor("ivy's calendar subscribed", 30 * S, async () =>
    sims.graph.driver.subscriptions().some((s) => s.userId === people.ivy.graphUserId) ? true : undefined
  )
  const start = Date.now() + 15 * S
  for (const p of [people.ivy, people.ned]) sims.graph.driver.addEvent(p.graphUserId, { start, end: start + 20 * S, showAs: 'busy', subject: 'Sync-up' })
  // From 61 s before: a block may be entered up to MAX_EARLY_SECONDS early (docs/status-rules.md#early-starts).
  await waitForStatus(sims, people.ivy, 'dnd', start - 61 * S, 60 * S)
  t.match(await say(people.ivy, 'status'), /Do Not Disturb/, 'status explains the DND')
  await waitFor('the meeting is over', 60 * S, async () => (Date.now() > start + 25 * S ? true : undefined))
  t.same(
    statusChanges(sims, people.ned.mmUserId).filter((c) => byService(sims)(c.who)),
    [],
    'ned never opted in: untouched'
  )
  t.notOk(
    sims.graph.driver.subscriptions().some((s) => s.userId === people.ned.graphUserId),
    'and his calendar is not watched'
  )
  t.match(await say(people.ivy, 'off'), /\S/)
  t.match(await say(people.ivy, ''), /calstatus on/, 'after off: told how to start again')
})
