import t, { type Test } from 'tap'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from '../../sim/mattermost/server'

// Status semantics of the Mattermost simulator over HTTP, harsh cases first
// (../shared/reference/mattermost.md "Status").

interface Res {
  status: number
  headers: Headers
  text: string
  json: any
}

async function api(sim: MattermostSim, method: string, path: string, o: { token?: string; body?: unknown; raw?: string } = {}): Promise<Res> {
  const headers: Record<string, string> = { Authorization: `Bearer ${o.token ?? sim.botToken}` }
  let body: string | undefined
  if (o.raw !== undefined) body = o.raw
  else if (o.body !== undefined) body = JSON.stringify(o.body)
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(body !== undefined ? { body } : {}) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** 2026-11-24 09:00:30 UTC, mid-minute on purpose. */
const T0 = Date.UTC(2026, 10, 24, 9, 0, 30)

async function start(t: Test, opts: MattermostSimOptions = {}): Promise<{ sim: MattermostSim; clock: { ms: number } }> {
  const clock = { ms: T0 }
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 0, now: () => clock.ms, ...opts })
  t.teardown(() => sim.stop())
  return { sim, clock }
}

const setStatus = (sim: MattermostSim, userId: string, status: string, dnd_end_time?: number, token?: string): Promise<Res> =>
  api(sim, 'PUT', `/api/v4/users/${userId}/status`, {
    body: { user_id: userId, status, ...(dnd_end_time !== undefined ? { dnd_end_time } : {}) },
    ...(token ? { token } : {})
  })

const getStatus = async (sim: MattermostSim, userId: string): Promise<any> => (await api(sim, 'GET', `/api/v4/users/${userId}/status`)).json

t.test('DND over DND stores prev_status = dnd, so the restore leaves the user in DND', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()
  sim.driver.setStatus(u.id, 'online')
  const end1 = Math.floor(clock.ms / 1000) + 1800
  const end2 = Math.floor(clock.ms / 1000) + 3600
  t.equal((await setStatus(sim, u.id, 'dnd', end1)).status, 200)
  t.equal(sim.driver.status(u.id).prev_status, 'online')
  t.equal((await setStatus(sim, u.id, 'dnd', end2)).status, 200)
  t.equal(sim.driver.status(u.id).prev_status, 'dnd', 'the second DND remembers dnd, not online')

  clock.ms = (end2 + 60) * 1000
  t.same(sim.runDndExpiry(), [u.id])
  const after = await getStatus(sim, u.id)
  t.equal(after.status, 'dnd', 'restored to dnd: the user is stuck in DND')
  t.equal(after.manual, false)
  t.equal(after.dnd_end_time, 0, 'and now with no end')
  t.notOk('prev_status' in after, 'prev_status is hidden from the API')
})

t.test('expiry restores prev_status with manual=false, so automatic presence takes over again', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()
  sim.driver.setStatus(u.id, 'away') // manual away, chosen by the user
  const end = Math.floor(clock.ms / 1000) + 600
  await setStatus(sim, u.id, 'dnd', end)
  sim.driver.presence(u.id, 'active')
  t.equal((await getStatus(sim, u.id)).status, 'dnd', 'activity does not override a manual DND')

  clock.ms = end * 1000
  sim.runDndExpiry()
  const restored = await getStatus(sim, u.id)
  t.match(restored, { status: 'away', manual: false, dnd_end_time: 0 })
  sim.driver.presence(u.id, 'active')
  t.equal((await getStatus(sim, u.id)).status, 'online', 'the restored away was not manual any more: activity made it online')
})

t.test('dnd_end_time is truncated to the minute, so DND can end up to 59 s early; 0 means no end', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()
  const end = Math.floor(clock.ms / 60_000) * 60 + 3600 + 45 // :45 past a minute
  const res = await setStatus(sim, u.id, 'dnd', end)
  t.equal(res.json.dnd_end_time, end - 45, 'PUT answers the stored, truncated end (seconds)')
  t.equal(res.json.manual, true)

  clock.ms = (end - 46) * 1000
  t.same(sim.runDndExpiry(), [], 'not before the truncated end')
  clock.ms = (end - 45) * 1000
  t.same(sim.runDndExpiry(), [u.id], 'at the truncated minute, 45 s before the requested end')
  t.equal((await getStatus(sim, u.id)).status, 'offline', 'restored to the status before DND (no row: offline)')

  const v = sim.driver.addUser()
  await setStatus(sim, v.id, 'dnd', 0)
  const w = sim.driver.addUser()
  await setStatus(sim, w.id, 'dnd')
  clock.ms += 365 * 86400_000
  t.same(sim.runDndExpiry(), [], 'DND without an end never expires')
  t.equal((await getStatus(sim, v.id)).dnd_end_time, 0)
})

