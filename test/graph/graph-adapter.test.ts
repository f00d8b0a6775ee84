import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import pino from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createGraphAdapter, type GraphAdapter } from '../../src/graph/create-graph-adapter'
import { GraphAuthError, GraphBusyError, GraphRequestError } from '../../src/graph/errors'
import { RetryLater } from '../../src/shared/retry-later'
import { startSimulators, type Simulators, type StartSimulatorsOptions } from '../../sim/index'

// The Graph adapter against the identity and Graph simulators over HTTPS with the real token flow
// (msal-node -> identity simulator; Graph simulator accepts only tokens it issued). The test
// CA is trusted through NODE_EXTRA_CA_CERTS (.taprc), as an operator would.

const log = pino({ level: 'silent' })
const HOUR = 3600_000

async function setup(t: Test, opts: StartSimulatorsOptions = {}, publicUrl: string | null = null, env: Record<string, string> = {}) {
  const sims = await startSimulators(opts)
  t.teardown(() => sims.stop())
  const { config } = loadConfig({ ...sims.env, ...env })
  const registry = new Registry()
  const graph = createGraphAdapter(config.microsoft!, { log, registry, publicUrl }, { backoffBaseMs: 50 })
  return { sims, graph, registry }
}

function addPeople(sims: Simulators, n: number, start: number): string[] {
  const emails: string[] = []
  for (let i = 0; i < n; i++) {
    const email = `user${i}@contoso.example`
    const u = sims.graph.driver.addUser({ mail: email, userPrincipalName: email, displayName: `User ${i}` })
    // Each person's own meeting, titled with their address: a mismatched batch answer shows.
    sims.graph.driver.addEvent(u.id, {
      start: start + (i % 60) * 60_000,
      end: start + (i % 60) * 60_000 + 30 * 60_000,
      showAs: 'busy',
      subject: `meeting of ${email}`
    })
    emails.push(email)
  }
  return emails
}

const windowFrom = (now: number) => ({ startMs: now - 60_000, endMs: now + 25 * HOUR })

function checkAllScheduled(t: Test, emails: string[], results: Awaited<ReturnType<GraphAdapter['fetchSchedules']>>['results']) {
  let ok = 0
  for (const email of emails) {
    const r = results.get(email)
    if (r?.kind === 'schedule' && r.items.length === 1 && r.items[0]?.subject === `meeting of ${email}`) ok += 1
    else t.fail(`${email}: ${JSON.stringify(r)?.slice(0, 200)}`)
  }
  t.equal(ok, emails.length, `every one of ${emails.length} users got their own schedule`)
}

t.test('1,000 users with 20% of inner requests throttled: everyone gets a schedule, no early retry', async (t) => {
  const { sims, graph, registry } = await setup(t, { graph: { throttle: { retryAfterSeconds: 1 } } })
  const now = Date.now()
  const emails = addPeople(sims, 1000, now)
  // An item fails only when all 8 of its attempts are throttled: at 30% that is 0.3^8 for each of
  // the 50 getSchedule items, a run in 300 (seen); at 20%, about a run in 8,000.
  sims.graph.driver.setThrottleShare(0.2)
  const { results, stats } = await graph.fetchSchedules(emails, windowFrom(now))
  checkAllScheduled(t, emails, results)
  const c = sims.graph.counters()
  t.ok(c.throttled > 0, `the simulator throttled ${c.throttled} requests`)
  t.equal(c.earlyRetries, 0, 'no request came back before its Retry-After')
  t.ok(stats.httpRequests > 3, `retries cost extra requests (${stats.httpRequests})`)
  t.equal(sims.identity.counters().tokenRequests.ok, 1, 'one token for the whole run')
  const metrics = await registry.getSingleMetricAsString('calstatus_graph_throttled_total')
  t.match(metrics, /calstatus_graph_throttled_total\{[^}]*\} [1-9]/, 'throttles counted in the metrics')
})

