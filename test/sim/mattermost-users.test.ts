import t, { type Test } from 'tap'
import { Client4 } from '@mattermost/client'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from '../../sim/mattermost/server'

// Users, bots, tokens and the users routes the service reads (mattermost.md "Users and bots").

interface Res {
  status: number
  headers: Headers
  text: string
  json: any
}

async function api(
  sim: MattermostSim,
  method: string,
  path: string,
  o: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}
): Promise<Res> {
  const headers: Record<string, string> = { ...(o.token === null ? {} : { Authorization: `Bearer ${o.token ?? sim.botToken}` }), ...o.headers }
  if (o.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

async function start(t: Test, opts: MattermostSimOptions = {}): Promise<MattermostSim> {
  const sim = await startMattermostSim({ dndExpiryPeriodMs: 0, ...opts })
  t.teardown(() => sim.stop())
  return sim
}

t.test("user objects look like the server's: string timezone flags, props as strings, omitempty", async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser({ username: 'alice', timezone: { useAutomaticTimezone: false, manualTimezone: 'Europe/Berlin' } })
  const v = sim.driver.addUser({ username: 'bob' })
  t.match(u.id, /^[a-z0-9]{26}$/)
  const alice = (await api(sim, 'GET', `/api/v4/users/${u.id}`)).json
  t.same(alice.timezone, { useAutomaticTimezone: 'false', automaticTimezone: '', manualTimezone: 'Europe/Berlin' }, 'flags are the strings "true"/"false"')
  t.notOk('props' in alice, 'no props key when the map is empty')
  t.notOk('is_bot' in alice, 'no is_bot key for people')
  t.equal(alice.roles, 'system_user')
  t.equal(alice.delete_at, 0)
  t.same(
    (await api(sim, 'GET', `/api/v4/users/${v.id}`)).json.timezone,
    { useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' },
    'the server default: automatic, but no zone known yet'
  )

  const me = (await api(sim, 'GET', '/api/v4/users/me')).json
  t.match(me, { id: sim.botUserId, username: 'calstatus', is_bot: true, roles: 'system_user' })
  t.type(me.bot_description, 'string')
})

t.test('GET /users: pages of at most 200, active/inactive filters, bots and deactivated users included by default', async (t) => {
  const sim = await start(t)
  for (let i = 0; i < 250; i++) sim.driver.addUser({ username: `u${String(i).padStart(3, '0')}` })
  const gone = sim.driver.addUser({ username: 'zz-gone', deleted: true })
  sim.driver.addBot({ username: 'otherbot' })
  const total = 250 + 1 + 2 + 1 // + sysadmin, calstatus, otherbot

  const capped = await api(sim, 'GET', '/api/v4/users?page=0&per_page=500')
  t.equal(capped.json.length, 200, 'per_page is capped at 200')
  t.equal((await api(sim, 'GET', '/api/v4/users')).json.length, 60, 'default per_page 60')
  t.equal((await api(sim, 'GET', '/api/v4/users?per_page=abc')).json.length, 60, 'an unparsable per_page falls back to 60')
  t.equal((await api(sim, 'GET', '/api/v4/users?per_page=0')).json.length, 0, 'per_page=0 is an empty page')

  const all: any[] = []
  for (let page = 0; ; page++) {
    const r = (await api(sim, 'GET', `/api/v4/users?page=${page}&per_page=200`)).json
    all.push(...r)
    if (r.length < 200) break
  }
  t.equal(all.length, total)
  t.same(
    all.map((u) => u.username),
    [...all.map((u) => u.username)].sort(),
    'sorted by username'
  )
  t.ok(
    all.some((u) => u.is_bot === true),
    'bots are listed'
  )
  t.ok(
    all.some((u) => u.id === gone.id && u.delete_at > 0),
    'deactivated users are listed'
  )

  const active = (await api(sim, 'GET', '/api/v4/users?page=1&per_page=200&active=true')).json
  t.notOk(
    active.some((u: any) => u.delete_at > 0),
    'active=true leaves out deactivated users'
  )
  const inactive = (await api(sim, 'GET', '/api/v4/users?inactive=true')).json
  t.same(
    inactive.map((u: any) => u.id),
    [gone.id]
  )
  const both = await api(sim, 'GET', '/api/v4/users?active=true&inactive=true')
  t.equal(both.status, 400, 'active and inactive together')
  t.equal((await api(sim, 'GET', '/api/v4/users?role=system_admin')).json.length, 1, 'role filter')
})

t.test('POST /users/ids: unknown ids left out, since filters on update_at, order not kept', async (t) => {
  const sim = await start(t)
  const users = Array.from({ length: 10 }, () => sim.driver.addUser())
  const ids = users.map((u) => u.id)
  const res = await api(sim, 'POST', '/api/v4/users/ids', { body: [...ids, 'n'.repeat(26), 'not-even-an-id'] })
  t.equal(res.status, 200)
  t.same(new Set(res.json.map((u: any) => u.id)), new Set(ids))
  t.equal((await api(sim, 'POST', '/api/v4/users/ids', { body: [] })).status, 400)
  t.equal((await api(sim, 'POST', `/api/v4/users/ids?since=abc`, { body: ids })).status, 400)
  await new Promise((r) => setTimeout(r, 5))
  const cutoff = Date.now()
  await new Promise((r) => setTimeout(r, 5))
  sim.driver.setCustomStatus(users[3]!.id, { emoji: 'calendar', text: 'x' })
  const since = (await api(sim, 'POST', `/api/v4/users/ids?since=${cutoff}`, { body: ids })).json
  t.same(
    since.map((u: any) => u.id),
    [users[3]!.id],
    'only users changed since'
  )
})

t.test('GET /users/email/{email}: URL-decoded, case-insensitive; 404, 400, and 403 without permission to see emails', async (t) => {
  const sim = await start(t)
  const plus = sim.driver.addUser({ username: 'plus', email: 'First.Last+cal@Example.com' })
  t.equal(plus.email, 'first.last+cal@example.com', 'stored lowercase')
  const r = await api(sim, 'GET', `/api/v4/users/email/${encodeURIComponent('FIRST.last+cal@example.com')}`)
  t.equal(r.status, 200)
  t.equal(r.json.id, plus.id)
  const raw = await api(sim, 'GET', '/api/v4/users/email/first.last+cal@example.com')
  t.equal(raw.json.id, plus.id, 'a raw "+" in a path is a plus, not a space')
  const missing = await api(sim, 'GET', `/api/v4/users/email/${encodeURIComponent('nobody@example.com')}`)
  t.equal(missing.status, 404)
  t.match(missing.json, { id: 'app.user.missing_account.const', status_code: 404 })
  t.equal((await api(sim, 'GET', '/api/v4/users/email/not-an-email')).status, 400)
  t.equal((await api(sim, 'GET', '/api/v4/users/email/50%off@example.com')).status, 400, 'an unencoded % is a broken escape')

  sim.driver.setConfig({ showEmailAddress: false })
  const hidden = await api(sim, 'GET', `/api/v4/users/email/${encodeURIComponent(plus.email)}`)
  t.equal(hidden.status, 403, 'ShowEmailAddress off: a bot without manage_system may not look up by email')
  const listed = (await api(sim, 'GET', '/api/v4/users?per_page=200')).json
  t.equal(listed.find((u: any) => u.id === plus.id).email, '', 'and sees blank emails in lists')
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).json.email, 'calstatus@localhost', 'its own email stays visible')
  sim.driver.setRoles(sim.botUserId, 'system_user system_admin')
  t.equal((await api(sim, 'GET', `/api/v4/users/email/${encodeURIComponent(plus.email)}`)).status, 200, 'manage_system sees emails')
})