t.test('online hands back to automatic presence; away and offline are manual; offline clears the DND fields', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()

  t.match((await setStatus(sim, u.id, 'online')).json, { status: 'online', manual: false })
  sim.driver.presence(u.id, 'disconnect')
  t.equal((await getStatus(sim, u.id)).status, 'offline', 'online via the API is automatic: a disconnect makes it offline')

  t.match((await setStatus(sim, u.id, 'away')).json, { status: 'away', manual: true })
  sim.driver.presence(u.id, 'active')
  t.equal((await getStatus(sim, u.id)).status, 'away', 'manual away survives activity')

  const end = Math.floor(clock.ms / 1000) + 600
  await setStatus(sim, u.id, 'dnd', end)
  t.match((await setStatus(sim, u.id, 'offline')).json, { status: 'offline', manual: true, dnd_end_time: 0 })
  t.equal(sim.driver.status(u.id).prev_status, '', 'offline clears prev_status')
  clock.ms = (end + 120) * 1000
  t.same(sim.runDndExpiry(), [])
  sim.driver.presence(u.id, 'active')
  t.equal((await getStatus(sim, u.id)).status, 'offline', 'manual offline survives activity (the user looks offline while working)')

  // The server leaves dnd_end_time in place when switching to online (stale field).
  await setStatus(sim, u.id, 'dnd', end + 3600)
  const online = (await setStatus(sim, u.id, 'online')).json
  t.equal(online.status, 'online')
  t.equal(online.dnd_end_time, end + 3600 - ((end + 3600) % 60), 'stale dnd_end_time is still reported')
})

t.test('idle makes an automatic online away, never a manual status', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  sim.driver.presence(u.id, 'active')
  sim.driver.presence(u.id, 'idle')
  t.match(sim.driver.status(u.id), { status: 'away', manual: false })
  await setStatus(sim, u.id, 'dnd')
  sim.driver.presence(u.id, 'idle')
  sim.driver.presence(u.id, 'disconnect')
  t.match(sim.driver.status(u.id), { status: 'dnd', manual: true })
})

t.test('who may set a status: self, manage_system, or edit_other_users when the target is not an admin', async (t) => {
  const { sim } = await start(t, { botRoles: 'system_user' })
  const alice = sim.driver.addUser()
  const boss = sim.driver.addUser({ roles: 'system_user system_admin' })
  const ghost = 'a'.repeat(26)

  const plain = await setStatus(sim, alice.id, 'dnd')
  t.equal(plain.status, 403, 'a plain bot may not set other users')
  t.match(plain.json, { id: 'api.context.permissions.app_error', status_code: 403 })
  t.equal((await setStatus(sim, alice.id, 'away', undefined, sim.driver.createToken(alice.id))).status, 200, 'a user may set their own')

  sim.driver.setRoles(sim.botUserId, 'system_user system_user_manager')
  t.equal((await setStatus(sim, alice.id, 'dnd')).status, 200, 'edit_other_users: a normal user is fine')
  t.equal((await setStatus(sim, boss.id, 'dnd')).status, 403, 'edit_other_users: not a system admin')
  t.equal((await setStatus(sim, ghost, 'dnd')).status, 403, 'edit_other_users: not an id that is no user')

  sim.driver.defineRole('status_keeper', ['edit_other_users'])
  sim.driver.setRoles(sim.botUserId, 'system_user status_keeper')
  t.equal((await setStatus(sim, alice.id, 'online')).status, 200, 'a custom role with edit_other_users works too')

  sim.driver.setRoles(sim.botUserId, 'system_user system_admin')
  t.equal((await setStatus(sim, boss.id, 'dnd')).status, 200, 'manage_system may set an admin')
  const g = await setStatus(sim, ghost, 'dnd')
  t.equal(g.status, 200, 'manage_system on an id that is no user: the server just writes a status row')
  t.equal(g.json.status, 'dnd')
})

t.test('PUT status validation: body user_id must equal the path id; status enum; int64 seconds', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  const v = sim.driver.addUser()
  const path = `/api/v4/users/${u.id}/status`

  const mismatch = await api(sim, 'PUT', path, { body: { user_id: v.id, status: 'dnd' } })
  t.equal(mismatch.status, 400)
  t.match(mismatch.json, { id: 'api.context.invalid_body_param.app_error', message: /user_id/, status_code: 400 })
  t.equal((await api(sim, 'PUT', path, { body: { status: 'dnd' } })).status, 400, 'no user_id')
  t.equal((await api(sim, 'PUT', path, { body: { user_id: u.id, status: 'busy' } })).status, 400, 'unknown status')
  t.equal((await api(sim, 'PUT', path, { body: { user_id: u.id, status: 'DND' } })).status, 400, 'case matters')
  t.equal((await api(sim, 'PUT', path, { body: { user_id: u.id, status: 'dnd', dnd_end_time: 1795556400.5 } })).status, 400, 'a float is not an int64')
  t.equal((await api(sim, 'PUT', path, { body: { user_id: u.id, status: 'dnd', dnd_end_time: '1795556400' } })).status, 400, 'a string is not an int64')
  t.equal((await api(sim, 'PUT', path, { raw: '{"user_id":' })).status, 400, 'broken JSON')
  t.equal(sim.history.statuses.length, 0, 'none of these changed anything')

  const me = sim.driver.createToken(u.id)
  t.equal(
    (await api(sim, 'PUT', '/api/v4/users/me/status', { token: me, body: { user_id: u.id, status: 'away' } })).status,
    200,
    '"me" resolves to the session user'
  )
  t.equal(
    (await api(sim, 'PUT', '/api/v4/users/me/status', { token: me, body: { user_id: 'me', status: 'away' } })).status,
    400,
    'but the body must carry the real id'
  )
  t.equal((await api(sim, 'GET', '/api/v4/users/abc/status')).status, 400, 'a short id is a 400')
  t.equal((await api(sim, 'GET', '/api/v4/users/abc-def/status')).status, 404, 'a non-alphanumeric id matches no route')
})

