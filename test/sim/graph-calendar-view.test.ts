import t, { type Test } from 'tap'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, REALISTIC_LATENCY, type GraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { simHttps, type SimHttpResponse } from '../../sim/graph/https-client'

// GET /users/{id|upn}/calendarView: the window, Graph's paging (default 10 per page, an
// absolute @odata.nextLink), its errors, the per-mailbox throttle and use inside $batch.
// (The anchor's access pattern, measured against ours in bench/anchor-baseline.ts.)

const T0 = Date.parse('2026-03-15T00:00:00Z')
const H = 3600_000

async function start(t: Test, opts: Partial<GraphSimOptions> = {}): Promise<{ sim: GraphSim; token: string }> {
  const tokens = createTokenRegistry()
  const sim = await startGraphSim({ tokens, tenantId: 'tenant-1', now: () => T0, ...opts })
  t.teardown(() => sim.stop())
  return { sim, token: tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: `${sim.url}/.default`, ttlSeconds: 3600 }).token }
}

const get = (sim: GraphSim, token: string, path: string, headers: Record<string, string> = {}): Promise<SimHttpResponse> =>
  simHttps(path.startsWith('https://') ? path : `${sim.url}/v1.0${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } })

const view = (ref: string, start = '2026-03-15T08:00:00Z', end = '2026-03-15T18:00:00Z', extra = ''): string =>
  `/users/${encodeURIComponent(ref)}/calendarView?startDateTime=${encodeURIComponent(start)}&endDateTime=${encodeURIComponent(end)}${extra}`

t.test('the window: events overlapping it, in start order, with Graph fields; cancelled listed, private marked', async (t) => {
  const { sim, token } = await start(t)
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const at = (h: number) => T0 + h * H
  sim.driver.addEvent(ada.id, { id: 'before', start: at(6), end: at(8), subject: 'ends at the window start' })
  sim.driver.addEvent(ada.id, { id: 'late', start: at(17.5), end: at(19), subject: 'runs past the end', showAs: 'tentative' })
  sim.driver.addEvent(ada.id, { id: 'early', start: at(7.5), end: at(8.5), subject: 'starts before', showAs: 'oof' })
  sim.driver.addEvent(ada.id, { id: 'priv', start: at(12), end: at(13), subject: 'Doctor', isPrivate: true })
  sim.driver.addEvent(ada.id, { id: 'gone', start: at(14), end: at(15), subject: 'Cancelled sync', isCancelled: true })
  sim.driver.addEvent(ada.id, { id: 'after', start: at(18), end: at(19), subject: 'starts at the window end' })
  sim.driver.addEvent(ada.id, { id: 'allday', start: at(0), end: at(24), subject: 'Holiday', isAllDay: true, showAs: 'free' })

  const res = await get(sim, token, view(ada.id))
  t.equal(res.status, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const v = res.json.value as Array<Record<string, any>>
  t.same(
    v.map((e) => e.id),
    ['allday', 'early', 'priv', 'gone', 'late'],
    'overlapping events only, by start'
  )
  t.same(v[1], {
    id: 'early',
    subject: 'starts before',
    isAllDay: false,
    isCancelled: false,
    showAs: 'oof',
    sensitivity: 'normal',
    start: { dateTime: '2026-03-15T07:30:00.0000000', timeZone: 'UTC' },
    end: { dateTime: '2026-03-15T08:30:00.0000000', timeZone: 'UTC' }
  })
  t.same([v[2]!.sensitivity, v[2]!.subject], ['private', 'Doctor'], 'private: sensitivity private (subject kept: app-only read)')
  t.equal(v[3]!.isCancelled, true, 'a cancelled meeting is listed with isCancelled')
  t.equal(v[0]!.isAllDay, true)
  t.notOk(res.json['@odata.nextLink'], 'one page')

  // By UPN too, an offset in the window, $select, and Prefer: outlook.timezone.
  const sel = await get(sim, token, view(ada.mail, '2026-03-15T13:00:00+01:00', '2026-03-15T13:30:00+01:00', '&$select=subject,showAs'))
  t.same(
    sel.json.value,
    [
      { id: 'allday', subject: 'Holiday', showAs: 'free' },
      { id: 'priv', subject: 'Doctor', showAs: 'busy' }
    ],
    '$select keeps id and the fields asked for'
  )
  const berlin = await get(sim, token, view(ada.id, '2026-03-15T12:00:00', '2026-03-15T12:30:00'), { Prefer: 'outlook.timezone="Europe/Berlin"' })
  t.same(
    berlin.json.value.find((e: { id: string }) => e.id === 'priv').start,
    { dateTime: '2026-03-15T13:00:00.0000000', timeZone: 'Europe/Berlin' },
    'no offset means UTC; Prefer zone applied'
  )
  t.equal(berlin.headers['preference-applied'], 'outlook.timezone="Europe/Berlin"')
  const empty = await get(sim, token, view(ada.id, '2026-03-16T08:00:00Z', '2026-03-16T09:00:00Z'))
  t.same(empty.json.value, [], 'an empty window is an empty list')

  const c = sim.counters()
  t.equal(c.requestsByRoute['GET /v1.0/users/{id}/calendarView'], 4, 'counted by route')
  t.equal(c.distinctPathMailboxes, 1, 'id and UPN are one path mailbox')
})

t.test('paging: 10 per page by default, an absolute nextLink that keeps the query; $top changes the page size', async (t) => {
  const { sim, token } = await start(t)
  const bob = sim.driver.addUser({ mail: 'bob@contoso.example' })
  for (let i = 0; i < 23; i++)
    sim.driver.addEvent(bob.id, {
      id: `e${String(i).padStart(2, '0')}`,
      start: T0 + 8 * H + i * 15 * 60_000,
      end: T0 + 8 * H + (i + 1) * 15 * 60_000,
      subject: `m${i}`
    })
  const seen: string[] = []
  let url: string | undefined = view(bob.mail, '2026-03-15T00:00:00Z', '2026-03-16T00:00:00Z', '&$select=subject')
  let pages = 0
  while (url) {
    const res = await get(sim, token, url)
    t.equal(res.status, 200)
    pages += 1
    seen.push(
      ...res.json.value.map((e: { id: string; subject: string; start?: unknown }) => {
        t.notOk(e.start, '$select kept on the next pages')
        return e.id
      })
    )
    url = res.json['@odata.nextLink']
    if (url) t.match(url, new RegExp(`^${sim.url}/v1\\.0/users/.+/calendarView\\?`), 'absolute nextLink')
  }
  t.equal(pages, 3, '10 + 10 + 3')
  t.same(
    seen,
    Array.from({ length: 23 }, (_, i) => `e${String(i).padStart(2, '0')}`),
    'every event once, in order'
  )

  const big = await get(sim, token, view(bob.id, '2026-03-15T00:00:00Z', '2026-03-16T00:00:00Z', '&$top=50'))
  t.equal(big.json.value.length, 23)
  t.notOk(big.json['@odata.nextLink'])
  const exact = await get(sim, token, view(bob.id, '2026-03-15T00:00:00Z', '2026-03-16T00:00:00Z', '&$top=23'))
  t.notOk(exact.json['@odata.nextLink'], 'no nextLink when the page ends with the last event')
})

t.test('errors: the window is required and must be valid; $top; unknown or REST-less mailbox; methods', async (t) => {
  const { sim, token } = await start(t)
  const u = sim.driver.addUser({ mail: 'cy@contoso.example' })
  sim.driver.addUser({ mail: 'onprem@contoso.example', restDisabled: true })
  const cases: Array<[string, number, string, RegExp?]> = [
    [`/users/${u.id}/calendarView`, 400, 'ErrorInvalidParameter', /StartDateTime and EndDateTime/],
    [`/users/${u.id}/calendarView?startDateTime=2026-03-15T08:00:00Z`, 400, 'ErrorInvalidParameter', /StartDateTime and EndDateTime/],
    [`/users/${u.id}/calendarView?endDateTime=2026-03-15T08:00:00Z`, 400, 'ErrorInvalidParameter'],
    [view(u.id, 'yesterday'), 400, 'ErrorInvalidParameter', /StartDateTime/],
    [view(u.id, '2026-03-15T08:00:00Z', '2026-13-45'), 400, 'ErrorInvalidParameter', /EndDateTime/],
    [view(u.id, '2026-03-15T08:00:00Z', '2026-03-15T08:00:00Z'), 400, 'ErrorInvalidParameter', /later/],
    [view(u.id, undefined, undefined, '&$top=0'), 400, 'ErrorInvalidParameter', /\$top/],
    [view(u.id, undefined, undefined, '&$top=ten'), 400, 'ErrorInvalidParameter'],
    [view(u.id, undefined, undefined, '&$skip=-1'), 400, 'ErrorInvalidParameter'],
    [view('nobody@contoso.example'), 404, 'ErrorItemNotFound'],
    [view('onprem@contoso.example'), 404, 'MailboxNotEnabledForRESTAPI'],
    ['/me/calendarView?startDateTime=2026-03-15T08:00:00Z&endDateTime=2026-03-15T09:00:00Z', 400, 'BadRequest']
  ]
  for (const [path, status, code, message] of cases) {
    const res = await get(sim, token, path)
    t.equal(res.status, status, path)
    t.equal(res.json.error.code, code, path)
    if (message) t.match(res.json.error.message, message, path)
    t.ok(res.json.error.innerError['request-id'], 'innerError')
  }
  const post = await simHttps(`${sim.url}/v1.0${view(u.id)}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: {} })
  t.equal(post.status, 405)
  const noToken = await simHttps(`${sim.url}/v1.0${view(u.id)}`)
  t.equal(noToken.status, 401)
  const upper = await get(sim, token, `/users/${u.id}/CalendarView?StartDateTime=2026-03-15T08:00:00Z&EndDateTime=2026-03-15T09:00:00Z`)
  t.equal(upper.status, 200, 'segment and query option names are case-insensitive')
})