t.test('GET /users/{id} and /users/username/{name}: deleted users and bots are returned as they are', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser({ username: 'carol' })
  sim.driver.deactivateUser(u.id)
  const got = (await api(sim, 'GET', `/api/v4/users/${u.id}`)).json
  t.ok(got.delete_at > 0)
  t.equal((await api(sim, 'GET', `/api/v4/users/${'m'.repeat(26)}`)).status, 404)
  t.equal((await api(sim, 'GET', '/api/v4/users/username/carol')).json.id, u.id)
  t.equal((await api(sim, 'GET', '/api/v4/users/username/Carol')).status, 400, 'usernames are lowercase; an uppercase one is invalid')
  t.equal((await api(sim, 'GET', '/api/v4/users/username/nobody')).status, 404)
})

t.test('tokens: bearer or token scheme; unknown, revoked, deactivated and disabled personal tokens are 401', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser()
  const none = await api(sim, 'GET', '/api/v4/users/me', { token: null })
  t.equal(none.status, 401)
  t.match(none.json, { id: 'api.context.session_expired.app_error', status_code: 401 })
  t.equal((await api(sim, 'GET', '/api/v4/users/me', { token: 'x'.repeat(26) })).status, 401)
  t.equal(
    (await api(sim, 'GET', '/api/v4/users/me', { token: null, headers: { Authorization: `token ${sim.botToken}` } })).status,
    200,
    '"Token <t>" works too'
  )

  const personal = sim.driver.createToken(u.id, 'personal')
  t.equal((await api(sim, 'GET', '/api/v4/users/me', { token: personal })).status, 401, 'personal access tokens are off by default')
  sim.driver.setConfig({ enablePersonalAccessTokens: true })
  t.equal((await api(sim, 'GET', '/api/v4/users/me', { token: personal })).status, 200)
  sim.driver.setConfig({ enablePersonalAccessTokens: false })
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 200, 'a bot token works with personal tokens disabled')

  const session = sim.driver.createToken(u.id)
  sim.driver.deactivateUser(u.id)
  t.equal((await api(sim, 'GET', '/api/v4/users/me', { token: session })).status, 401, 'deactivation ends sessions')
  sim.driver.reactivateUser(u.id)
  sim.driver.revokeToken(session)
  t.equal((await api(sim, 'GET', '/api/v4/users/me', { token: session })).status, 401, 'revoked')
  sim.driver.deactivateUser(sim.botUserId)
  t.equal((await api(sim, 'GET', '/api/v4/users/me')).status, 401, "a disabled bot's token stops working")
})

t.test('@mattermost/client reads the answers as JSON and errors as ClientError', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser({ username: 'dora' })
  const client = new Client4()
  client.setUrl(sim.url)
  client.setToken(sim.botToken)
  const me = await client.getMe()
  t.equal(me.id, sim.botUserId, 'parsed: Content-Type is exactly application/json')
  const statuses = await client.getStatusesByIds([u.id])
  t.equal(statuses[0]?.status, 'offline')
  const profiles = await client.getProfilesByIds([u.id])
  t.equal(profiles[0]?.username, 'dora')
  const err = await client.getUser('k'.repeat(26)).then(
    () => null,
    (e: unknown) => e as { status_code?: number; server_error_id?: string }
  )
  t.match(err, { status_code: 404, server_error_id: 'app.user.missing_account.const' })
})
