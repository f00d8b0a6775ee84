import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Client4 } from '@mattermost/client'
import { findSpecDir, loadOpenApiContract, type ContractRequest } from '../../sim/mattermost/openapi-contract'
import { startMattermostSim, type MattermostSim } from '../../sim/mattermost/server'

// Contract tests: the request shapes the project sends to Mattermost, checked against the
// OpenAPI spec assembled from the vendored fragments (sim/mattermost/openapi/SOURCE.md), and the simulator's
// own answers checked against the documented response schemas.

const contract = loadOpenApiContract()
const ID = 'u'.repeat(26)
const ID2 = 'v'.repeat(26)

const req = (method: string, pathAndQuery: string, body?: unknown, contentType = 'application/json'): ContractRequest => {
  const [path, query] = pathAndQuery.split('?') as [string, string | undefined]
  return { method, path, query: query ?? '', ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body), contentType } : {}) }
}

/** Every request shape src/mattermost/create-mattermost-adapter.ts sends. */
const PROJECT_REQUESTS: [string, ContractRequest][] = [
  ['me', req('GET', '/api/v4/users/me')],
  ['statuses in bulk', req('POST', '/api/v4/users/status/ids', [ID, ID2])],
  ['set dnd with an end (seconds)', req('PUT', `/api/v4/users/${ID}/status`, { user_id: ID, status: 'dnd', dnd_end_time: 1795560000 })],
  ['set online', req('PUT', `/api/v4/users/${ID}/status`, { user_id: ID, status: 'online' })],
  ['get one status', req('GET', `/api/v4/users/${ID}/status`)],
  ['get a user', req('GET', `/api/v4/users/${ID}`)],
  ['users by ids', req('POST', '/api/v4/users/ids', [ID, ID2])],
  [
    'set custom status',
    req('PUT', `/api/v4/users/${ID}/status/custom`, { emoji: 'calendar', text: 'In a meeting', duration: 'date_and_time', expires_at: '2026-11-24T10:00:00Z' })
  ],
  ['clear custom status', req('DELETE', `/api/v4/users/${ID}/status/custom`)],
  ['open a DM', req('POST', '/api/v4/channels/direct', [ID, ID2])],
  [
    'post with buttons',
    req('POST', '/api/v4/posts', {
      channel_id: ID,
      message: 'hi',
      props: { attachments: [{ actions: [{ id: 'pause', name: 'Pause', integration: { url: 'https://x/y', context: { s: 1 } } }] }] }
    })
  ],
  ['list users', req('GET', '/api/v4/users?page=0&per_page=200&active=true')],
  ['user by email (encoded)', req('GET', `/api/v4/users/email/${encodeURIComponent('first.last+cal@example.com')}`)],
  ['user by username', req('GET', '/api/v4/users/username/admin.one')],
  // The setup check of the /calstatus command (src/app/admin/command-check.ts).
  ['teams', req('GET', '/api/v4/teams?per_page=200')],
  ['custom commands of a team', req('GET', `/api/v4/commands?team_id=${ID}&custom_only=true`)]
]

t.test('the assembled spec', async (t) => {
  t.equal(relative(join(__dirname, '..', '..'), findSpecDir()), join('sim', 'mattermost', 'openapi'), 'the vendored copy inside the repository')
  t.equal(contract.pathCount, 148, '148 paths, as SOURCE.md says')
  t.equal(contract.spec.openapi, '3.0.0')
  t.equal(contract.matchPath('/api/v4/users/ids')?.template, '/api/v4/users/ids', 'a literal segment wins over {user_id}')
  t.equal(contract.matchPath(`/api/v4/users/${ID}`)?.template, '/api/v4/users/{user_id}')
  t.same(contract.matchPath(`/api/v4/users/${ID}/status/custom`)?.params, { user_id: ID })
  t.equal(loadOpenApiContract(), contract, 'parsed once per directory')
  t.throws(() => loadOpenApiContract({ specDir: '/nonexistent' }))
})

t.test('the vendored fragments are the ones SOURCE.md names (checksums)', async (t) => {
  const dir = findSpecDir()
  const listed = new Map<string, string>()
  for (const m of readFileSync(join(dir, 'SOURCE.md'), 'utf8').matchAll(/^([0-9a-f]{64}) {2}(\S+\.yaml)$/gm)) listed.set(m[2] as string, m[1] as string)
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'))
  t.same([...listed.keys()].sort(), files.sort(), 'every fragment listed, no other')
  for (const f of files)
    t.equal(
      createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex'),
      listed.get(f),
      f
    )
})

t.test('every request shape the project sends passes', async (t) => {
  for (const [name, r] of PROJECT_REQUESTS) t.same(contract.validateRequest(r), [], name)
})

