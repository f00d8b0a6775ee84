import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startGraphSim, type GraphSim, type GraphSimOptions } from '../../sim/graph/server'
import { createGraphClient } from '../../src/graph/create-graph-client'
import { createGraphMetrics } from '../../src/graph/graph-metrics'
import { fetchSchedules } from '../../src/graph/fetch-schedules'
import { createMailboxGate } from '../../src/graph/mailbox-gate'
import { resolveUsers } from '../../src/graph/resolve-users'
import { createSubscriptionsApi } from '../../src/graph/subscriptions'
import { createLogger } from '../../src/observability/create-logger'
import type { MicrosoftConfig } from '../../src/config'

// The service's own Graph client (src/graph) against the simulator, over real HTTPS (the CA
// trusted through NODE_EXTRA_CA_CERTS, as .taprc sets it): the simulator speaks what the
// client expects, harsh parts included.

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))
const NOW = Date.parse('2026-03-15T08:00:00Z')

async function setup(t: Test, opts: Partial<GraphSimOptions> = {}) {
  const tokens = createTokenRegistry()
  const sim: GraphSim = await startGraphSim({ tokens, tenantId: 'tenant-1', ...opts })
  t.teardown(() => sim.stop())
  const config: MicrosoftConfig = {
    tenantId: 'tenant-1',
    clientId: 'app-1',
    clientSecret: 's',
    authorityHost: 'https://login.example',
    graphUrl: sim.url,
    maxConcurrentBatches: 4,
    timeoutSeconds: 10,
    subscriptionLifetimeMinutes: 4000,
    subscriptionCreatesPerSecond: 40
  }
  let token = tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: `${sim.url}/.default`, ttlSeconds: 3600 }).token
  const provider = {
    getToken: async (o?: { forceRefresh?: boolean }) => {
      if (o?.forceRefresh) token = tokens.issue({ tenant: 'tenant-1', clientId: 'app-1', scope: `${sim.url}/.default`, ttlSeconds: 3600 }).token
      return token
    }
  }
  const metrics = createGraphMetrics(new Registry())
  const client = createGraphClient(config, { tokens: provider, metrics, log: silent }, { timeoutMs: 10_000, maxRetries: 3 })
  return { sim, tokens, client, metrics }
}

t.test('fetchSchedules: 45 people in 3 getSchedules in one $batch, unknown and REST-less ones classified', async (t) => {
  const { sim, client, metrics } = await setup(t)
  const people = Array.from({ length: 43 }, (_, i) => sim.driver.addUser({ mail: `p${i}@contoso.example` }))
  sim.driver.addUser({ mail: 'onprem@contoso.example', restDisabled: true })
  for (const p of people) sim.driver.addEvent(p.id, { start: NOW + 3600_000, end: NOW + 7200_000, showAs: 'busy', subject: 'x' })
  const emails = [...people.map((p) => p.mail), 'ghost@contoso.example', 'onprem@contoso.example']
  const { results } = await fetchSchedules(
    client,
    metrics,
    emails,
    { startMs: NOW, endMs: NOW + 86_400_000 },
    { maxConcurrentBatches: 2, maxAttempts: 5, backoffBaseMs: 10, gate: createMailboxGate() }
  )
  t.equal(results.size, 45)
  t.equal(results.get('p0@contoso.example')?.kind, 'schedule')
  const items = results.get('p7@contoso.example')
  t.ok(items?.kind === 'schedule' && items.items.length === 1 && items.items[0]!.status === 'busy')
  t.equal(results.get('ghost@contoso.example')?.kind, 'unknown-mailbox')
  t.equal(results.get('onprem@contoso.example')?.kind, 'rest-disabled')
  const c = sim.counters()
  t.equal(c.requestsByRoute['POST /v1.0/$batch'], 1)
  t.equal(c.getScheduleCalls, 3)
})

t.test('fetchSchedules: a REST-less path mailbox is moved off, and throttled items are retried after Retry-After', async (t) => {
  const { sim, client, metrics } = await setup(t, { throttle: { retryAfterSeconds: 1 } })
  sim.driver.addUser({ mail: 'a-onprem@contoso.example', restDisabled: true })
  const people = Array.from({ length: 5 }, (_, i) => sim.driver.addUser({ mail: `p${i}@contoso.example` }))
  sim.driver.setThrottleShare(1)
  setTimeout(() => sim.driver.setThrottleShare(0), 300)
  const { results } = await fetchSchedules(
    client,
    metrics,
    ['a-onprem@contoso.example', ...people.map((p) => p.mail)],
    { startMs: NOW, endMs: NOW + 86_400_000 },
    { maxConcurrentBatches: 1, maxAttempts: 6, backoffBaseMs: 10, gate: createMailboxGate() }
  )
  t.equal(results.get('a-onprem@contoso.example')?.kind, 'rest-disabled')
  for (const p of people) t.equal(results.get(p.mail)?.kind, 'schedule', p.mail)
  const c = sim.counters()
  t.ok(c.throttled >= 1)
  t.equal(c.earlyRetries, 0, 'the client waited for Retry-After')
})

t.test('resolveUsers: by UPN, then by mail filter when the mail is not the UPN (strict user paths)', async (t) => {
  const { sim, client, metrics } = await setup(t, { userPathByMail: false })
  const ada = sim.driver.addUser({ mail: 'ada@contoso.example' })
  const bob = sim.driver.addUser({ mail: "b.o'neil@contoso.example", userPrincipalName: 'bob@contoso.onmicrosoft.example' })
  const res = await resolveUsers(client, metrics, [ada.mail, bob.mail, 'ghost@contoso.example'], { maxConcurrentBatches: 1, maxAttempts: 3, backoffBaseMs: 10 })
  t.match(res.get(ada.mail), { kind: 'found', id: ada.id })
  t.match(res.get(bob.mail), { kind: 'found', id: bob.id, userPrincipalName: bob.userPrincipalName })
  t.match(res.get('ghost@contoso.example'), { kind: 'not-found' })
})

t.test('subscriptions API: create (handshake), 409 adoption, renew, list, delete; an expired token is refreshed once', async (t) => {
  const { sim, tokens, client } = await setup(t)
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken')
    req.resume()
    req.on('end', () => (token !== null ? res.writeHead(200, { 'Content-Type': 'text/plain' }).end(token) : res.writeHead(202).end()))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  t.teardown(() => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))))
  const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const api = createSubscriptionsApi(client, { publicUrl, lifetimeMinutes: 4000 })
  const ada = sim.driver.addUser()
  const s = await api.create(ada.id)
  t.ok(s.id)
  t.ok(s.clientState)
  const again = await api.create(ada.id, { knownClientState: (id) => (id === s.id ? s.clientState : null) })
  t.equal(again.id, s.id, 'the 409 is resolved by adopting the existing one')
  const renewed = await api.renew(s.id)
  t.ok(Date.parse(renewed.expirationDateTime) > Date.now())
  tokens.expireAll()
  t.equal((await api.list()).length, 1, 'after a 401, one refresh and the call goes through')
  await api.reauthorize(s.id)
  await api.delete(s.id)
  t.same(await api.list(), [])
  t.equal(sim.counters().tokenRejections, 1)
})