t.test('inside $batch: 20 users per batch, each answer matched by id, nextLink relative-izable, throttled per mailbox', async (t) => {
  const { sim, token } = await start(t, { latency: { perRequestMs: 50, perScheduleMs: 0 }, throttle: { retryAfterSeconds: 3 } })
  const users = Array.from({ length: 20 }, (_, i) => sim.driver.addUser({ mail: `p${i}@contoso.example` }))
  users.forEach((u, i) => {
    for (let k = 0; k <= i % 12; k++)
      sim.driver.addEvent(u.id, { start: T0 + 8 * H + (k * H) / 2, end: T0 + 8 * H + ((k + 1) * H) / 2, subject: `${u.mail} ${k}` })
  })
  const requests = users.map((u, i) => ({ id: String(i + 1), method: 'GET', url: view(u.id, '2026-03-15T00:00:00Z', '2026-03-16T00:00:00Z') }))
  const t0 = performance.now()
  const res = await simHttps(`${sim.url}/v1.0/$batch`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: { requests } })
  const ms = performance.now() - t0
  t.equal(res.status, 200)
  const byId = new Map<string, any>(res.json.responses.map((r: { id: string }) => [r.id, r]))
  const nextLinks: string[] = []
  users.forEach((u, i) => {
    const r = byId.get(String(i + 1))
    t.equal(r.status, 200)
    const expected = Math.min(10, (i % 12) + 1)
    t.equal(r.body.value.length, expected, `user ${i}: ${expected} on the first page`)
    t.ok(
      r.body.value.every((e: { subject: string }) => e.subject.startsWith(`${u.mail} `)),
      'their own events'
    )
    if (r.body['@odata.nextLink']) nextLinks.push(r.body['@odata.nextLink'])
  })
  t.equal(nextLinks.length, 2, 'the users with 11 and 12 events have a second page')
  t.ok(ms >= 5 * 50 - 5, `5 waves of 4 (took ${Math.round(ms)} ms)`)
  const c = sim.counters()
  t.equal(c.innerRequestsByRoute['GET /v1.0/users/{id}/calendarView'], 20)
  t.equal(c.requestsByRoute['POST /v1.0/$batch'], 1)
  t.equal(c.distinctPathMailboxes, 20)

  // The second pages, through another batch with the nextLinks made relative to the version.
  const rest = await simHttps(`${sim.url}/v1.0/$batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: { requests: nextLinks.map((l, i) => ({ id: `n${i}`, method: 'GET', url: l.slice(`${sim.url}/v1.0`.length) })) }
  })
  t.same(
    rest.json.responses.map((r: { status: number }) => r.status),
    [200, 200]
  )
  t.same(rest.json.responses.map((r: any) => r.body.value.length).sort(), [1, 2], 'the remaining 1 and 2 events')

  // The per-mailbox throttle: 4 outer requests in flight for p0, then a batch item for p0 is the fifth.
  const p0 = users[0]!
  // The four must still be in flight when the batch item arrives: at 50 ms each they were done
  // before a loaded machine had sent it (a new TLS connection). 3 s is far longer than that.
  sim.driver.setLatency({ perRequestMs: 3000 })
  const outer = Array.from({ length: 4 }, () => get(sim, token, view(p0.id)))
  for (let i = 0; i < 400 && (sim.counters().requestsByRoute['GET /v1.0/users/{id}/calendarView'] ?? 0) < 4; i++) await new Promise((r) => setTimeout(r, 5))
  const throttled = await simHttps(`${sim.url}/v1.0/$batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: { requests: [{ id: 'x', method: 'GET', url: view(p0.mail) }] }
  })
  t.same(
    (await Promise.all(outer)).map((r) => r.status),
    [200, 200, 200, 200]
  )
  t.equal(throttled.json.responses[0].status, 429)
  t.equal(throttled.json.responses[0].headers['Retry-After'], '3')
  t.same(sim.counters().throttledByReason, { concurrency: 1 })
})

t.test('REALISTIC_LATENCY: 40 ms per request plus 2 ms per event returned', async (t) => {
  const { sim, token } = await start(t, { latency: REALISTIC_LATENCY })
  const u = sim.driver.addUser()
  for (let k = 0; k < 50; k++) sim.driver.addEvent(u.id, { start: T0 + 8 * H + k * 60_000, end: T0 + 8 * H + (k + 1) * 60_000 })
  const t0 = performance.now()
  const res = await get(sim, token, view(u.id, undefined, undefined, '&$top=50'))
  const ms = performance.now() - t0
  t.equal(res.json.value.length, 50)
  // A lower bound only: a slow machine adds to it (bench/anchor-baseline.ts measures this route).
  t.ok(ms >= 40 + 50 * 2 - 5, `at least 140 ms (took ${Math.round(ms)} ms)`)
})
