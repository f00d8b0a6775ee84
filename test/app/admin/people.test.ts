import t, { type Test } from 'tap'
import { createPeople } from '../../../src/app/admin/people'
import { createSyncUsers } from '../../../src/app/sync/sync-users'
import type { ScheduleResult } from '../../../src/graph/fetch-schedules'
import { createPeopleIndex } from '../../../src/store/people-index'
import { createWakeUpStore } from '../../../src/store/wake-up-store'
import { graphTime, useSyncParts } from '../../helpers/sync-parts'
import { silentLogger as log } from '../../helpers/web-app'

// The admin page's people use case on real records: a real sync against a private Redis and the
// Mattermost simulator writes them; the calendar is a function returning Graph-shaped items.

const PREFIX = '{adm}'

async function setup(t: Test) {
  const parts = await useSyncParts(t, PREFIX)
  const { sim, users, defaults, wakeUps, sendNotice, mattermost, redis } = parts
  const calendar = new Map<string, ScheduleResult>()
  const sync = createSyncUsers({
    users,
    calendars: {
      fetchSchedules: async (emails) => ({
        results: new Map(emails.map((e) => [e, calendar.get(e) ?? { kind: 'schedule' as const, items: [], fetchedAt: Date.now() }]))
      })
    },
    mattermost,
    sendNotice,
    canAsk: false,
    defaults,
    wakeUps,
    log
  })
  const people = (statusBudgetMs = 1500, perPage = 50) =>
    createPeople(
      { index: createPeopleIndex(redis, PREFIX), users, defaults, wakeUpMarkers: createWakeUpStore(redis, PREFIX), mattermost, log },
      { statusBudgetMs, perPage }
    )
  const add = async (username: string) => {
    const u = sim.driver.addUser({ username, email: `${username}@example.com` })
    sim.driver.presence(u.id, 'active')
    await users.upsertFromDirectory([{ mmUserId: u.id, email: `${username}@Example.com`, username, timeZone: 'UTC', isSystemAdmin: false }])
    await users.setGraphIdentity(u.id, `g-${username}`, 'ok')
    return u.id
  }
  return { ...parts, calendar, sync, people, add }
}

t.test('a person in a meeting: what the service set, why, until when, and their status now', async (t) => {
  const { calendar, sync, people, add, users, defaults } = await setup(t)
  const alice = await add('alice')
  const end = Math.ceil(Date.now() / 60_000) * 60_000 + 30 * 60_000
  calendar.set('alice@example.com', {
    kind: 'schedule',
    items: [{ start: graphTime(Date.now() - 60_000), end: graphTime(end), status: 'busy' }],
    fetchedAt: Date.now()
  })
  t.match(await sync([alice], { reason: 'test', failIfBusy: true }), { changes: 1, errors: 0 })
  await defaults.set({ notify: 'off' })
  await users.setSettings(alice, { notify: 'every', offlineUsers: 'skip', pausedUntil: Date.now() - 1000 })

  const view = await people().person(alice)
  t.match(view, {
    mmUserId: alice,
    username: 'alice',
    mailbox: { email: 'alice@example.com', state: 'ok', label: 'ok' },
    availability: { level: 'busy', until: end },
    availabilityText: 'busy',
    mattermostStatus: { status: 'dnd', manual: true, dndEndsAt: end },
    serviceSet: { status: 'dnd', until: end, customStatus: { emoji: 'calendar', text: 'In a meeting' }, released: false },
    nextWakeUpAt: end,
    pausedUntil: null,
    autopilotUntil: null,
    lastError: null
  })
  t.same(view?.settingsChanged, [{ setting: 'notify', value: 'every', default: 'off' }], 'only what differs from the defaults; a pause that ended is none')
  t.ok(view!.lastSyncAt! > Date.now() - 60_000)
  t.same(view?.lastReasons.codes, ['rule-6-entered', 'rule-15-custom-status-set'])
  t.same(view?.lastReasons.words, ['a meeting started: set Do Not Disturb', 'custom status set for the meeting'])

  // Next run: nothing changed, committed on the quiet path with its own reasons.
  t.match(await sync([alice], { reason: 'test', failIfBusy: true }), { changes: 0 })
  t.same((await people().person(alice))?.lastReasons.codes, ['rule-10-no-change'])
  t.equal(await people().person('nobody'), null)
})

t.test('not in a meeting, no mailbox REST, paused: said as such', async (t) => {
  const { people, add, users } = await setup(t)
  const bob = await add('bob')
  await users.setGraphIdentity(bob, 'g-bob', 'rest-disabled')
  const until = Date.now() + 3600_000
  await users.setSettings(bob, { pausedUntil: until })
  t.match(await people().person(bob), {
    mailbox: { state: 'rest-disabled', label: 'no REST' },
    availability: null,
    availabilityText: 'not in a meeting',
    mattermostStatus: { status: 'online', manual: false, dndEndsAt: null },
    serviceSet: null,
    nextWakeUpAt: null,
    pausedUntil: until,
    lastSyncAt: null,
    lastReasons: { codes: [], words: [] }
  })
})

t.test('the list: search, paging, total; a slow Mattermost reads "unknown" within the budget', async (t) => {
  const { people, add, sim } = await setup(t)
  const ids = []
  for (const name of ['carol', 'dave', 'carla', 'erin', 'cathy']) ids.push(await add(name))
  const page1 = await people(1500, 2).listPeople('', 1)
  t.match(page1, { query: '', page: 1, perPage: 2, total: 5, pages: 3 })
  t.same(
    page1.people.map((p) => p.username),
    ['carla', 'carol']
  )
  t.same(
    (await people(1500, 2).listPeople('', 3)).people.map((p) => p.username),
    ['erin']
  )
  const cas = await people().listPeople('CA', 1)
  t.same(
    cas.people.map((p) => p.username),
    ['carla', 'carol', 'cathy']
  )
  t.equal(cas.total, 3)
  t.equal((await people().listPeople('dave@EX', 1)).people[0]?.mmUserId, ids[1])
  t.same((await people().listPeople('zz', 1)).people, [])
  t.equal((await people().listPeople('', 99)).people.length, 0, 'a page past the end is empty')

  sim.driver.setLatency(3000)
  t.teardown(() => sim.driver.setLatency(0))
  const slow = await people(300).listPeople('ca', 1)
  t.same(
    slow.people.map((p) => p.mattermostStatus),
    ['unknown', 'unknown', 'unknown'],
    'the page did not wait the 3 s for Mattermost'
  )
})