t.test('malformed requests are caught', async (t) => {
  const cases: [string, ContractRequest, string][] = [
    ['status without user_id', req('PUT', `/api/v4/users/${ID}/status`, { status: 'dnd' }), 'body'],
    ['status as a number', req('PUT', `/api/v4/users/${ID}/status`, { user_id: ID, status: 1 }), 'body'],
    ['dnd_end_time as a string', req('PUT', `/api/v4/users/${ID}/status`, { user_id: ID, status: 'dnd', dnd_end_time: '1795560000' }), 'body'],
    ['status with no body', req('PUT', `/api/v4/users/${ID}/status`), 'body'],
    ['custom status without text', req('PUT', `/api/v4/users/${ID}/status/custom`, { emoji: 'calendar' }), 'body'],
    ['ids as an object', req('POST', '/api/v4/users/status/ids', { ids: [ID] }), 'body'],
    ['ids with a number', req('POST', '/api/v4/users/ids', [ID, 5]), 'body'],
    ['DM with three users', req('POST', '/api/v4/channels/direct', [ID, ID2, ID]), 'body'],
    ['post without channel_id', req('POST', '/api/v4/posts', { message: 'x' }), 'body'],
    ['post props as a string', req('POST', '/api/v4/posts', { channel_id: ID, message: 'x', props: '{}' }), 'body'],
    ['not JSON', req('POST', '/api/v4/users/ids', '[oops'), 'body'],
    ['text/plain body', req('POST', '/api/v4/users/ids', [ID], 'text/plain'), 'body'],
    ['per_page not an integer', req('GET', '/api/v4/users?page=0&per_page=lots'), 'query'],
    ['active not a boolean', req('GET', '/api/v4/users?active=yes'), 'query'],
    ['a typo in a query name', req('GET', '/api/v4/users?perPage=200'), 'query'],
    ['an unencoded slash in an email', req('GET', '/api/v4/users/email/a/b@example.com'), 'route'],
    ['no such path', req('GET', '/api/v4/user/me'), 'route'],
    ['no such method', req('PATCH', '/api/v4/users/status/ids', [ID]), 'method'],
    ['a body where none is taken', req('GET', '/api/v4/users/me', { a: 1 }), 'body']
  ]
  for (const [name, r, where] of cases) {
    const found = contract.validateRequest(r)
    t.ok(found.length > 0, `${name}: caught`)
    t.equal(found[0]?.where, where, `${name}: ${found[0]?.message}`)
  }
})

t.test('the dnd_end_time difference noted in SOURCE.txt is allowed both ways', async (t) => {
  t.same(contract.validateRequest(req('PUT', `/api/v4/users/${ID}/status`, { user_id: ID, status: 'dnd', dnd_end_time: 1795560000 })), [])
  t.same(
    contract.validateResponse('GET', `/api/v4/users/${ID}/status`, 200, {
      user_id: ID,
      status: 'dnd',
      manual: true,
      last_activity_at: 0,
      dnd_end_time: 1795560000
    }),
    []
  )
  t.ok(contract.validateResponse('GET', `/api/v4/users/${ID}/status`, 200, { user_id: ID, status: 'dnd', dnd_end_time: '1795560000' }).length > 0, 'but typed')
})

async function startRecording(t: Test, contractMode: 'record' | 'enforce'): Promise<MattermostSim> {
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', dndExpiryPeriodMs: 0, contract: contractMode })
  t.teardown(() => sim.stop())
  return sim
}

t.test("record mode: the project's calls through @mattermost/client and fetch leave no violations; bad ones are recorded and still served", async (t) => {
  const sim = await startRecording(t, 'record')
  t.equal(sim.contractMode, 'record')
  const u = sim.driver.addUser({ username: 'gina', email: 'gina+cal@example.com' })
  const client = new Client4()
  client.setUrl(sim.url)
  client.setToken(sim.botToken)
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const init = client.getOptions({ method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }) as RequestInit
    return fetch(sim.url + path, init)
  }

  await client.getMe()
  await client.getStatusesByIds([u.id, sim.botUserId])
  await client.getStatus(u.id)
  await client.getUser(u.id)
  await client.getProfilesByIds([u.id])
  await client.getProfiles(0, 200, { active: true })
  const dm = await client.createDirectChannel([sim.botUserId, u.id])
  await client.createPost({ channel_id: dm.id, message: 'hello' })
  await call('PUT', `/api/v4/users/${u.id}/status`, { user_id: u.id, status: 'dnd', dnd_end_time: Math.floor(Date.now() / 1000) + 600 })
  await call('PUT', `/api/v4/users/${u.id}/status/custom`, {
    emoji: 'calendar',
    text: 'In a meeting',
    duration: 'date_and_time',
    expires_at: new Date(Date.now() + 600_000).toISOString()
  })
  await call('DELETE', `/api/v4/users/${u.id}/status/custom`)
  await call('GET', `/api/v4/users/email/${encodeURIComponent(u.email)}`)
  await call('GET', '/api/v4/users/username/gina')
  t.same(sim.contractViolations, [], 'no violations')
  t.equal(sim.counters().contractViolations, 0)

  const typo = await call('GET', '/api/v4/users?perPage=200')
  t.equal(typo.status, 200, 'record mode still serves it (the real server ignores the typo)')
  t.match(sim.contractViolations, [{ method: 'GET', where: 'query', message: /perPage/ }])
})

