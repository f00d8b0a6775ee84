import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { simHttps, type SimHttpResponse } from '../../sim/graph/https-client'

// Subscriptions (graph.md "Change notifications"): the validation handshake, limits, 409 on a
// duplicate, renew, delete, reauthorize, paging, expiry.

type Mode = 'echo' | 'wrong' | 'json' | 'slow' | 'status500'

interface Endpoint {
  url: string
  mode: Mode
  tokens: string[]
  rawQueries: string[]
  requests: Array<{ path: string; body: string }>
}

async function endpoint(t: Test, mode: Mode = 'echo'): Promise<Endpoint> {
  const ep: Endpoint = { url: '', mode, tokens: [], rawQueries: [], requests: [] }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x')
      const token = u.searchParams.get('validationToken')
      ep.requests.push({ path: u.pathname, body: Buffer.concat(chunks).toString('utf8') })
      if (token === null) {
        res.writeHead(202).end()
        return
      }
      ep.tokens.push(token)
      ep.rawQueries.push(u.search)
      if (ep.mode === 'echo') res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(token)
      else if (ep.mode === 'wrong') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(encodeURIComponent(token))
      else if (ep.mode === 'json') res.writeHead(200, { 'Content-Type': 'application/json' }).end(token)
      else if (ep.mode === 'status500') res.writeHead(500).end()
      else setTimeout(() => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token), 400)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      })
  )
  return ep
}

async function start(t: Test, opts: Partial<GraphSimOptions> = {}) {
  const clock = { now: Date.parse('2026-03-15T00:00:00Z') }
  const tokens = createTokenRegistry()
  const sim = await startGraphSim({ tokens, tenantId: 'tenant-1', now: () => clock.now, ...opts })
  t.teardown(() => sim.stop())
  const token = tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: 'x/.default', ttlSeconds: 3600 * 24 * 30 }).token
  const token2 = tokens.issue({ tenant: 'tenant-1', clientId: 'app-2', scope: 'x/.default', ttlSeconds: 3600 * 24 * 30 }).token
  const call = (method: string, path: string, body?: unknown, tok = token): Promise<SimHttpResponse> =>
    simHttps(path.startsWith('https://') ? path : `${sim.url}/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${tok}` },
      ...(body !== undefined ? { body } : {})
    })
  return { sim, clock, token, token2, call }
}

const inMinutes = (now: number, m: number) => new Date(now + m * 60_000).toISOString()

