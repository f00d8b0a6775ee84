import t, { type Test } from 'tap'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from '../../sim/mattermost/server'

// Custom status: PUT/DELETE /users/{id}/status/custom with the server's validation, the
// props.customStatus string, the recent list (mattermost.md "Custom status").

interface Res {
  status: number
  text: string
  json: any
}

async function api(sim: MattermostSim, method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Res> {
  const headers: Record<string, string> = { Authorization: `Bearer ${o.token ?? sim.botToken}` }
  if (o.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

const T0 = Date.UTC(2026, 10, 24, 9, 0, 30)
const inOneHour = new Date(T0 + 3600_000).toISOString() // "2026-11-24T10:00:30.000Z"

async function start(t: Test, opts: MattermostSimOptions = {}): Promise<{ sim: MattermostSim; clock: { ms: number } }> {
  const clock = { ms: T0 }
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 0, now: () => clock.ms, ...opts })
  t.teardown(() => sim.stop())
  return { sim, clock }
}

const put = (sim: MattermostSim, userId: string, body: unknown, token?: string): Promise<Res> =>
  api(sim, 'PUT', `/api/v4/users/${userId}/status/custom`, { body, ...(token ? { token } : {}) })

t.test('a valid custom status is stored in props.customStatus as the JSON string Go writes', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  const res = await put(sim, u.id, { emoji: 'calendar', text: 'Q&A <team>', duration: 'date_and_time', expires_at: inOneHour })
  t.equal(res.status, 200)
  t.same(res.json, { status: 'OK' })

  const user = (await api(sim, 'GET', `/api/v4/users/${u.id}`)).json
  t.type(user.props.customStatus, 'string', 'a JSON string, not an object')
  t.equal(
    user.props.customStatus,
    '{"emoji":"calendar","text":"Q\\u0026A \\u003cteam\\u003e","duration":"date_and_time","expires_at":"2026-11-24T10:00:30Z"}',
    'field order, HTML-safe escapes, and ".000Z" normalised to "Z"'
  )
  t.same(JSON.parse(user.props.customStatus), { emoji: 'calendar', text: 'Q&A <team>', duration: 'date_and_time', expires_at: '2026-11-24T10:00:30Z' })
  t.not(JSON.parse(user.props.customStatus).expires_at, inOneHour, 'a client comparing expires_at strings sees a difference')

  await put(sim, u.id, { emoji: 'palm_tree', text: 'Out', duration: 'date_and_time', expires_at: '2026-11-25T10:00:00.120+02:00' })
  t.equal(sim.driver.customStatus(u.id)?.expires_at, '2026-11-25T10:00:00.12+02:00', 'the offset is kept, trailing zeros dropped')
})

t.test('duration and expires_at follow the server rules', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  await put(sim, u.id, { emoji: 'house', text: 'Working elsewhere', expires_at: inOneHour })
  t.equal(sim.driver.customStatus(u.id)?.duration, 'date_and_time', 'an expiry without a duration becomes date_and_time')
  await put(sim, u.id, { emoji: 'house', text: 'No end' })
  t.same(sim.driver.customStatus(u.id), { emoji: 'house', text: 'No end', duration: '', expires_at: '0001-01-01T00:00:00Z' }, 'no expiry: Go zero time')
  await put(sim, u.id, { emoji: 'house', text: 'Today', duration: 'today', expires_at: inOneHour })
  t.equal(sim.driver.customStatus(u.id)?.duration, 'today')

  const bad: [string, unknown][] = [
    ['a duration needs an expires_at', { emoji: 'calendar', text: 'x', duration: 'date_and_time' }],
    ['an unknown duration', { emoji: 'calendar', text: 'x', duration: 'forever', expires_at: inOneHour }],
    ['an expiry in the past', { emoji: 'calendar', text: 'x', duration: 'date_and_time', expires_at: new Date(T0 - 1000).toISOString() }],
    ['an expiry in the past without duration', { emoji: 'calendar', text: 'x', expires_at: new Date(T0 - 1000).toISOString() }],
    ['a date only', { emoji: 'calendar', text: 'x', duration: 'date_and_time', expires_at: '2026-12-01' }],
    ['no offset', { emoji: 'calendar', text: 'x', duration: 'date_and_time', expires_at: '2026-12-01T10:00:00' }],
    ['epoch milliseconds', { emoji: 'calendar', text: 'x', duration: 'date_and_time', expires_at: T0 + 3600_000 }],
    ['emoji and text both empty', { emoji: '', text: '' }],
    ['an unknown emoji', { emoji: 'not_an_emoji_name', text: 'x' }],
    ['colons around the name', { emoji: ':calendar:', text: 'x' }],
    ['text of the wrong type', { emoji: 'calendar', text: 42 }]
  ]
  for (const [why, body] of bad) {
    const res = await put(sim, u.id, body)
    t.equal(res.status, 400, why)
    t.match(res.json, { id: 'api.context.invalid_body_param.app_error', status_code: 400 }, why)
  }
  t.equal(sim.history.customStatuses.length, 3, 'only the three valid ones were written')
})

