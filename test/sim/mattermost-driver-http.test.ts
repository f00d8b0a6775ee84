import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startMattermostSim } from '../../sim/mattermost/server'

// The HTTP driver under /_sim/ (sim/mattermost/README.md), for a simulator in another process.

t.test('the /_sim routes drive users, statuses, custom statuses, faults and read back history', async (t) => {
  const clock = { ms: Date.UTC(2026, 10, 24, 9, 0, 0) }
  const sim = await startMattermostSim({
    botRoles: 'system_user system_admin',
    dndExpiryPeriodMs: 0,
    now: () => clock.ms,
    config: { allowedUntrustedInternalConnections: ['127.0.0.1'] }
  })
  t.teardown(() => sim.stop())
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(sim.url + path, {
      method,
      ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {})
    })
    t.equal(res.headers.get('content-type'), 'application/json', `${method} ${path}: JSON`)
    return { status: res.status, json: await res.json() }
  }

  t.same((await call('GET', '/_sim/health')).json, { ok: true })
  const user = (await call('POST', '/_sim/users', { username: 'ivy', timezone: { automaticTimezone: 'Europe/Berlin' } })).json
  t.match(user, { username: 'ivy', email: 'ivy@example.com', timezone: { useAutomaticTimezone: 'true', automaticTimezone: 'Europe/Berlin' } })
  t.equal((await call('GET', `/_sim/users/${user.id}`)).json.id, user.id)

  const end = Math.floor(clock.ms / 1000) + 600
  t.match((await call('PUT', `/_sim/users/${user.id}/status`, { status: 'dnd', dnd_end_time: end })).json, {
    status: 'dnd',
    manual: true,
    prev_status: 'offline'
  })
  t.equal((await call('PUT', `/_sim/users/${user.id}/status`, { status: 'busy' })).status, 400)
  t.match((await call('POST', `/_sim/users/${user.id}/presence`, { event: 'active' })).json, { status: 'dnd' })
  clock.ms = end * 1000
  t.same((await call('POST', '/_sim/dnd-expiry', {})).json, { changed: [user.id] })
  t.match((await call('GET', `/_sim/users/${user.id}/status`)).json, { status: 'offline', manual: false })

  t.match((await call('PUT', `/_sim/users/${user.id}/custom-status`, { emoji: 'calendar', text: 'In a meeting' })).json, { emoji: 'calendar', duration: '' })
  t.equal((await call('PUT', `/_sim/users/${user.id}/custom-status`, { emoji: 'nope_nope', text: 'x' })).status, 400, 'server validation applies')
  t.equal((await call('GET', `/_sim/users/${user.id}/recent-custom-statuses`)).json.length, 1)
  t.same((await call('DELETE', `/_sim/users/${user.id}/custom-status`)).json, { status: 'OK' })
  t.equal((await call('GET', `/_sim/users/${user.id}/custom-status`)).json, null)

  await call('POST', '/_sim/faults', { count: 1, status: 503 })
  t.equal((await fetch(`${sim.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${sim.botToken}` } })).status, 503)
  await call('PUT', '/_sim/rate-limit', { perSec: 1, maxBurst: 0 })
  await call('PUT', '/_sim/latency', { ms: 1 })
  const a = await fetch(`${sim.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${sim.botToken}` } })
  const b = await fetch(`${sim.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${sim.botToken}` } })
  t.same([a.status, b.status], [200, 429])
  await call('PUT', '/_sim/rate-limit', { enabled: false })
  t.equal((await call('PUT', '/_sim/config', { showEmailAddress: false })).json.showEmailAddress, false)

  const token = (await call('POST', '/_sim/tokens', { userId: user.id })).json.token
  t.equal((await fetch(`${sim.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } })).status, 200)

  const history = (await call('GET', '/_sim/history')).json
  t.same(
    history.statuses.map((s: any) => s.who),
    [`api:${user.id}`, 'expiry']
  )
  t.same(
    history.customStatuses.map((s: any) => s.action),
    ['set', 'clear']
  )
  const counters = (await call('GET', '/_sim/counters')).json
  t.equal(counters.throttled, 1)
  t.equal(counters.injectedFailures, 1)
  t.equal((await call('DELETE', '/_sim/counters')).json.total, 0)
  t.same((await call('GET', '/_sim/contract-violations')).json, [])
  t.equal((await call('GET', '/_sim/nothing')).status, 404)
})

t.test('slash commands, button clicks and menu picks through /_sim', async (t) => {
  const service = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      const picked = req.url === '/action' ? (JSON.parse(body) as { context?: { selected_option?: string } }).context?.selected_option : undefined
      res.end(JSON.stringify(req.url === '/slash' ? { text: 'ok from service' } : { ephemeral_text: picked ? `picked ${picked}` : 'clicked' }))
    })
  })
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => service.close(() => resolve())))
  const svcUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`

  const sim = await startMattermostSim({ dndExpiryPeriodMs: 0, config: { allowedUntrustedInternalConnections: ['127.0.0.1'] } })
  t.teardown(() => sim.stop())
  const call = async (path: string, body: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, json: await res.json() }
  }
  const user = (await call('/_sim/users', { username: 'jay' })).json
  const cmd = (await call('/_sim/commands', { trigger: 'calstatus', url: `${svcUrl}/slash` })).json
  t.match(cmd, { trigger: 'calstatus', token: /^[a-z0-9]{26}$/ })
  const run = await call('/_sim/commands/execute', { userId: user.id, command: '/calstatus help' })
  t.match(run.json, { reply: { status: 200 }, ephemeralText: 'ok from service' })
  t.match((await call('/_sim/commands/execute', { userId: user.id, command: '/other' })).json, { kind: 'not_found' })

  const dm = await fetch(`${sim.url}/api/v4/channels/direct`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sim.botToken}` },
    body: JSON.stringify([sim.botUserId, user.id])
  })
  const channel = (await dm.json()) as { id: string }
  const post = await fetch(`${sim.url}/api/v4/posts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${sim.botToken}` },
    body: JSON.stringify({
      channel_id: channel.id,
      message: 'x',
      props: {
        attachments: [
          {
            actions: [
              { id: 'go', name: 'Go', integration: { url: `${svcUrl}/action`, context: {} } },
              {
                id: 'howlong',
                type: 'select',
                name: 'How long',
                options: [{ text: '1 hour', value: '60' }],
                integration: { url: `${svcUrl}/action`, context: {} }
              }
            ]
          }
        ]
      }
    })
  })
  const postId = ((await post.json()) as { id: string }).id
  t.match((await call('/_sim/buttons/click', { userId: user.id, postId, actionId: 'go' })).json, { ephemeralText: 'clicked' })
  t.match((await call('/_sim/menus/select', { userId: user.id, postId, actionId: 'howlong', value: '60' })).json, { ephemeralText: 'picked 60' })
  t.equal((await call('/_sim/menus/select', { userId: user.id, postId, actionId: 'howlong' })).status, 400, 'value is required')
})
