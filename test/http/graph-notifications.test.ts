import t, { type Test } from 'tap'
import fc from 'fast-check'
import { usePrivateRedis, type PrivateRedis } from '../helpers/redis-server'
import { startWebApp } from '../helpers/web-app'
import type { Env } from '../../src/config'

const SECRET_A = 'a'.repeat(40) + 'clientStateA'
const SECRET_B = 'b'.repeat(40) + 'clientStateB'

const TENANT = '84bd8158-6d4d-4958-8b9f-9d6445542f95'
/** Microsoft 365 and Mattermost configured, so MS_TENANT_ID is known (nothing is called). */
const INTEGRATIONS = (tenant: string): Env => ({
  MS_TENANT_ID: tenant,
  MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  MS_CLIENT_SECRET: 'not-used-by-the-web',
  MM_URL: 'http://127.0.0.1:9',
  MM_BOT_TOKEN: 'notusedbytheweb'
})

async function setup(t: Test, redis: PrivateRedis, env: Env = {}) {
  const { app, queues, subs, metrics, lines, producer, config } = await startWebApp(t, redis.url, { env, keepLog: true })
  await subs.save({
    id: 'sub-a',
    mmUserId: 'user-a',
    graphUserId: 'g-a',
    clientState: SECRET_A,
    expiresAt: Date.now() + 3600_000,
    lastRenewedAt: Date.now(),
    lastError: null
  })
  await subs.save({
    id: 'sub-b',
    mmUserId: 'user-b',
    graphUserId: 'g-b',
    clientState: SECRET_B,
    expiresAt: Date.now() + 3600_000,
    lastRenewedAt: Date.now(),
    lastError: null
  })
  /** the sync queue's jobs besides the inbox's drain */
  const jobs = async () =>
    (await queues.sync.getJobs(['delayed', 'waiting'])).filter((j) => j.name !== 'drain-inbox').map((j) => ({ name: j.name, data: j.data }))
  /** whom the notifications put in the inbox, sorted */
  const notified = async () => (await producer.zrange(`${config.queuePrefix}:inbox`, 0, -1)).sort()
  /** how many inbox writes there were (each takes the next sequence number) */
  const writes = async () => Number((await producer.get(`${config.queuePrefix}:inbox-seq`)) ?? 0)
  const drains = async () => (await queues.sync.getJobs(['delayed', 'waiting'])).filter((j) => j.name === 'drain-inbox').length
  const maintenanceJobs = async () => (await queues.maintenance.getJobs(['delayed', 'waiting'])).map((j) => ({ name: j.name, data: j.data }))
  return { app, queues, jobs, notified, drains, writes, maintenanceJobs, metrics, lines }
}

const item = (subscriptionId: string, clientState: string | undefined, extra: Record<string, unknown> = {}) => ({
  subscriptionId,
  ...(clientState !== undefined ? { clientState } : {}),
  changeType: 'updated',
  resource: 'Users/g-a/Events/AAMk=',
  tenantId: 'tenant',
  subscriptionExpirationDateTime: '2026-11-27T00:00:00Z',
  resourceData: { '@odata.type': '#Microsoft.Graph.Event', id: 'AAMk=' },
  ...extra
})

t.test('validation handshake: the decoded token back, text/plain, on both routes', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs, notified } = await setup(t, redis)
  const tokens = [
    'Validation: Testing client application reachability for subscription Request-Id: 7f2c3f5e-0a1b',
    'a+b/c=d==',
    'spaces and + plus',
    'ünïcödé ✓ 日本',
    '%2B already-encoded?'
  ]
  for (const route of ['/graph/notifications', '/graph/lifecycle']) {
    for (const token of tokens) {
      for (const contentType of ['text/plain; charset=utf-8', undefined]) {
        const res = await app.inject({
          method: 'POST',
          url: `${route}?validationToken=${encodeURIComponent(token)}`,
          ...(contentType ? { headers: { 'content-type': contentType } } : {})
        })
        t.equal(res.statusCode, 200, `${route} ${JSON.stringify(token)}`)
        t.match(res.headers['content-type'], /^text\/plain/)
        t.equal(res.headers['x-content-type-options'], 'nosniff', 'the echoed token is never sniffed as HTML')
        t.equal(res.body, token)
      }
    }
  }
  t.same(await jobs(), [], 'a handshake enqueues nothing')
  t.same(await notified(), [], 'nor writes to the inbox')
})

t.test('validation handshake: a token longer than 1,024 characters is refused with a reason', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs } = await setup(t, redis)
  const longest = await app.inject({ method: 'POST', url: `/graph/notifications?validationToken=${'v'.repeat(1024)}` })
  t.equal(longest.statusCode, 200, '1,024 characters pass')
  t.equal(longest.body.length, 1024)
  for (const route of ['/graph/notifications', '/graph/lifecycle']) {
    const res = await app.inject({ method: 'POST', url: `${route}?validationToken=${encodeURIComponent('<script>'.repeat(200))}` })
    t.equal(res.statusCode, 400, route)
    t.match(res.json(), { error: 'Bad Request', message: 'validationToken is longer than 1024 characters' })
    t.notMatch(res.body, /<script>/, 'nothing of it echoed')
  }
  t.same(await jobs(), [])
})