t.test('custom emoji registered through the driver are accepted; emoji may be empty when there is text', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  t.equal((await put(sim, u.id, { emoji: 'focus-time', text: 'Focus' })).status, 400)
  sim.driver.addCustomEmoji('focus-time')
  t.equal((await put(sim, u.id, { emoji: 'focus-time', text: 'Focus' })).status, 200)
  t.equal((await put(sim, u.id, { emoji: '', text: 'Just text' })).status, 200)
  t.equal(sim.driver.customStatus(u.id)?.emoji, '', 'stored without an emoji')
  for (const name of ['calendar', 'spiral_calendar_pad', 'date', 'palm_tree', 'house', 'airplane', 'hamburger']) {
    t.equal((await put(sim, u.id, { emoji: name, text: name })).status, 200, name)
  }
})

t.test('text is cut to 100 characters, counted as code points like Go runes', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  await put(sim, u.id, { emoji: 'calendar', text: 'x'.repeat(150) })
  t.equal(sim.driver.customStatus(u.id)?.text, 'x'.repeat(100))
  const emoji = '\u{1F4C5}' // two UTF-16 units, one rune
  await put(sim, u.id, { emoji: 'calendar', text: emoji.repeat(120) })
  const text = sim.driver.customStatus(u.id)?.text ?? ''
  t.equal([...text].length, 100, '100 code points')
  t.equal(text.length, 200, '(200 UTF-16 units: cutting at .length 100 would be wrong)')
  await put(sim, u.id, { emoji: 'calendar', text: 'é'.repeat(100) })
  t.equal(sim.driver.customStatus(u.id)?.text, 'é'.repeat(100), '100 two-byte characters are not cut (not bytes)')
})

t.test('DELETE clears props.customStatus to "" (present, empty); the server never clears expired ones', async (t) => {
  const { sim, clock } = await start(t)
  const u = sim.driver.addUser()
  await put(sim, u.id, { emoji: 'calendar', text: 'In a meeting', duration: 'date_and_time', expires_at: new Date(T0 + 60_000).toISOString() })
  clock.ms = T0 + 24 * 3600_000
  sim.runDndExpiry()
  const later = (await api(sim, 'GET', `/api/v4/users/${u.id}`)).json
  t.match(JSON.parse(later.props.customStatus), { text: 'In a meeting' }, 'still there a day after it expired')

  const del = await api(sim, 'DELETE', `/api/v4/users/${u.id}/status/custom`)
  t.equal(del.status, 200)
  t.same(del.json, { status: 'OK' })
  const cleared = (await api(sim, 'GET', `/api/v4/users/${u.id}`)).json
  t.equal(cleared.props.customStatus, '', 'an empty string, not a missing key')
  t.match(sim.history.customStatuses.at(-1), { action: 'clear', to: null, propValue: '', who: `api:${sim.botUserId}` })
  t.equal((await api(sim, 'DELETE', `/api/v4/users/${u.id}/status/custom`)).status, 200, 'clearing again is fine')
})

t.test('the recent list keeps 5 entries, newest first, deduplicated by text', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) await put(sim, u.id, { emoji: 'calendar', text })
  await put(sim, u.id, { emoji: 'house', text: 'c' })
  t.same(
    sim.driver.recentCustomStatuses(u.id).map((s) => `${s.emoji}:${s.text}`),
    ['house:c', 'calendar:f', 'calendar:e', 'calendar:d', 'calendar:b']
  )
})

t.test('same permission rule as status; 404 for a missing user; 501 when the feature is off', async (t) => {
  const { sim } = await start(t, { botRoles: 'system_user system_user_manager' })
  const u = sim.driver.addUser()
  const admin = sim.driver.addUser({ roles: 'system_user system_admin' })
  const body = { emoji: 'calendar', text: 'In a meeting' }
  t.equal((await put(sim, u.id, body)).status, 200)
  t.equal((await put(sim, admin.id, body)).status, 403, 'edit_other_users does not reach a system admin')
  t.equal((await api(sim, 'DELETE', `/api/v4/users/${admin.id}/status/custom`)).status, 403)
  t.equal((await put(sim, admin.id, body, sim.driver.createToken(admin.id))).status, 200, 'the admin may set their own')

  sim.driver.setRoles(sim.botUserId, 'system_user system_admin')
  const ghost = 'q'.repeat(26)
  t.equal((await put(sim, ghost, body)).status, 404, 'manage_system on an id that is no user: 404')
  t.equal((await put(sim, admin.id, body)).status, 200)

  sim.driver.setConfig({ customStatusEnabled: false })
  const off = await put(sim, u.id, body)
  t.equal(off.status, 501)
  t.equal(off.json.id, 'api.custom_status.disabled')
})

t.test('the driver sets custom statuses as the user, with the same validation', async (t) => {
  const { sim } = await start(t)
  const u = sim.driver.addUser()
  t.same(sim.driver.setCustomStatus(u.id, { emoji: 'palm_tree', text: 'Holiday', duration: 'date_and_time', expires_at: inOneHour }), {
    emoji: 'palm_tree',
    text: 'Holiday',
    duration: 'date_and_time',
    expires_at: '2026-11-24T10:00:30Z'
  })
  t.equal(sim.history.customStatuses.at(-1)?.who, `api:${u.id}`)
  t.throws(() => sim.driver.setCustomStatus(u.id, { emoji: 'nope_nope', text: 'x' }), { name: 'AppError', statusCode: 400 })
  sim.driver.clearCustomStatus(u.id)
  t.equal(sim.driver.customStatus(u.id), null)
})