t.test('POST /users/status/ids: 26-character ids, unknown ones offline, shuffled, 300,000-byte limit', async (t) => {
  let seed = 7
  const { sim } = await start(t, { random: () => (seed = (seed * 16807) % 2147483647) / 2147483647 })
  const users = Array.from({ length: 20 }, () => sim.driver.addUser())
  for (const u of users) sim.driver.setStatus(u.id, 'online')
  const unknown = 'z'.repeat(26)
  const ids = [...users.map((u) => u.id), unknown]

  const res = await api(sim, 'POST', '/api/v4/users/status/ids', { body: ids })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'application/json')
  t.equal(res.json.length, ids.length)
  t.notSame(
    res.json.map((s: any) => s.user_id),
    ids,
    'not in request order'
  )
  t.same(new Set(res.json.map((s: any) => s.user_id)), new Set(ids))
  t.match(
    res.json.find((s: any) => s.user_id === unknown),
    { status: 'offline', manual: false, last_activity_at: 0, dnd_end_time: 0 }
  )
  t.ok(res.json.every((s: any) => !('prev_status' in s)))

  t.equal((await api(sim, 'POST', '/api/v4/users/status/ids', { body: [users[0]!.id, 'short'] })).status, 400, 'one short id fails the call')
  t.equal((await api(sim, 'POST', '/api/v4/users/status/ids', { body: [] })).status, 400, 'empty list')
  t.equal((await api(sim, 'POST', '/api/v4/users/status/ids', { body: { ids } })).status, 400, 'not an array')
  t.equal((await api(sim, 'POST', '/api/v4/users/status/ids', { body: ['-'.repeat(26)] })).status, 200, 'only the length is checked')

  // 300,000 bytes is allowed, one more is a 413.
  const id = (i: number): string => i.toString(36).padStart(26, '0')
  const fill = (n: number): string[] => Array.from({ length: n }, (_, i) => id(i))
  const perId = 29 // "xxxxxxxxxxxxxxxxxxxxxxxxxx",
  const n = Math.floor((300_000 - 1) / perId)
  const body = JSON.stringify(fill(n))
  const padded = body.slice(0, -1) + ' '.repeat(300_000 - body.length) + ']'
  t.equal(Buffer.byteLength(padded), 300_000)
  t.equal((await api(sim, 'POST', '/api/v4/users/status/ids', { raw: padded })).status, 200, 'exactly at the limit')
  sim.resetRecords()
  const over = await api(sim, 'POST', '/api/v4/users/status/ids', { raw: padded.slice(0, -1) + ' ]' })
  t.equal(over.status, 413, 'one byte over')
  t.equal(over.json.status_code, 413)
  t.equal(over.headers.get('content-type'), 'application/json')
  t.same(sim.contractViolations, [], 'an oversize body is not a contract violation')
})

t.test('history records every change with its cause', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()
  const end = Math.floor(clock.ms / 1000) + 120
  await setStatus(sim, u.id, 'dnd', end)
  sim.driver.presence(u.id, 'active') // ignored: manual
  clock.ms = end * 1000
  sim.runDndExpiry()
  sim.driver.presence(u.id, 'active')
  t.match(sim.history.statuses, [
    { userId: u.id, from: 'offline', to: 'dnd', manual: true, dndEndTime: end - (end % 60), prevStatus: 'offline', who: `api:${sim.botUserId}`, time: T0 },
    { userId: u.id, from: 'dnd', to: 'offline', fromManual: true, manual: false, dndEndTime: 0, who: 'expiry' },
    { userId: u.id, from: 'offline', to: 'online', manual: false, who: 'presence' }
  ])
  t.equal(sim.history.statuses.length, 3, 'the ignored presence event left no trace')
})

t.test('the expiry job runs on its own every period, and stop() ends it', async (t) => {
  const clock = { ms: T0 }
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 40, now: () => clock.ms })
  const u = sim.driver.addUser()
  await setStatus(sim, u.id, 'dnd', Math.floor(T0 / 1000) + 60)
  clock.ms = T0 + 3600_000
  await new Promise((r) => setTimeout(r, 150))
  t.equal(sim.driver.status(u.id).status, 'offline', 'restored by the timer')
  t.equal(sim.history.statuses.at(-1)?.who, 'expiry')
  await sim.stop()
  await sim.stop()
  t.pass('stop is idempotent')
})