t.test('items naming another tenant are dropped and counted; ours (in any case) and those naming none pass', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs, notified, metrics } = await setup(t, redis, INTEGRATIONS(TENANT))
  const res = await app.inject({
    method: 'POST',
    url: '/graph/notifications',
    payload: {
      value: [
        item('sub-a', SECRET_A, { tenantId: 'ffffffff-6d4d-4958-8b9f-9d6445542f95' }),
        item('sub-b', SECRET_B, { tenantId: TENANT.toUpperCase() }),
        item('sub-a', SECRET_A, { tenantId: undefined })
      ]
    }
  })
  t.equal(res.statusCode, 202)
  t.same(await notified(), ['user-a', 'user-b'], 'user-a through the item without tenantId only')
  const text = await metrics.registry.metrics()
  t.match(text, /calstatus_graph_notifications_total\{route="notifications",outcome="wrong_tenant",process="web"\} 1/)
  t.match(text, /calstatus_graph_notifications_total\{route="notifications",outcome="accepted",process="web"\} 2/)

  // A whole POST from another tenant: nothing looked up, nothing queued.
  const foreign = await app.inject({
    method: 'POST',
    url: '/graph/lifecycle',
    payload: { value: [item('sub-b', SECRET_B, { tenantId: 'ffffffff-6d4d-4958-8b9f-9d6445542f95', lifecycleEvent: 'missed' })] }
  })
  t.equal(foreign.statusCode, 202)
  t.equal((await jobs()).filter((j) => j.data.reason === 'lifecycle').length, 0)
})

t.test('MS_TENANT_ID as a domain: the tenantId of items cannot be compared and is not checked', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, notified, lines } = await setup(t, redis, INTEGRATIONS('contoso.onmicrosoft.com'))
  const res = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [item('sub-a', SECRET_A, { tenantId: TENANT })] } })
  t.equal(res.statusCode, 202)
  t.same(await notified(), ['user-a'])
  t.ok(
    lines.some((l) => l.includes("notifications' tenantId is not checked")),
    'said at start-up'
  )
})

t.test('valid items are written to the inbox, the others counted and dropped, in the same POST; one drain asked for', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs, notified, drains, metrics } = await setup(t, redis)
  const res = await app.inject({
    method: 'POST',
    url: '/graph/notifications',
    payload: { value: [item('sub-a', SECRET_A), item('sub-b', SECRET_A), item('sub-unknown', SECRET_A), item('sub-b', undefined), item('sub-b', SECRET_B)] }
  })
  t.equal(res.statusCode, 202)
  t.same(await notified(), ['user-a', 'user-b'])
  t.equal(await drains(), 1, 'a drain of the inbox is on its way')
  t.same(await jobs(), [], 'and no job per notification')
  const text = await metrics.registry.metrics()
  t.match(text, /calstatus_graph_notifications_total\{route="notifications",outcome="accepted",process="web"\} 2/)
  t.match(text, /calstatus_graph_notifications_total\{route="notifications",outcome="bad_client_state",process="web"\} 2/)
  t.match(text, /calstatus_graph_notifications_total\{route="notifications",outcome="unknown_subscription",process="web"\} 1/)
})

t.test('duplicates and bursts for one user: in the inbox once, one drain asked for', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, notified, drains } = await setup(t, redis)
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [item('sub-a', SECRET_A), item('sub-a', SECRET_A)] } })
    t.equal(res.statusCode, 202)
  }
  t.same(await notified(), ['user-a'])
  t.equal(await drains(), 1)
})

t.test('requests arriving together share one inbox write and are each answered after it', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, notified, drains, writes } = await setup(t, redis)
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      app.inject({
        method: 'POST',
        url: '/graph/notifications',
        payload: { value: [item(i % 2 === 0 ? 'sub-a' : 'sub-b', i % 2 === 0 ? SECRET_A : SECRET_B)] }
      })
    )
  )
  t.same(
    answers.map((a) => a.statusCode),
    Array(50).fill(202)
  )
  t.same(await notified(), ['user-a', 'user-b'])
  t.equal(await drains(), 1)
  const n = await writes()
  t.ok(n >= 1 && n <= 5, `50 requests at once, ${n} inbox writes`)
})