t.test('create: the handshake gets a token with spaces, +, /, = and non-ASCII, URL-encoded; 201 with the subscription', async (t) => {
  const { sim, clock, call } = await start(t)
  const ep = await endpoint(t)
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const res = await call('POST', '/subscriptions', {
    changeType: 'created,updated,deleted',
    notificationUrl: `${ep.url}/graph/notifications`,
    lifecycleNotificationUrl: `${ep.url}/graph/lifecycle`,
    resource: `users/${ada.id}/events`,
    expirationDateTime: inMinutes(clock.now, 4000),
    clientState: 'secret-state'
  })
  t.equal(res.status, 201, res.status === 201 ? 'created' : res.text) // the body holds the clientState: only on failure
  t.equal(ep.tokens.length, 2, 'both URLs were validated')
  t.same(
    ep.requests.map((r) => r.path),
    ['/graph/notifications', '/graph/lifecycle']
  )
  const token = ep.tokens[0]!
  t.match(token, / /)
  t.match(token, /\+/)
  t.match(token, /\//)
  t.match(token, /=/)
  t.match(token, /[^\p{ASCII}]/u)
  t.notMatch(ep.rawQueries[0]!, /[ +/]|[^\p{ASCII}]/u, 'URL-encoded on the wire')
  const s = res.json
  t.match(s, {
    resource: `users/${ada.id}/events`,
    changeType: 'created,updated,deleted',
    notificationUrl: `${ep.url}/graph/notifications`,
    lifecycleNotificationUrl: `${ep.url}/graph/lifecycle`,
    clientState: 'secret-state',
    applicationId: 'app-1',
    tenantId: 'tenant-1'
  })
  t.match(s.id, /^[0-9a-f-]{36}$/)
  t.ok(s.creatorId)
  t.equal(Date.parse(s.expirationDateTime), Date.parse(inMinutes(clock.now, 4000)))
  t.match(s.expirationDateTime, /\.\d{7}Z$/)
  t.equal(sim.driver.subscriptions().length, 1)
  t.equal(sim.history.validations.length, 2)
  t.ok(sim.history.validations.every((v) => v.ok))
  t.equal(sim.counters().subscriptionsCreated, 1)

  const got = await call('GET', `/subscriptions/${s.id}`)
  t.equal(got.status, 200)
  t.equal(got.json.clientState, null, 'reads do not give the secret back')
  const leading = await call('POST', '/subscriptions', {
    changeType: 'updated',
    notificationUrl: `${ep.url}/n`,
    resource: `/Users/${ada.mail.toUpperCase()}/Events`,
    expirationDateTime: inMinutes(clock.now, 60)
  })
  t.equal(leading.status, 201, 'a leading slash, any case, the UPN in the resource')
})

t.test('create fails with 400 ValidationError on a wrong, mistyped, failing or slow answer', async (t) => {
  const { sim, clock, call } = await start(t, { validationTimeoutMs: 200 })
  const ada = sim.driver.addUser()
  const body = (url: string) => ({
    changeType: 'created,updated,deleted',
    notificationUrl: url,
    resource: `users/${ada.id}/events`,
    expirationDateTime: inMinutes(clock.now, 60),
    clientState: 'x'
  })
  for (const mode of ['wrong', 'json', 'status500', 'slow'] as const) {
    const ep = await endpoint(t, mode)
    const res = await call('POST', '/subscriptions', body(`${ep.url}/n`))
    t.equal(res.status, 400, mode)
    t.equal(res.json.error.code, 'ValidationError')
    t.match(res.json.error.message, /^Subscription validation request failed\./)
  }
  const refused = await call('POST', '/subscriptions', body('http://127.0.0.1:1/n'))
  t.equal(refused.status, 400, 'nobody listening')
  const ok = await endpoint(t)
  const bad = await endpoint(t, 'wrong')
  const life = await call('POST', '/subscriptions', { ...body(`${ok.url}/n`), lifecycleNotificationUrl: `${bad.url}/l` })
  t.equal(life.status, 400, 'the lifecycle URL is validated too')
  t.match(life.json.error.message, /lifecycle/)
  t.equal(sim.driver.subscriptions().length, 0)
  t.equal(sim.counters().validationFailures, 6)
})

t.test('create checks its input: changeType, URLs, resource, expiry, clientState', async (t) => {
  const { sim, clock, call } = await start(t, { requireHttps: true })
  const ep = await endpoint(t)
  const ada = sim.driver.addUser()
  const off = sim.driver.addUser({ restDisabled: true })
  const good = {
    changeType: 'created',
    notificationUrl: 'https://example.invalid/n',
    resource: `users/${ada.id}/events`,
    expirationDateTime: inMinutes(clock.now, 60)
  }
  const cases: Array<[string, Record<string, unknown>, number]> = [
    ['bad changeType', { changeType: 'created,moved' }, 400],
    ['repeated changeType', { changeType: 'created,created' }, 400],
    ['http with requireHttps', { notificationUrl: `${ep.url}/n` }, 400],
    ['not a URL', { notificationUrl: 'hello' }, 400],
    ['me', { resource: 'me/events' }, 400],
    ['messages', { resource: `users/${ada.id}/messages` }, 400],
    ['unknown user', { resource: 'users/nobody/events' }, 404],
    ['REST-less user', { resource: `users/${off.id}/events` }, 404],
    ['past expiry', { expirationDateTime: inMinutes(clock.now, -1) }, 400],
    ['beyond 10,080 minutes', { expirationDateTime: inMinutes(clock.now, 10_081) }, 400],
    ['not a date', { expirationDateTime: 'tomorrow' }, 400],
    ['clientState of 129', { clientState: 'x'.repeat(129) }, 400]
  ]
  for (const [name, patch, status] of cases) {
    const res = await call('POST', '/subscriptions', { ...good, ...patch })
    t.equal(res.status, status, name)
    t.ok(res.json.error.code, name)
  }
  t.equal(sim.counters().validationRequests, 0, 'no handshake for a request that is refused anyway')
})

t.test('a duplicate (same app, resource and changeType) is a 409; another app may; renew, reauthorize, delete', async (t) => {
  const { sim, clock, call, token2 } = await start(t)
  const ep = await endpoint(t)
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const body = {
    changeType: 'created,updated,deleted',
    notificationUrl: `${ep.url}/n`,
    resource: `users/${ada.id}/events`,
    expirationDateTime: inMinutes(clock.now, 60),
    clientState: 's'
  }
  const first = await call('POST', '/subscriptions', body)
  t.equal(first.status, 201)
  const dup = await call('POST', '/subscriptions', {
    ...body,
    changeType: 'deleted,created,updated',
    resource: `users/${ada.mail}/events`,
    notificationUrl: `${ep.url}/other`
  })
  t.equal(dup.status, 409, 'same resource (by UPN) and the same change types in another order')
  t.equal((await call('POST', '/subscriptions', { ...body, changeType: 'updated' })).status, 201, 'other change types are another subscription')
  t.equal((await call('POST', '/subscriptions', body, token2)).status, 201, 'another app')
  const racing = await Promise.all([
    call('POST', '/subscriptions', { ...body, changeType: 'created' }),
    call('POST', '/subscriptions', { ...body, changeType: 'created' })
  ])
  t.same(racing.map((r) => r.status).sort(), [201, 409], 'two creates racing through the handshake: one wins')

  const id = first.json.id as string
  const renewed = await call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(clock.now, 10_080) })
  t.equal(renewed.status, 200)
  t.equal(Date.parse(renewed.json.expirationDateTime), Date.parse(inMinutes(clock.now, 10_080)))
  t.equal((await call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(clock.now, 10_081) })).status, 400, 'beyond the maximum')
  t.equal(
    (await call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(clock.now, 60), notificationUrl: 'https://elsewhere.invalid' })).status,
    400,
    'only expirationDateTime'
  )
  t.equal((await call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(clock.now, 60) }, token2)).status, 404, "another app's subscription")
  t.equal((await call('POST', `/subscriptions/${id}/reauthorize`, {})).status, 204)
  t.equal((await call('POST', '/subscriptions/00000000-0000-0000-0000-000000000000/reauthorize', {})).status, 404)
  t.equal((await call('DELETE', `/subscriptions/${id}`)).status, 204)
  t.equal((await call('DELETE', `/subscriptions/${id}`)).status, 404, 'gone')
  t.equal((await call('GET', `/subscriptions/${id}`)).status, 404)
  t.equal((await call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(clock.now, 60) })).status, 404)
})

