import t, { type Test } from 'tap'
import { createTokenRegistry, type TokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, type GraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { simHttps, type SimHttpResponse } from '../../sim/graph/https-client'

// Tokens, getSchedule's limits and answers, and the users routes (graph.md "getSchedule").

const T0 = Date.parse('2026-03-15T00:00:00Z')

async function start(
  t: Test,
  opts: Partial<GraphSimOptions> = {},
  tokens: TokenRegistry = createTokenRegistry()
): Promise<{ sim: GraphSim; token: string; tokens: TokenRegistry }> {
  const sim = await startGraphSim({ tokens, tenantId: 'tenant-1', now: () => T0, ...opts })
  t.teardown(() => sim.stop())
  const token = tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: `${sim.url}/.default`, ttlSeconds: 3600 }).token
  return { sim, token, tokens }
}

function api(
  sim: GraphSim,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<SimHttpResponse> {
  return simHttps(`${sim.url}/v1.0${path}`, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    ...(body !== undefined ? { body } : {})
  })
}

const utc = (iso: string) => ({ dateTime: iso, timeZone: 'UTC' })
const scheduleBody = (schedules: string[], extra: Record<string, unknown> = {}) => ({
  schedules,
  startTime: utc('2026-03-15T08:00:00'),
  endTime: utc('2026-03-15T12:00:00'),
  availabilityViewInterval: 60,
  ...extra
})

t.test('a token is required; an expired one is a 401 that says so; every answer has a request-id', async (t) => {
  const { sim, token, tokens } = await start(t)
  const u = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const none = await api(sim, undefined, 'GET', `/users/${u.id}`)
  t.equal(none.status, 401)
  t.equal(none.json.error.code, 'InvalidAuthenticationToken')
  t.ok(none.headers['request-id'], 'request-id header')
  t.equal(none.json.error.innerError['request-id'], none.headers['request-id'])
  t.ok(none.json.error.innerError.date)
  t.match(none.headers['www-authenticate'], /^Bearer /)

  const bogus = await api(sim, 'not-issued', 'GET', `/users/${u.id}`)
  t.equal(bogus.status, 401)

  const ok = await api(sim, token, 'GET', `/users/${u.id}`)
  t.equal(ok.status, 200)
  t.ok(ok.headers['request-id'])
  t.match(ok.headers['content-type'], /^application\/json/)

  tokens.expireAll()
  const expired = await api(sim, token, 'GET', `/users/${u.id}`)
  t.equal(expired.status, 401)
  t.equal(expired.json.error.code, 'InvalidAuthenticationToken')
  t.equal(expired.json.error.message, 'Lifetime validation failed, the token is expired.')
  t.equal(sim.counters().tokenRejections, 3)
  t.equal(sim.counters().requestsByRoute['GET /v1.0/users/{id}'], 4, 'rejected requests are counted by route too')

  const batch = await api(sim, token, 'POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: `/users/${u.id}` }] })
  t.equal(batch.status, 401, 'the batch itself is refused, not its items')
})

t.test('getSchedule limits: 1..20 schedules, a window under 62 days, an interval of 5..1440, null is a 500', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const path = `/users/${u.mail}/calendar/getSchedule`
  const many = Array.from({ length: 21 }, (_, i) => `p${i}@contoso.example`)

  const r21 = await api(sim, token, 'POST', path, scheduleBody(many))
  t.equal(r21.status, 400, '21 schedules')
  t.match(r21.json.error.code, /Invalid/)
  t.equal((await api(sim, token, 'POST', path, scheduleBody(many.slice(0, 20)))).status, 200, '20 schedules')
  t.equal((await api(sim, token, 'POST', path, scheduleBody([]))).status, 400, 'no schedules')
  t.equal(
    (await api(sim, token, 'POST', path, { startTime: utc('2026-03-15T08:00:00'), endTime: utc('2026-03-15T09:00:00') })).status,
    400,
    'schedules missing'
  )

  const d62 = await api(
    sim,
    token,
    'POST',
    path,
    scheduleBody(['ada@contoso.example'], { startTime: utc('2026-03-01T00:00:00'), endTime: utc('2026-05-02T00:00:00') })
  )
  t.equal(d62.status, 400, 'a 62-day window')
  t.match(d62.json.error.message, /62 days/)
  t.equal(
    (
      await api(
        sim,
        token,
        'POST',
        path,
        scheduleBody(['ada@contoso.example'], { startTime: utc('2026-03-01T00:00:00'), endTime: utc('2026-05-01T23:59:00'), availabilityViewInterval: 1440 })
      )
    ).status,
    200,
    'just under 62 days'
  )
  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { endTime: utc('2026-03-15T08:00:00') }))).status, 400, 'an empty window')
  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { endTime: utc('2026-03-15T07:00:00') }))).status, 400, 'end before start')
  t.equal(
    (await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { startTime: { dateTime: '2026-03-15T08:00:00', timeZone: 'Mars/Olympus' } })))
      .status,
    400,
    'an unknown zone'
  )
  t.equal(
    (await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { startTime: { dateTime: 'yesterday', timeZone: 'UTC' } }))).status,
    400,
    'not a dateTime'
  )

  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { availabilityViewInterval: 4 }))).status, 400, 'interval 4')
  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { availabilityViewInterval: 1441 }))).status, 400, 'interval 1441')
  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { availabilityViewInterval: 5 }))).status, 200, 'interval 5')
  t.equal((await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { availabilityViewInterval: 1440 }))).status, 200, 'interval 1440')
  const nul = await api(sim, token, 'POST', path, scheduleBody(['ada@contoso.example'], { availabilityViewInterval: null }))
  t.equal(nul.status, 500, 'an explicit null breaks the server, as seen in the wild')
  t.ok(nul.json.error.code)
  const absent = { ...scheduleBody(['ada@contoso.example']) } as Record<string, unknown>
  delete absent.availabilityViewInterval
  const dflt = await api(sim, token, 'POST', path, absent)
  t.equal(dflt.status, 200)
  t.equal(dflt.json.value[0].availabilityView.length, 8, 'absent = 30 minutes: 4 hours is 8 digits')
  t.equal((await api(sim, token, 'POST', path, 'not json{', { 'Content-Type': 'application/json' })).status, 400, 'a body that is not JSON')
})

