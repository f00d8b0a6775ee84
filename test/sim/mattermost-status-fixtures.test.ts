import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startMattermostSim, type MattermostSim } from '../../sim/mattermost/server'
import {
  applyDndExpiry,
  applyPresence,
  applySetStatus,
  initialStatus,
  MM_STATUSES,
  type MmStatus,
  type MmStatusRecord,
  type PresenceEvent
} from '../../sim/mattermost/status-model'

// Mattermost status transitions recorded from the server's own source and tests
// (test/fixtures/mattermost-status-transitions.json, sources and commits in the file), run
// (a) against the pure functions of the shared status model and (b) against a running
// simulator over HTTP: the API for PUT and reads, the /_sim driver routes for presence, the
// expiry job and the hidden prev_status. Both must give the recorded record after every step.

interface Rec {
  status: MmStatus
  manual: boolean
  last_activity_at: number
  dnd_end_time: number
  prev_status: MmStatus | ''
}

type Step = { at: string; expect: Rec } & (
  { do: 'put'; body: { status: MmStatus; dnd_end_time?: number } } | { do: 'expiry'; changed: boolean } | { do: 'presence'; event: PresenceEvent }
)

interface Fixture {
  name: string
  summary: string
  note?: string
  source: { url: string; function: string; commit?: null }[]
  initial: Rec | null
  steps: Step[]
}

const FILE = join(__dirname, '..', 'fixtures', 'mattermost-status-transitions.json')
const fixtures = (JSON.parse(readFileSync(FILE, 'utf8')) as { fixtures: Fixture[] }).fixtures

/** TeamSettings.UserStatusAwayTimeout default (seconds): isUserAway() below it is false. */
const AWAY_TIMEOUT_MS = 300_000
const FIELDS = ['status', 'manual', 'last_activity_at', 'dnd_end_time', 'prev_status'] as const

const view = (r: MmStatusRecord | Rec): Rec => ({
  status: r.status,
  manual: r.manual,
  last_activity_at: r.last_activity_at,
  dnd_end_time: r.dnd_end_time,
  prev_status: r.prev_status
})
/** What the API answers: prev_status is json:"-" on the server. */
const visible = (userId: string, r: Rec): Record<string, unknown> => ({
  user_id: userId,
  status: r.status,
  manual: r.manual,
  last_activity_at: r.last_activity_at,
  dnd_end_time: r.dnd_end_time
})
const label = (i: number, s: Step): string =>
  `step ${i + 1} at ${s.at}: ${s.do === 'put' ? `PUT ${JSON.stringify(s.body)}` : s.do === 'presence' ? `presence ${s.event}` : 'expiry job'}`

t.test('the fixtures are well formed', async (t) => {
  t.ok(fixtures.length >= 12, `${fixtures.length} fixtures`)
  t.equal(new Set(fixtures.map((f) => f.name)).size, fixtures.length, 'names are unique')
  const isRec = (r: unknown): boolean => {
    const x = r as Record<string, unknown>
    return (
      typeof x === 'object' &&
      x !== null &&
      Object.keys(x).sort().join() === [...FIELDS].sort().join() &&
      (MM_STATUSES as readonly unknown[]).includes(x['status']) &&
      typeof x['manual'] === 'boolean' &&
      Number.isInteger(x['last_activity_at']) &&
      Number.isInteger(x['dnd_end_time']) &&
      (x['prev_status'] === '' || (MM_STATUSES as readonly unknown[]).includes(x['prev_status']))
    )
  }
  for (const f of fixtures) {
    t.ok(f.source.length > 0, `${f.name}: has sources`)
    for (const s of f.source) {
      const m = /^https:\/\/github\.com\/mattermost\/mattermost\/blob\/([0-9a-f]{40}|master)\/server\/\S+\.go$/.exec(s.url)
      t.ok(m, `${f.name}: ${s.url} is a file of mattermost/mattermost's server/`)
      t.equal(m?.[1] === 'master', s.commit === null, `${f.name}: ${s.url} names its commit, or says it has none`)
      t.ok(s.function, `${f.name}: names the function or test`)
    }
    t.ok(f.initial === null || isRec(f.initial), `${f.name}: initial record`)
    t.ok(f.steps.length > 0, `${f.name}: has steps`)
    let before = f.initial
    let last = -Infinity
    f.steps.forEach((s, i) => {
      const at = Date.parse(s.at)
      t.ok(at > last, `${f.name} ${label(i, s)}: later than the step before`)
      last = at
      t.ok(isRec(s.expect), `${f.name} ${label(i, s)}: expected record`)
      t.ok(['put', 'expiry', 'presence'].includes(s.do), `${f.name} ${label(i, s)}: known step`)
      // "idle" is SetStatusAwayIfNeeded(id, false), which does nothing before the away timeout:
      // the fixtures use it only past that timeout.
      if (s.do === 'presence' && s.event === 'idle' && before !== null && !before.manual && before.status !== 'away')
        t.ok(at - before.last_activity_at >= AWAY_TIMEOUT_MS, `${f.name} ${label(i, s)}: past the away timeout`)
      before = s.expect
    })
  }
})