t.test('enforce mode refuses violations with 400', async (t) => {
  const sim = await startRecording(t, 'enforce')
  const h = { Authorization: `Bearer ${sim.botToken}`, 'Content-Type': 'application/json' }
  const bad = await fetch(`${sim.url}/api/v4/users/${sim.botUserId}/status`, { method: 'PUT', headers: h, body: JSON.stringify({ status: 'online' }) })
  t.equal(bad.status, 400)
  t.match(await bad.json(), { id: 'sim.contract_violation.app_error', detailed_error: /user_id/ })
  t.equal(sim.driver.status(sim.botUserId).status, 'offline', 'not applied')
  const good = await fetch(`${sim.url}/api/v4/users/${sim.botUserId}/status`, {
    method: 'PUT',
    headers: h,
    body: JSON.stringify({ user_id: sim.botUserId, status: 'online' })
  })
  t.equal(good.status, 200)
})

t.test('contract off: no spec needed', async (t) => {
  const sim = await startMattermostSim({ contract: 'off', dndExpiryPeriodMs: 0 })
  t.teardown(() => sim.stop())
  t.equal(sim.contract, undefined)
  await fetch(`${sim.url}/api/v4/users?perPage=1`, { headers: { Authorization: `Bearer ${sim.botToken}` } })
  t.same(sim.contractViolations, [])
})

t.test("the simulator's own answers match the documented response schemas", async (t) => {
  const sim = await startRecording(t, 'record')
  const u = sim.driver.addUser({ username: 'hank', timezone: { automaticTimezone: 'Europe/Paris' } })
  sim.driver.setCustomStatus(u.id, { emoji: 'calendar', text: 'x' })
  const h = { Authorization: `Bearer ${sim.botToken}`, 'Content-Type': 'application/json' }
  const check = async (method: string, path: string, body?: unknown): Promise<void> => {
    const res = await fetch(sim.url + path, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
    const json = await res.json()
    t.same(contract.validateResponse(method, path.split('?')[0] as string, res.status, json), [], `${method} ${path} -> ${res.status}`)
  }
  await check('GET', '/api/v4/users/me')
  await check('GET', `/api/v4/users/${u.id}`)
  await check('GET', '/api/v4/users?page=0&per_page=200&active=true')
  await check('POST', '/api/v4/users/ids', [u.id])
  await check('GET', `/api/v4/users/email/${encodeURIComponent(u.email)}`)
  await check('POST', '/api/v4/users/status/ids', [u.id])
  await check('PUT', `/api/v4/users/${u.id}/status`, { user_id: u.id, status: 'dnd', dnd_end_time: Math.floor(Date.now() / 1000) + 600 })
  await check('GET', `/api/v4/users/${u.id}/status`)
  const dm = await fetch(`${sim.url}/api/v4/channels/direct`, { method: 'POST', headers: h, body: JSON.stringify([sim.botUserId, u.id]) })
  const channel = (await dm.json()) as { id: string }
  t.same(contract.validateResponse('POST', '/api/v4/channels/direct', dm.status, channel), [])
  await check('POST', '/api/v4/posts', { channel_id: channel.id, message: 'hi' })
  await check('GET', `/api/v4/users/${'k'.repeat(26)}`) // 404, AppError
  await check('PUT', `/api/v4/users/${u.id}/status`, { user_id: u.id, status: 'nope' }) // 400, AppError
})

t.test('requests the rate limiter refuses are checked too', async (t) => {
  const sim = await startMattermostSim({ dndExpiryPeriodMs: 0, contract: 'record', rateLimit: { perSec: 1, maxBurst: 0 } })
  t.teardown(() => sim.stop())
  const h = { Authorization: `Bearer ${sim.botToken}` }
  t.equal((await fetch(`${sim.url}/api/v4/users/me`, { headers: h })).status, 200)
  t.equal((await fetch(`${sim.url}/api/v4/users?perPage=5`, { headers: h })).status, 429)
  t.match(sim.contractViolations, [{ where: 'query', message: /perPage/ }])
})