t.test('lifecycle events each become their job', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs, maintenanceJobs } = await setup(t, redis)
  const res = await app.inject({
    method: 'POST',
    url: '/graph/lifecycle',
    payload: {
      value: [
        item('sub-a', SECRET_A, { lifecycleEvent: 'reauthorizationRequired' }),
        item('sub-b', SECRET_B, { lifecycleEvent: 'missed' }),
        item('sub-a', 'wrong', { lifecycleEvent: 'subscriptionRemoved' })
      ]
    }
  })
  t.equal(res.statusCode, 202)
  t.same(await jobs(), [{ name: 'sync-user', data: { userId: 'user-b', reason: 'lifecycle' } }], 'missed: resync; the forged removal did nothing')
  t.same(await maintenanceJobs(), [{ name: 'subscriptions', data: { reason: 'reauthorize', subscriptionIds: ['sub-a'] } }])

  const removed = await app.inject({
    method: 'POST',
    url: '/graph/lifecycle',
    payload: { value: [item('sub-a', SECRET_A, { lifecycleEvent: 'subscriptionRemoved' })] }
  })
  t.equal(removed.statusCode, 202)
  t.ok(
    (await maintenanceJobs()).some((j) => j.data.reason === 'removed' && j.data.mmUserIds?.[0] === 'user-a'),
    'removed: a new subscription is made'
  )
  t.ok(
    (await jobs()).some((j) => j.data.userId === 'user-a' && j.data.reason === 'lifecycle'),
    'removed: resync too'
  )
})

t.test('bad input: 415, 400, 413, never a crash or a stack trace', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, jobs, notified } = await setup(t, redis)
  const cases: Array<[string, Record<string, string>, string, number]> = [
    ['xml', { 'content-type': 'application/xml' }, '<value/>', 415],
    ['text without token', { 'content-type': 'text/plain' }, 'hello', 415],
    ['malformed JSON', { 'content-type': 'application/json' }, '{"value": [', 400],
    ['no value', { 'content-type': 'application/json' }, '{}', 400],
    ['value not an array', { 'content-type': 'application/json' }, '{"value": 3}', 400],
    ['item without subscriptionId', { 'content-type': 'application/json' }, '{"value": [{"clientState": "x"}]}', 400],
    ['empty body', { 'content-type': 'application/json' }, '', 400],
    ['too big', { 'content-type': 'application/json' }, JSON.stringify({ value: [item('sub-a', SECRET_A, { pad: 'x'.repeat(1024 * 1024) })] }), 413]
  ]
  for (const [name, headers, payload, status] of cases) {
    const res = await app.inject({ method: 'POST', url: '/graph/notifications', headers, payload })
    t.equal(res.statusCode, status, name)
    t.notMatch(res.body, /\bat [\w.]+ \(|node_modules/, `${name}: no stack trace`)
  }
  t.same(await jobs(), [])
  t.same(await notified(), [])
})

t.test('10,000 generated payloads: no crash, only authentic items enqueued', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, notified } = await setup(t, redis)
  const anyItem = fc.oneof(
    fc.record(
      { subscriptionId: fc.constantFrom('sub-a', 'sub-b', 'sub-x', ''), clientState: fc.oneof(fc.constantFrom(SECRET_A, SECRET_B), fc.string()) },
      { requiredKeys: [] }
    ),
    fc.anything()
  )
  const payload = fc.oneof(
    fc.record({ value: fc.array(anyItem, { maxLength: 5 }) }),
    fc.anything().map((v) => ({ value: v })),
    fc.anything(),
    fc.string().map((s) => ({ raw: s }))
  )
  let expectedUsers = new Set<string>()
  await fc.assert(
    fc.asyncProperty(payload, async (body) => {
      const raw = typeof body === 'object' && body !== null && 'raw' in body ? String((body as { raw: string }).raw) : (JSON.stringify(body) ?? 'null')
      const res = await app.inject({ method: 'POST', url: '/graph/notifications', headers: { 'content-type': 'application/json' }, payload: raw })
      if (![202, 400].includes(res.statusCode)) return false
      if (res.statusCode === 202) {
        const v = (JSON.parse(raw) as { value: Array<{ subscriptionId?: unknown; clientState?: unknown }> }).value
        for (const i of v) {
          if (i.subscriptionId === 'sub-a' && i.clientState === SECRET_A) expectedUsers.add('user-a')
          if (i.subscriptionId === 'sub-b' && i.clientState === SECRET_B) expectedUsers.add('user-b')
        }
      }
      return true
    }),
    { numRuns: 10_000 }
  )
  const enqueued = new Set(await notified())
  t.ok(expectedUsers.size > 0, `the generated payloads had authentic items (for ${[...expectedUsers].join(', ')})`)
  t.same([...enqueued].sort(), [...expectedUsers].sort(), 'in the inbox: exactly the users an authentic item named, no one else')
  expectedUsers = new Set()
})

t.test('503 when the notifications cannot be persisted, so Graph retries; the cause only in the log', async (t) => {
  const redis = await usePrivateRedis(t)
  const { app, lines } = await setup(t, redis)
  await redis.stop()
  const res = await app.inject({ method: 'POST', url: '/graph/notifications', payload: { value: [item('sub-a', SECRET_A)] } })
  t.equal(res.statusCode, 503)
  t.same(res.json(), {
    error: 'Service Unavailable',
    message: 'could not queue the notifications; Graph will retry',
    requestId: res.headers['x-request-id']
  })
  const failed = lines.filter((l) => l.includes('"msg":"request failed"'))
  t.equal(failed.length, 1, 'one log line')
  t.match(failed[0], /caused by: .*(Stream isn't writeable|Connection is closed|ECONNREFUSED)/, 'with the Redis error that caused it')
})