t.test('Graph asks to wait a day: the run stops with GraphBusyError (the job is delayed), nothing sleeps in the process', async (t) => {
  const { sims, graph } = await setup(t, { graph: { throttle: { retryAfterSeconds: 86_400 } } })
  const now = Date.now()
  const emails = addPeople(sims, 40, now)
  sims.graph.driver.setThrottleShare(1)
  const started = Date.now()
  const err = await graph.fetchSchedules(emails, windowFrom(now)).catch((e: unknown) => e)
  t.type(err, GraphBusyError)
  t.type(err, RetryLater, 'a RetryLater: the worker moves the job to the delayed set')
  t.ok((err as GraphBusyError).afterMs >= 86_400_000, 'for as long as Graph asked')
  t.ok(Date.now() - started < 60_000, 'without sleeping on it')

  // The same for a whole request (graph-client's RetryHandler would sleep 180 s and retry early).
  sims.graph.driver.setThrottleShare(0)
  sims.graph.driver.setOutage({ status: 503, retryAfterSeconds: 86_400 })
  const whole = await graph.fetchSchedules(emails, windowFrom(now)).catch((e: unknown) => e)
  t.type(whole, GraphBusyError)
  t.ok(Date.now() - started < 60_000, 'not slept either')
})

t.test('a normal sweep: ceil(N/400) requests, shuffled answers matched by id, 4-per-mailbox never hit', async (t) => {
  const { sims, graph } = await setup(t, { graph: { latency: { perRequestMs: 5, perScheduleMs: 1 } } })
  const now = Date.now()
  const emails = addPeople(sims, 1000, now)
  const { results, stats } = await graph.fetchSchedules(emails, windowFrom(now))
  checkAllScheduled(t, emails, results)
  const c = sims.graph.counters()
  t.equal(c.requestsByRoute['POST /v1.0/$batch'], 3, 'ceil(1000/400) = 3 HTTP requests')
  t.equal(stats.httpRequests, 3)
  t.equal(c.getScheduleCalls, 50, '20 addresses per getSchedule')
  t.equal(c.distinctPathMailboxes, 50, 'each getSchedule under a different mailbox')
  t.equal(c.throttled, 0, 'no 429 at all')
  t.ok(c.maxConcurrentPerMailbox <= 1, `at most ${c.maxConcurrentPerMailbox} concurrent per mailbox`)
})

t.test('unknown and REST-disabled mailboxes, also as the path mailbox', async (t) => {
  const { sims, graph } = await setup(t)
  const now = Date.now()
  // The REST-disabled user comes first in its chunk: it would be the path mailbox.
  const off = sims.graph.driver.addUser({ mail: 'onprem@contoso.example', userPrincipalName: 'onprem@contoso.example', restDisabled: true })
  const emails = ['onprem@contoso.example', ...addPeople(sims, 5, now), 'nobody@contoso.example']
  const { results } = await graph.fetchSchedules(emails, windowFrom(now))
  t.equal(results.get('onprem@contoso.example')?.kind, 'rest-disabled', `REST-disabled (${off.id})`)
  t.equal(results.get('nobody@contoso.example')?.kind, 'unknown-mailbox')
  for (const e of emails.slice(1, 6)) t.equal(results.get(e)?.kind, 'schedule', `${e} still gets a schedule`)
})

t.test('token expiry in the middle of a run: one refresh, the run completes', async (t) => {
  const { sims, graph } = await setup(t, { graph: { latency: { perRequestMs: 20, perScheduleMs: 1 } } })
  const now = Date.now()
  const emails = addPeople(sims, 2000, now)
  const run = graph.fetchSchedules(emails, windowFrom(now))
  // Once the first batch is in flight, every token issued so far expires.
  while (sims.graph.counters().batches < 1) await new Promise((r) => setTimeout(r, 5))
  sims.tokens.expireAll()
  const { results } = await run
  checkAllScheduled(t, emails, results)
  t.ok(sims.graph.counters().tokenRejections >= 1, 'Graph rejected the expired token')
  t.equal(sims.identity.counters().tokenRequests.ok, 2, 'one new token, not one per request')
})