t.test('(a) the shared status model reproduces every fixture', async (t) => {
  for (const f of fixtures) {
    t.test(f.name, async (t) => {
      let rec: MmStatusRecord = f.initial === null ? initialStatus('u') : { user_id: 'u', ...f.initial }
      f.steps.forEach((s, i) => {
        const now = Date.parse(s.at)
        const before = rec
        if (s.do === 'put') rec = applySetStatus(rec, s.body.status, s.body.dnd_end_time, now)
        else if (s.do === 'presence') rec = applyPresence(rec, s.event, now)
        else {
          rec = applyDndExpiry(rec, now)
          t.equal(rec !== before, s.changed, `${label(i, s)}: the job ${s.changed ? 'changes' : 'leaves'} the record`)
        }
        t.same(view(rec), s.expect, label(i, s))
      })
    })
  }
})

interface Res {
  status: number
  json: any
}

async function call(sim: MattermostSim, method: string, path: string, body?: unknown, token?: string): Promise<Res> {
  const headers: Record<string, string> = {}
  if (path.startsWith('/api/')) headers['Authorization'] = `Bearer ${token ?? sim.botToken}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  return { status: res.status, json: await res.json() }
}

t.test('(b) the simulator reproduces every fixture over HTTP', async (t) => {
  const clock = { ms: 0 }
  // The bot as calstatus runs it: manage_system, so it may set any user's status.
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 0, now: () => clock.ms })
  t.teardown(() => sim.stop())

  const readBack = async (t: Test, userId: string, want: Rec, what: string): Promise<void> => {
    const get = await call(sim, 'GET', `/api/v4/users/${userId}/status`)
    t.equal(get.status, 200, `${what}: GET status`)
    t.same(get.json, visible(userId, want), `${what}: GET /users/{id}/status`)
    const ids = await call(sim, 'POST', '/api/v4/users/status/ids', [userId])
    t.same(ids.json, [visible(userId, want)], `${what}: POST /users/status/ids`)
    const hidden = await call(sim, 'GET', `/_sim/users/${userId}/status`)
    t.same(view(hidden.json), want, `${what}: the stored record, prev_status included (driver)`)
  }

  for (const f of fixtures) {
    t.test(f.name, async (t) => {
      const user = sim.driver.addUser()
      if (f.initial !== null) sim.driver.seedStatus(user.id, f.initial)
      await readBack(t, user.id, f.initial ?? view(initialStatus(user.id)), 'initial')

      for (const [i, s] of f.steps.entries()) {
        clock.ms = Date.parse(s.at)
        const what = label(i, s)
        if (s.do === 'put') {
          const res = await call(sim, 'PUT', `/api/v4/users/${user.id}/status`, { user_id: user.id, ...s.body })
          t.equal(res.status, 200, `${what}: 200`)
          t.same(res.json, visible(user.id, s.expect), `${what}: the PUT answers the stored status`)
        } else if (s.do === 'presence') {
          t.equal((await call(sim, 'POST', `/_sim/users/${user.id}/presence`, { event: s.event })).status, 200, `${what}: 200`)
        } else {
          const res = await call(sim, 'POST', '/_sim/dnd-expiry', { now: clock.ms })
          t.equal((res.json.changed as string[]).includes(user.id), s.changed, `${what}: the job ${s.changed ? 'restores' : 'leaves'} this user`)
        }
        await readBack(t, user.id, s.expect, what)
      }
    })
  }
})
