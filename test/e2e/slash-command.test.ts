import t from 'tap'
import type { Simulators } from '../../sim/index'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'

// `/calstatus` end to end: the real web and worker processes against the simulators, the
// Mattermost simulator sending the slash commands and the button and menu callbacks exactly as
// Mattermost does (form fields and token, signed contexts echoed back). Everyone's meeting starts
// at the same instant, a little ahead, so one wait covers every case.

const NAMES = ['pia', 'rex', 'ava', 'oli', 'cody', 'dee', 'sam', 'dan', 'eve'] as const
type Name = (typeof NAMES)[number]

/** The bot's posts in the person's direct message channel, oldest first. */
function dms(sims: Simulators, p: Person) {
  const channel = sims.mattermost.driver.directChannelId(sims.mattermost.botUserId, p.mmUserId)
  return channel ? sims.mattermost.driver.posts(channel).filter((post) => post.user_id === sims.mattermost.botUserId) : []
}

type Action = { id: string; type: string; name: string }
const actionsOf = (post: { props: Record<string, unknown> }): Action[] =>
  ((post.props['attachments'] ?? []) as Array<{ actions?: Action[] }>).flatMap((a) => a.actions ?? [])

t.setTimeout(600_000)

t.test('a person’s own controls, from Mattermost alone', async (t) => {
  const people = {} as Record<Name, Person>
  const svc = await startService(t, {
    slashCommand: true,
    before: (sims) => {
      for (const name of NAMES) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
    }
  })
  const { sims } = svc
  const mm = sims.mattermost.driver
  const ours = byService(sims)
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-8000))
  })
  const say = (name: Name, text: string): Promise<string> => svc.calstatus(people[name].mmUserId, text)
  const byServiceTo = (p: Person, status: string) => statusChanges(sims, p.mmUserId).filter((c) => ours(c.who) && c.to === status)

  await waitFor('everyone enrolled and subscribed', 30 * S, async () => (sims.graph.driver.subscriptions().length >= NAMES.length ? true : undefined))

  // Before the meetings: the choices people make.
  t.match(await say('pia', 'pause 1h'), /Paused until/)
  await say('rex', 'pause 1h')
  mm.setStatus(people.ava.mmUserId, 'away') // by hand: manual
  t.match(await say('ava', 'autopilot 2h'), /\S/)
  for (const name of ['cody', 'dee', 'sam'] as const) t.match(await say(name, 'settings'), /direct message/)
  const panelOf = (name: Name) => dms(sims, people[name]).at(-1)!
  // cody and dee: Ask first (a button that turns it on); sam: busy → Away (a menu).
  for (const name of ['cody', 'dee'] as const) {
    const ask = actionsOf(panelOf(name)).find((a) => a.type === 'button' && /confirm/.test(a.id))!
    const r = await mm.clickButton({ userId: people[name].mmUserId, postId: panelOf(name).id, actionId: ask.id })
    t.match(r.ephemeralText, /Ask first/, `${name}: Ask first on`)
  }
  const busyMenu = actionsOf(panelOf('sam')).find((a) => a.type === 'select' && /busy$/.test(a.id))!
  t.match((await mm.selectOption({ userId: people.sam.mmUserId, postId: panelOf('sam').id, actionId: busyMenu.id, value: 'away' })).ephemeralText, /Away/)

  // The meetings: everyone at the same instant; oli's is long, dan has two.
  const start = Date.now() + 25 * S
  const g = sims.graph.driver
  for (const name of NAMES) {
    if (name === 'oli') g.addEvent(people.oli.graphUserId, { start, end: start + 30 * MINUTE, showAs: 'busy', subject: 'Offsite' })
    else g.addEvent(people[name].graphUserId, { start, end: start + MINUTE, showAs: 'busy', subject: `Meeting of ${name}` })
  }
  g.addEvent(people.dan.graphUserId, { start: start + 2 * MINUTE, end: start + 3 * MINUTE, showAs: 'busy', subject: 'Second one' })

  // Ask first: a question at the start instead of a change.
  for (const name of ['cody', 'dee'] as const) {
    await waitFor(`${name} is asked`, 60 * S, async () => (actionsOf(dms(sims, people[name]).at(-1)!).some((a) => a.id === 'confirmyes') ? true : undefined))
  }
  const question = (name: Name) => dms(sims, people[name]).at(-1)!
  // The pre-roll may ask up to MAX_EARLY_SECONDS before the start (docs/status-rules.md#early-starts).
  t.ok(Date.now() >= start - 61 * S, 'asked by the start, not more than 60 s before')
  t.match(question('cody').message, /Meeting of cody/)
  const yes = await mm.clickButton({ userId: people.cody.mmUserId, postId: question('cody').id, actionId: 'confirmyes' })
  t.match(yes.updatedPost?.message ?? '', /Do Not Disturb/, 'the post says what was chosen')
  t.same(actionsOf(yes.updatedPost!), [], 'and has no buttons left')
  const no = await mm.clickButton({ userId: people.dee.mmUserId, postId: question('dee').id, actionId: 'confirmno' })
  t.match(no.updatedPost?.message ?? '', /as it was/i)
  await waitForStatus(sims, people.cody, 'dnd', start - 61 * S, 30 * S)
  t.ok(byServiceTo(people.cody, 'dnd').length === 1, 'cody: DND once, after yes')

  // Everyone else at the start.
  await waitForStatus(sims, people.eve, 'dnd', start - 61 * S, 60 * S)
  await waitForStatus(sims, people.ava, 'dnd', start - 61 * S, 30 * S)
  t.ok(byServiceTo(people.ava, 'dnd').length === 1, 'ava: autopilot sets DND over her own Away')
  const samAway = await waitFor('sam away', 30 * S, async () => byServiceTo(people.sam, 'away')[0])
  t.ok(samAway.time >= start - 61 * S, 'sam: Away at the start (at most 60 s early), as he chose for busy meetings')
  await waitForStatus(sims, people.oli, 'dnd', start - 61 * S, 30 * S)

  // rex resumes during his meeting: DND at once.
  const resumedAt = Date.now()
  t.match(await say('rex', 'resume'), /\S/)
  await waitForStatus(sims, people.rex, 'dnd', resumedAt, 20 * S)

  // oli turns it off during his meeting: his status comes back.
  const offAt = Date.now()
  t.match(await say('oli', 'off'), /\S/)
  await waitFor('oli back online', 20 * S, async () => (byServiceTo(people.oli, 'online').find((c) => c.time >= offAt) ? true : undefined))
  await waitFor("oli's custom status cleared", 20 * S, async () =>
    sims.mattermost.history.customStatuses.find((c) => c.userId === people.oli.mmUserId && c.action === 'clear' && c.time >= offAt) ? true : undefined
  )

  // The rest of the first minute: pia paused and dee declined stay as they were.
  await waitFor('the first meetings are over', 2 * MINUTE, async () => (Date.now() > start + MINUTE + 5 * S ? true : undefined))
  t.same(
    statusChanges(sims, people.pia.mmUserId).filter((c) => ours(c.who)),
    [],
    'pia (paused): nothing changed'
  )
  t.same(
    statusChanges(sims, people.dee.mmUserId).filter((c) => ours(c.who)),
    [],
    'dee (declined): nothing changed'
  )
  t.notOk(
    sims.mattermost.history.customStatuses.some((c) => c.userId === people.dee.mmUserId || c.userId === people.pia.mmUserId),
    'nor their custom statuses'
  )

  // Messages: once a day by default. dan has two meetings and gets one message, naming both.
  await waitForStatus(sims, people.dan, 'dnd', start + 2 * MINUTE - 61 * S, 2 * MINUTE)
  const danMessages = dms(sims, people.dan)
  t.equal(danMessages.length, 1, 'dan: one message for the day')
  t.match(danMessages[0]?.message ?? '', /Meeting of dan[\s\S]*Second one/, 'listing the day’s meetings')
  t.match(danMessages[0]?.message ?? '', /\/calstatus pause/, 'and how to pause')

  // ava: autopilot hands back Online at the end, not her Away.
  await waitFor('ava back online', 3 * MINUTE, async () => (mm.status(people.ava.mmUserId).status === 'online' ? true : undefined))
  t.comment(`ava: ${JSON.stringify(statusChanges(sims, people.ava.mmUserId).map((c) => [c.time - start, c.from, c.to, c.manual, c.who.slice(0, 8)]))}`)
})