t.test('sign-in problems become clear errors', async (t) => {
  const { sims } = await setup(t)
  const cases: Array<[string, Record<string, string>, (s: Simulators) => void, string]> = [
    ['bad secret', { MS_CLIENT_SECRET: 'wrong-secret' }, () => {}, 'bad-secret'],
    ['expired secret', {}, (s) => s.identity.driver.expireSecret(s.clientId), 'expired-secret'],
    ['consent missing', {}, (s) => s.identity.driver.setConsent(s.clientId, false), 'consent-missing'],
    ['unknown tenant', { MS_TENANT_ID: '00000000-0000-0000-0000-000000000001' }, () => {}, 'tenant-not-found']
  ]
  for (const [name, env, arrange, problem] of cases) {
    arrange(sims)
    const { config } = loadConfig({ ...sims.env, ...env })
    const graph = createGraphAdapter(config.microsoft!, { log, registry: new Registry(), publicUrl: null })
    const err = await graph.tokens.getToken().then(
      () => null,
      (e: unknown) => e
    )
    t.type(err, GraphAuthError, `${name}: a GraphAuthError`)
    t.equal((err as GraphAuthError).problem, problem, `${name}: ${problem}`)
    t.notMatch((err as Error).message, sims.clientSecret, `${name}: the secret is not in the message`)
    sims.identity.driver.setSecret(sims.clientId, sims.clientSecret)
    sims.identity.driver.setConsent(sims.clientId, true)
  }
})

t.test('a sign-in failure ends a run at its first attempt; the identity host is not asked again for a while', async (t) => {
  const { sims } = await setup(t)
  const now = Date.now()
  const emails = addPeople(sims, 1000, now)
  const { config } = loadConfig({ ...sims.env, MS_CLIENT_SECRET: 'wrong-secret' })
  const told: string[] = []
  const graph = createGraphAdapter(
    config.microsoft!,
    { log, registry: new Registry(), publicUrl: null, signIn: { signedIn: () => told.push('ok'), signInFailed: (e) => told.push(e.problem) } },
    { backoffBaseMs: 50, signInHoldMs: 1500 }
  )
  const first = await graph.fetchSchedules(emails, windowFrom(now)).then(
    () => null,
    (e: unknown) => e
  )
  t.type(first, GraphAuthError, 'the run ends with the sign-in error, not with 1,000 failed schedules')
  t.equal((first as GraphAuthError).retryable, false)
  await t.rejects(graph.resolveUsers(emails.slice(0, 100)), GraphAuthError, 'a look-up too')
  t.same(sims.identity.counters().tokenRequests.byError, { AADSTS7000215: 1 }, 'one sign-in attempt for 3 runs of many batches')
  t.equal(sims.graph.counters().batches, 0, 'Graph was never called')
  t.same(told, ['bad-secret'], 'told once')

  // Entra accepts the configured secret now (as after an admin fixed it); after the hold, it works.
  sims.identity.driver.setSecret(sims.clientId, 'wrong-secret')
  await t.rejects(graph.fetchSchedules(emails.slice(0, 10), windowFrom(now)), GraphAuthError, 'still held')
  await new Promise((resolve) => setTimeout(resolve, 1600))
  const { results } = await graph.fetchSchedules(emails, windowFrom(now))
  checkAllScheduled(t, emails, results)
  t.same(told, ['bad-secret', 'ok'], 'and told that sign-in works again')
})