t.test('getSchedule answers: availabilityView precedence, items, private, cancelled, unknown and REST-less addresses', async (t) => {
  const { sim, token } = await start(t)
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example', userPrincipalName: 'ada.l@contoso.example' })
  const bob = sim.driver.addUser({ mail: 'bob@contoso.example' })
  const onprem = sim.driver.addUser({ mail: 'old@contoso.example', restDisabled: true })
  const at = (h: number, m = 0) => T0 + h * 3600_000 + m * 60_000
  sim.driver.addEvent(ada.id, { start: at(8), end: at(9), showAs: 'busy', subject: 'Standup', location: 'Room 1', isPrivate: false })
  sim.driver.addEvent(ada.id, { start: at(8, 30), end: at(10), showAs: 'oof', subject: 'Dentist', isPrivate: true })
  sim.driver.addEvent(ada.id, { start: at(10), end: at(11), showAs: 'tentative', subject: 'Maybe' })
  sim.driver.addEvent(ada.id, { start: at(10, 30), end: at(11), showAs: 'workingElsewhere', subject: 'Home' })
  sim.driver.addEvent(ada.id, { start: '2026-03-15T11:00:00Z', end: '2026-03-15T11:30:00Z', showAs: 'busy', subject: 'Cancelled', isCancelled: true })
  sim.driver.addEvent(ada.id, { start: at(6), end: at(7), showAs: 'busy', subject: 'Before the window' })
  sim.driver.addEvent(ada.id, { start: at(11, 30), end: at(13), showAs: 'free', subject: 'Lunch' })

  const res = await api(
    sim,
    token,
    'POST',
    `/users/${encodeURIComponent(bob.mail)}/calendar/getSchedule`,
    scheduleBody(['ADA@contoso.example', 'ghost@contoso.example', 'old@contoso.example', 'ada.l@contoso.example'])
  )
  t.equal(res.status, 200)
  const [a, ghost, old, byUpn] = res.json.value
  t.equal(res.json.value.length, 4, 'one entry per address, in the order asked')
  t.equal(a.scheduleId, 'ADA@contoso.example', 'scheduleId as asked')
  t.equal(a.availabilityView, '3310', '08-09 busy+oof: oof wins; 09-10 oof; 10-11 tentative over workingElsewhere; 11-12 free (cancelled is gone)')
  t.equal(a.scheduleItems.length, 5, 'cancelled and out-of-window events are not items')
  const [standup, dentist, maybe, home, lunch] = a.scheduleItems
  t.same(standup.start, { dateTime: '2026-03-15T08:00:00.0000000', timeZone: 'UTC' })
  t.same(standup.end, { dateTime: '2026-03-15T09:00:00.0000000', timeZone: 'UTC' })
  t.equal(standup.status, 'busy')
  t.equal(standup.subject, 'Standup')
  t.equal(standup.location, 'Room 1')
  t.equal(standup.isPrivate, false)
  t.equal(dentist.status, 'oof')
  t.equal(dentist.isPrivate, true)
  t.notOk('subject' in dentist, 'no subject on a private item')
  t.notOk('location' in dentist, 'no location on a private item')
  t.equal(maybe.status, 'tentative')
  t.equal(home.status, 'workingElsewhere', "Graph's casing")
  t.equal(lunch.status, 'free')
  t.ok(a.workingHours)

  t.same(ghost, {
    scheduleId: 'ghost@contoso.example',
    availabilityView: '',
    scheduleItems: [],
    error: { message: 'Unable to resolve e-mail address', responseCode: '5009' }
  })
  t.equal(old.error.responseCode, 'MailboxNotEnabledForRESTAPI')
  t.match(old.error.message, /not enabled for REST/)
  t.equal(byUpn.scheduleItems.length, 5, 'an address that is the UPN resolves too')
  const byId = await api(sim, token, 'POST', `/users/${bob.id}/calendar/getSchedule`, scheduleBody([ada.id]))
  t.equal(byId.json.value[0].error.responseCode, '5009', 'schedules are SMTP addresses, not object ids')

  const restless = await api(sim, token, 'POST', `/users/${onprem.id}/calendar/getSchedule`, scheduleBody(['ada@contoso.example']))
  t.equal(restless.status, 404, 'a REST-less path mailbox')
  t.same(restless.json.error.code, 'MailboxNotEnabledForRESTAPI')
  t.equal(restless.json.error.message, 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.')
  const unknown = await api(sim, token, 'POST', '/users/nobody@contoso.example/calendar/getSchedule', scheduleBody(['ada@contoso.example']))
  t.equal(unknown.status, 404, 'an unknown path mailbox')
  t.match(`${unknown.json.error.code} ${unknown.json.error.message}`, /ErrorItemNotFound.*not found/)

  const c = sim.counters()
  t.equal(c.getScheduleCalls, 4)
  t.equal(c.schedulesAsked, 5, 'addresses in answered calls')
  t.equal(c.requestsByRoute['POST /v1.0/users/{id}/calendar/getSchedule'], 4)
})

t.test('getSchedule honours Prefer: outlook.timezone and non-UTC request zones', async (t) => {
  const { sim, token } = await start(t)
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  sim.driver.addEvent(ada.id, { start: '2026-03-15T08:00:00Z', end: '2026-03-15T09:00:00Z', showAs: 'busy', subject: 'x' })
  const body = {
    schedules: [ada.mail],
    startTime: { dateTime: '2026-03-15T09:00:00', timeZone: 'Europe/Berlin' },
    endTime: { dateTime: '2026-03-15T13:00:00', timeZone: 'Europe/Berlin' },
    availabilityViewInterval: 60
  }
  const res = await api(sim, token, 'POST', `/users/${ada.id}/calendar/getSchedule`, body, { Prefer: 'outlook.timezone="Europe/Berlin"' })
  t.equal(res.status, 200)
  t.equal(res.json.value[0].availabilityView, '2000', 'the window starts at 08:00 UTC')
  t.same(res.json.value[0].scheduleItems[0].start, { dateTime: '2026-03-15T09:00:00.0000000', timeZone: 'Europe/Berlin' })
  const windows = await api(sim, token, 'POST', `/users/${ada.id}/calendar/getSchedule`, {
    ...body,
    startTime: { dateTime: '2026-03-15T09:00:00', timeZone: 'W. Europe Standard Time' }
  })
  t.equal(windows.json.value[0].availabilityView, '2000', 'a Windows zone name')
})

t.test('users: by id or UPN (or mail, unless strict), $filter on mail and UPN with doubled quotes, 404s', async (t) => {
  const { sim, token } = await start(t)
  const ada = sim.driver.addUser({ mail: "o'brien@contoso.example", userPrincipalName: 'obrien@contoso.onmicrosoft.example', displayName: "Ada O'Brien" })
  const byId = await api(sim, token, 'GET', `/users/${ada.id.toUpperCase()}`)
  t.equal(byId.status, 200)
  t.same(
    { id: byId.json.id, mail: byId.json.mail, userPrincipalName: byId.json.userPrincipalName, displayName: byId.json.displayName },
    { id: ada.id, mail: ada.mail, userPrincipalName: ada.userPrincipalName, displayName: ada.displayName }
  )
  const sel = await api(sim, token, 'GET', `/users/${encodeURIComponent('OBRIEN@contoso.onmicrosoft.example')}?$select=id,mail`)
  t.equal(sel.status, 200)
  t.same(
    Object.keys(sel.json)
      .filter((k) => !k.startsWith('@'))
      .sort(),
    ['id', 'mail']
  )
  t.equal((await api(sim, token, 'GET', `/users/${encodeURIComponent(ada.mail)}`)).status, 200, 'lenient default: mail resolves')
  const missing = await api(sim, token, 'GET', '/users/nobody@contoso.example')
  t.equal(missing.status, 404)
  t.equal(missing.json.error.code, 'Request_ResourceNotFound')

  const filter = encodeURIComponent(`mail eq 'O''Brien@contoso.example'`)
  const list = await api(sim, token, 'GET', `/users?$filter=${filter}&$select=id,mail,userPrincipalName`)
  t.equal(list.status, 200)
  t.equal(list.json.value.length, 1)
  t.equal(list.json.value[0].id, ada.id)
  const byUpn = await api(sim, token, 'GET', `/users?$filter=${encodeURIComponent("userPrincipalName eq 'obrien@contoso.onmicrosoft.example'")}`)
  t.equal(byUpn.json.value.length, 1)
  t.same((await api(sim, token, 'GET', `/users?$filter=${encodeURIComponent("mail eq 'x@y'")}`)).json.value, [])
  t.equal((await api(sim, token, 'GET', `/users?$filter=${encodeURIComponent("startswith(mail,'a')")}`)).status, 400)

  const strict = await start(t, { userPathByMail: false })
  const u = strict.sim.driver.addUser({ mail: 'm@contoso.example', userPrincipalName: 'upn@contoso.example' })
  t.equal((await api(strict.sim, strict.token, 'GET', '/users/m@contoso.example')).status, 404, 'strict: a mail that is not the UPN is not a user path')
  t.equal((await api(strict.sim, strict.token, 'GET', '/users/upn@contoso.example')).status, 200)
  t.equal((await api(strict.sim, strict.token, 'GET', `/users/${u.id}`)).status, 200)
})

t.test('unknown routes, wrong methods, /me and versions are Graph-shaped JSON errors', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser()
  const unknown = await api(sim, token, 'GET', '/groups')
  t.equal(unknown.status, 400)
  t.match(unknown.json.error, { code: 'BadRequest', message: /segment 'groups'/ })
  t.ok(unknown.json.error.innerError['request-id'])
  t.equal((await api(sim, token, 'GET', `/users/${u.id}/calendar/events`)).status, 400)
  t.equal((await api(sim, token, 'DELETE', `/users/${u.id}`)).status, 405)
  t.equal((await api(sim, token, 'POST', '/me/calendar/getSchedule', scheduleBody([u.mail]))).status, 400, '/me with an app-only token')
  const v = await simHttps(`${sim.url}/v2.0/users`, { headers: { Authorization: `Bearer ${token}` } })
  t.equal(v.status, 400)
  t.ok(v.headers['request-id'])
})