t.test('list: only this app, pages of 100 with an absolute @odata.nextLink', async (t) => {
  const { sim, clock, call, token2 } = await start(t)
  const ep = await endpoint(t)
  const users = Array.from({ length: 101 }, () => sim.driver.addUser())
  for (const u of users) {
    const r = await call('POST', '/subscriptions', {
      changeType: 'updated',
      notificationUrl: `${ep.url}/n`,
      resource: `users/${u.id}/events`,
      expirationDateTime: inMinutes(clock.now, 60)
    })
    t.equal(r.status, 201)
  }
  await call(
    'POST',
    '/subscriptions',
    { changeType: 'created', notificationUrl: `${ep.url}/n`, resource: `users/${users[0]!.id}/events`, expirationDateTime: inMinutes(clock.now, 60) },
    token2
  )
  const page1 = await call('GET', '/subscriptions')
  t.equal(page1.status, 200)
  t.equal(page1.json.value.length, 100)
  const next = page1.json['@odata.nextLink'] as string
  t.match(next, new RegExp(`^${sim.url.replace(/\./g, '\\.')}/v1\\.0/subscriptions\\?`))
  const page2 = await call('GET', next)
  t.equal(page2.json.value.length, 1)
  t.notOk(page2.json['@odata.nextLink'])
  const ids = new Set([...page1.json.value, ...page2.json.value].map((s: { id: string }) => s.id))
  t.equal(ids.size, 101)
  t.ok([...page1.json.value, ...page2.json.value].every((s: { applicationId: string }) => s.applicationId === 'app-1'))
  t.equal((await call('GET', '/subscriptions', undefined, token2)).json.value.length, 1)
})

t.test('expiry: an expired subscription is gone (404, not listed) and may be created again', async (t) => {
  const { sim, clock, call } = await start(t)
  const ep = await endpoint(t)
  const ada = sim.driver.addUser()
  const body = { changeType: 'updated', notificationUrl: `${ep.url}/n`, resource: `users/${ada.id}/events`, expirationDateTime: inMinutes(clock.now, 60) }
  const s = await call('POST', '/subscriptions', body)
  clock.now += 59 * 60_000
  t.equal((await call('GET', `/subscriptions/${s.json.id}`)).status, 200)
  clock.now += 60_000
  t.equal((await call('GET', `/subscriptions/${s.json.id}`)).status, 404, 'expired')
  t.equal((await call('PATCH', `/subscriptions/${s.json.id}`, { expirationDateTime: inMinutes(clock.now, 60) })).status, 404, 'too late to renew')
  t.same((await call('GET', '/subscriptions')).json.value, [])
  t.equal((await call('POST', '/subscriptions', { ...body, expirationDateTime: inMinutes(clock.now, 60) })).status, 201, 'no conflict with an expired one')
  const again = sim.driver.subscriptions()[0]!
  sim.driver.expireSubscription(again.id)
  t.equal(sim.driver.subscriptions().length, 0, 'driver.expireSubscription')
})