t.test('resolveUsers: ids for e-mails in batches of 20, not-found handled', async (t) => {
  const { sims, graph } = await setup(t)
  const emails = addPeople(sims, 45, Date.now())
  // One whose address is only its mail, not its UPN.
  const u = sims.graph.driver.addUser({ mail: 'Alias@Contoso.example', userPrincipalName: 'alias.upn@contoso.example' })
  const answers = await graph.resolveUsers([...emails, 'alias@contoso.example', 'ghost@contoso.example'])
  t.equal([...answers.values()].filter((a) => a.kind === 'found').length, 46)
  const alias = answers.get('alias@contoso.example')
  t.equal(alias?.kind === 'found' ? alias.id : null, u.id, 'found by mail when the UPN differs')
  t.equal(answers.get('ghost@contoso.example')?.kind, 'not-found')
  t.ok(sims.graph.counters().requestsByRoute['POST /v1.0/$batch']! <= 6, 'batched, not one request per user')
})

/** A stand-in for our notification route: answers Graph's validation handshake. */
async function handshakeServer(t: Test, answer: (token: string) => { status: number; body: string; delayMs?: number }): Promise<string> {
  const server: Server = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken')
    req.resume()
    const a = token !== null ? answer(token) : { status: 202, body: '' }
    setTimeout(() => res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body), a.delayMs ?? 0)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const address = server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

t.test('subscriptions: create with the handshake, renew, list, delete, 409, failed handshake', async (t) => {
  let mode: 'good' | 'wrong' | 'slow' = 'good'
  const base = await handshakeServer(t, (token) =>
    mode === 'good' ? { status: 200, body: token } : mode === 'wrong' ? { status: 200, body: `${token}x` } : { status: 200, body: token, delayMs: 1500 }
  )
  const { sims, graph } = await setup(t, { graph: { validationTimeoutMs: 1000 } }, base)
  const api = graph.subscriptions!
  const u = sims.graph.driver.addUser({ mail: 'sub@contoso.example' })

  const sub = await api.create(u.id)
  t.equal(sub.resource.toLowerCase(), `users/${u.id}/events`.toLowerCase())
  t.ok(sub.clientState && sub.clientState.length >= 32 && sub.clientState.length <= 128, 'a secret clientState of 32..128 characters')
  const held = sims.graph.driver.subscription(sub.id)!
  t.equal(held.notificationUrl, `${base}/graph/notifications`)
  t.equal(held.lifecycleNotificationUrl, `${base}/graph/lifecycle`)
  const days = (Date.parse(sub.expirationDateTime) - Date.now()) / 60_000
  t.ok(days > 4000 && days < 10_080, `expiry ${days.toFixed(0)} min: configurable, well under the maximum`)
  t.ok(sims.graph.history.validations.length >= 2, 'both URLs were validated')

  const renewed = await api.renew(sub.id)
  t.ok(Date.parse(renewed.expirationDateTime) >= Date.parse(sub.expirationDateTime), 'renewed')
  await api.reauthorize(sub.id)
  t.same(
    (await api.list()).map((s) => s.id),
    [sub.id],
    'listed'
  )

  // 409: a second create for the same resource adopts the one whose secret we hold...
  const adopted = await api.create(u.id, { knownClientState: (id) => (id === sub.id ? sub.clientState : null) })
  t.equal(adopted.id, sub.id, '409 with a known secret: adopted')
  // ...or replaces one whose secret we lost.
  const replaced = await api.create(u.id)
  t.not(replaced.id, sub.id, '409 with an unknown secret: replaced')
  t.same(
    (await api.list()).map((s) => s.id),
    [replaced.id],
    'only the new one is left'
  )

  await api.delete(replaced.id)
  t.same(await api.list(), [], 'deleted')
  await api.delete(replaced.id) // already gone is fine

  mode = 'wrong'
  const wrong = await api.create(u.id).then(
    () => null,
    (e: unknown) => e
  )
  t.type(wrong, GraphRequestError, 'a wrong handshake answer fails the create')
  t.equal((wrong as GraphRequestError).status, 400)
  mode = 'slow'
  const slow = await api.create(u.id).then(
    () => null,
    (e: unknown) => e
  )
  t.type(slow, GraphRequestError, 'a handshake slower than the limit fails the create')
  t.same(await api.list(), [], 'no subscription was left behind')
})
