import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { Writable } from 'node:stream'
import { startMattermostSim, type MattermostSim } from '../../sim/mattermost/server'
import { createAdminNotices } from '../../src/app/admin-notices'
import { createMattermostAdapter, type MattermostAdapter } from '../../src/mattermost/create-mattermost-adapter'
import { createProblemStore } from '../../src/store/problem-store'
import {
  MattermostAuthError,
  MattermostBusyError,
  MattermostError,
  MattermostOutcomeUnknownError,
  MattermostPermissionError
} from '../../src/mattermost/errors'
import { createLogger } from '../../src/observability/create-logger'
import { usePrivateRedis } from '../helpers/redis-server'
import { assertBuilt, ROOT } from '../helpers/processes'
import { spawn } from 'node:child_process'
import path from 'node:path'

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))

async function setup(
  t: Test,
  opts: { botRoles?: string; adminUsers?: string[]; perSecond?: number; token?: string; timeoutMs?: number; maxWaitMs?: number } = {}
) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  const sim = await startMattermostSim({ botRoles: opts.botRoles ?? 'system_user system_user_manager', contract: 'record', dndExpiryPeriodMs: 0 })
  t.teardown(async () => {
    redis.disconnect()
    await sim.stop()
  })
  const registry = new Registry()
  const keyPrefix = `{t${Math.random().toString(36).slice(2, 8)}}`
  // The admin notices as the services object wires them (src/main/create-services.ts).
  let mm: MattermostAdapter | null = null
  const notices = createAdminNotices({ problems: createProblemStore(redis, keyPrefix), messenger: () => mm, log: silent, registry })
  const health: boolean[] = []
  mm = createMattermostAdapter(
    { url: sim.url, botToken: opts.token ?? sim.botToken, commandToken: null, adminUsers: opts.adminUsers ?? [], maxRequestsPerSecond: opts.perSecond ?? 1000 },
    {
      log: silent,
      registry,
      redis,
      keyPrefix,
      permission: { missing: (m) => notices.raise('mattermost-permission', m), ok: () => void notices.clear('mattermost-permission') },
      health: (up) => health.push(up)
    },
    { backoffBaseMs: 20, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.maxWaitMs ? { maxWaitMs: opts.maxWaitMs } : {}) }
  )
  return { sim, mm, registry, redis, notices, health }
}

function noContractViolations(t: Test, sim: MattermostSim): void {
  t.same(sim.contractViolations, [], 'every request matched the OpenAPI spec')
}

t.test('start-up check: me() with a good and a wrong token', async (t) => {
  const { sim, mm } = await setup(t)
  const me = await mm.me()
  t.equal(me.id, sim.botUserId)
  t.equal(me.isBot, true)
  const { mm: wrong } = await setup(t, { token: 'wrongtokenwrongtokenwrongt' })
  await t.rejects(wrong.me(), MattermostAuthError)
  await t.rejects(wrong.me(), /MM_BOT_TOKEN/)
  noContractViolations(t, sim)
})

t.test('statuses: one bulk read, keyed by id; unknown ids read as offline', async (t) => {
  const { sim, mm, registry } = await setup(t)
  const users = Array.from({ length: 50 }, (_, i) => sim.driver.addUser({ username: `user${i}`, email: `user${i}@example.com` }))
  sim.driver.presence(users[0]!.id, 'active')
  sim.driver.setStatus(users[1]!.id, 'away')
  sim.resetCounters()
  const ghost = 'zzzzzzzzzzzzzzzzzzzzzzzzzz'
  const statuses = await mm.getStatuses([...users.map((u) => u.id), ghost])
  t.equal(sim.counters().requests['POST /api/v4/users/status/ids'], 1, 'one call')
  t.match(statuses.get(users[0]!.id), { status: 'online', manual: false })
  t.match(statuses.get(users[1]!.id), { status: 'away', manual: true })
  t.match(statuses.get(ghost), { status: 'offline' })
  const metrics = await registry.metrics()
  t.match(metrics, /calstatus_mattermost_calls_total\{route="POST \/users\/status\/ids",outcome="2xx"\} 1/, 'calls by route and outcome')
  t.match(metrics, /calstatus_mattermost_ceiling_wait_seconds_count \d+/, 'wait under the ceiling')
  noContractViolations(t, sim)
})

t.test('statuses: 20,000 ids go in as few calls as the body limit allows, none refused with 413', async (t) => {
  const { sim, mm } = await setup(t)
  const ids = Array.from({ length: 20_000 }, (_, i) => 'z' + i.toString(36).padStart(25, '0'))
  sim.resetCounters()
  const statuses = await mm.getStatuses(ids)
  t.equal(statuses.size, 20_000)
  t.equal(sim.counters().requests['POST /api/v4/users/status/ids'], 3, 'ceil(20,000 x 29 bytes / 250,000)')
})

t.test('status writes round-trip with the server semantics', async (t) => {
  const { sim, mm } = await setup(t)
  const u = sim.driver.addUser({ username: 'alice', email: 'alice@example.com' })
  sim.driver.presence(u.id, 'active')
  const end = Math.floor(Date.now() / 1000) + 3600 + 17
  t.same(await mm.setStatus(u.id, 'dnd', end), { done: true })
  t.match(
    sim.driver.status(u.id),
    { status: 'dnd', manual: true, prev_status: 'online', dnd_end_time: end - (end % 60) },
    'dnd_end_time in seconds, cut to the minute'
  )
  await mm.setStatus(u.id, 'online')
  t.match(sim.driver.status(u.id), { status: 'online', manual: false }, 'online hands presence back')
  await mm.setStatus(u.id, 'away')
  t.match(sim.driver.status(u.id), { status: 'away', manual: true })
  noContractViolations(t, sim)
})

t.test('DND is never set twice: after an ambiguous failure the adapter looks before retrying', async (t) => {
  const { sim, mm } = await setup(t)
  const u = sim.driver.addUser({ username: 'bob', email: 'bob@example.com' })
  sim.driver.presence(u.id, 'active')
  // The server applies the DND, then the answer is lost (a 502 from a proxy, say).
  sim.driver.injectFaults(1, { status: 502, applied: true, route: 'PUT /api/v4/users/{user_id}/status' })
  const end = Math.floor(Date.now() / 1000) + 1800
  t.same(await mm.setStatus(u.id, 'dnd', end), { done: true })
  t.match(sim.driver.status(u.id), { status: 'dnd', prev_status: 'online' }, "Mattermost still restores the user's own status")
  const dndWrites = sim.history.statuses.filter((c) => c.userId === u.id && c.to === 'dnd')
  t.equal(dndWrites.length, 1, 'one DND write, not two')

  // When it does not show up, it is not sent again: it may still land (the caller holds the user).
  const v = sim.driver.addUser({ username: 'vic', email: 'vic@example.com' })
  sim.driver.presence(v.id, 'active')
  sim.driver.injectFaults(1, { status: 502, route: 'PUT /api/v4/users/{user_id}/status' })
  const err = await mm.setStatus(v.id, 'dnd', end).catch((e: unknown) => e)
  t.type(err, MattermostOutcomeUnknownError)
  t.match(sim.driver.status(v.id), { status: 'online' })
  t.equal(sim.history.statuses.filter((c) => c.userId === v.id && c.to === 'dnd').length, 0, 'not sent a second time')
})

t.test('a DND write held by the server past the timeout, then applied: read back until it shows, never sent twice', async (t) => {
  const { sim, mm } = await setup(t, { timeoutMs: 300 })
  const u = sim.driver.addUser({ username: 'hal', email: 'hal@example.com' })
  sim.driver.presence(u.id, 'active')
  sim.driver.injectFaults(1, { holdMs: 1500, route: 'PUT /api/v4/users/{user_id}/status' })
  const end = Math.floor(Date.now() / 1000) + 1800
  t.same(await mm.setStatus(u.id, 'dnd', end), { done: true }, 'it landed while the adapter was reading back')
  t.match(sim.driver.status(u.id), { status: 'dnd', prev_status: 'online' })
  t.equal(sim.history.statuses.filter((c) => c.userId === u.id && c.to === 'dnd').length, 1)
})

t.test('a write checks its caller still may write right before it is sent; a refusal sends nothing', async (t) => {
  const { sim, mm } = await setup(t)
  const u = sim.driver.addUser({ username: 'ida', email: 'ida@example.com' })
  sim.driver.presence(u.id, 'active')
  const refused = new Error('lease lost')
  const err = await mm.setStatus(u.id, 'dnd', Math.floor(Date.now() / 1000) + 600, { beforeSend: () => Promise.reject(refused) }).catch((e: unknown) => e)
  t.equal(err, refused)
  t.equal(sim.history.statuses.filter((c) => c.userId === u.id && c.to === 'dnd').length, 0)
  let checks = 0
  await mm.setCustomStatus(
    u.id,
    { emoji: 'calendar', text: 'x', expiresAt: new Date(Date.now() + 60_000).toISOString() },
    { beforeSend: async () => void checks++ }
  )
  t.equal(checks, 1)
})

t.test('custom status: set with date_and_time, validation errors surfaced, clear, bulk read', async (t) => {
  const { sim, mm } = await setup(t)
  const u = sim.driver.addUser({ username: 'carol', email: 'carol@example.com' })
  const expiresAt = new Date(Date.now() + 3600_000).toISOString()
  await mm.setCustomStatus(u.id, { emoji: 'calendar', text: 'In a meeting', expiresAt })
  t.match(sim.driver.customStatus(u.id), { emoji: 'calendar', text: 'In a meeting', duration: 'date_and_time' })
  t.match(await mm.getCustomStatus(u.id), { emoji: 'calendar', text: 'In a meeting' })
  const bulk = await mm.getCustomStatuses([u.id])
  t.match(bulk.get(u.id), { emoji: 'calendar' })

  const err = await mm.setCustomStatus(u.id, { emoji: 'no_such_emoji_here', text: 'x', expiresAt }).catch((e: unknown) => e)
  t.type(err, MattermostError)
  t.equal((err as MattermostError).status, 400, 'the HTTP status is surfaced')
  t.match((err as Error).message, /PUT \/users\/\{id\}\/status\/custom/)

  const past = await mm.setCustomStatus(u.id, { emoji: 'calendar', text: 'x', expiresAt: new Date(Date.now() - 60_000).toISOString() }).catch((e: unknown) => e)
  t.equal((past as MattermostError).status, 400, 'an expiry in the past is refused')

  await mm.clearCustomStatus(u.id)
  t.equal(sim.driver.customStatus(u.id), null)
  t.equal(await mm.getCustomStatus(u.id), null)
  noContractViolations(t, sim)
})

t.test('direct messages: the DM channel is created once and cached in Redis', async (t) => {
  const { sim, mm, redis } = await setup(t)
  const u = sim.driver.addUser({ username: 'dave', email: 'dave@example.com' })
  sim.resetCounters()
  const a = await mm.sendDirectMessage(u.id, 'first')
  const b = await mm.sendDirectMessage(u.id, 'second', { calstatus: true })
  t.equal(a.channelId, b.channelId)
  t.equal(sim.counters().requests['POST /api/v4/channels/direct'], 1, 'channel created once')
  t.same(
    sim.driver.posts(a.channelId).map((p) => p.message),
    ['first', 'second']
  )
  const keys = await redis.keys('*:mm:dm-channels')
  t.equal(keys.length, 1, 'one DM channel cache in Redis')
  t.same(await redis.hgetall(keys[0] ?? 'none'), { [`${sim.botUserId}:${u.id}`]: a.channelId }, "cached in Redis: the bot's DM channel with dave")
  noContractViolations(t, sim)
})

t.test('429 storms: Retry-After is honoured, nothing fails', async (t) => {
  const { sim, mm, registry } = await setup(t)
  const u = sim.driver.addUser({ username: 'erin', email: 'erin@example.com' })
  sim.driver.injectFaults(2, { status: 429, retryAfterSeconds: 1 })
  const t0 = Date.now()
  await mm.setStatus(u.id, 'away')
  t.ok(Date.now() - t0 >= 2000, `waited for both Retry-After seconds (${Date.now() - t0} ms)`)
  t.match(sim.driver.status(u.id), { status: 'away' })
  t.match(await registry.metrics(), /calstatus_mattermost_throttled_total\{route="PUT \/users\/\{id\}\/status"\} 2/, '429s counted')

  // The server's own limiter (10/s, burst 10 here): 40 reads all succeed.
  sim.driver.setRateLimit({ perSec: 10, maxBurst: 10 })
  sim.resetCounters()
  const results = await Promise.all(Array.from({ length: 40 }, () => mm.getStatuses([u.id])))
  t.equal(results.length, 40)
  // The ceiling learns the limiter from its headers (docs/mattermost.md): few 429s, if any. Blind,
  // 30 of the 40 would be; the careful start sends at most 8 before the first answer, and on a
  // loaded machine a few of those may meet an empty bucket (5 seen in CI).
  t.ok(sim.counters().throttled <= 8, `the ceiling kept to the limiter (${sim.counters().throttled} x 429)`)
})

t.test('network resets: reads retried; a post is never sent twice', async (t) => {
  const { sim, mm } = await setup(t)
  const u = sim.driver.addUser({ username: 'fay', email: 'fay@example.com' })
  sim.driver.injectFaults(1, { reset: true, route: 'POST /api/v4/users/status/ids' })
  t.ok((await mm.getStatuses([u.id])).get(u.id), 'read retried after a reset')
  await mm.sendDirectMessage(u.id, 'warm the channel cache')
  sim.driver.injectFaults(1, { reset: true, applied: true, route: 'POST /api/v4/posts' })
  await t.rejects(mm.sendDirectMessage(u.id, 'maybe delivered'), MattermostError)
  t.equal(sim.driver.posts().filter((p) => p.message === 'maybe delivered').length, 1, 'not repeated')
})

t.test('permissions: admins skipped without manage_system; a bot without edit_other_users is reported once', async (t) => {
  const { sim, mm } = await setup(t)
  const admin = sim.driver.addUser({ username: 'root2', email: 'root2@example.com', roles: 'system_user system_admin' })
  const plain = sim.driver.addUser({ username: 'gus', email: 'gus@example.com' })
  t.match(await mm.setStatus(admin.id, 'dnd', Math.floor(Date.now() / 1000) + 600), { done: false, skipped: 'system-admin' })
  t.same(await mm.setStatus(plain.id, 'away'), { done: true })

  const weak = await setup(t, { botRoles: 'system_user', adminUsers: ['ops'] })
  const ops = weak.sim.driver.addUser({ username: 'ops', email: 'ops@example.com' })
  const victim = weak.sim.driver.addUser({ username: 'hal', email: 'hal@example.com' })
  await t.rejects(weak.mm.setStatus(victim.id, 'away'), MattermostPermissionError)
  await t.rejects(
    weak.mm.setCustomStatus(victim.id, { emoji: 'calendar', text: 'x', expiresAt: new Date(Date.now() + 60_000).toISOString() }),
    /edit_other_users/
  )
  const dm = weak.sim.driver.directChannelId(weak.sim.botUserId, ops.id)
  t.ok(dm, 'the admin got a DM')
  t.equal(weak.sim.driver.posts(dm).length, 1, 'once, not per failure')
  t.match(weak.sim.driver.posts(dm)[0]?.message, /edit_other_users/)
  t.match(await weak.notices.current(), [{ kind: 'mattermost-permission' }], 'listed as a current problem')
})

t.test('health: every call tells whether Mattermost answered; a 4xx is an answer, a 5xx after the retries is not', async (t) => {
  const { sim, mm, health } = await setup(t)
  const u = sim.driver.addUser({ username: 'ida', email: 'ida@example.com' })
  await mm.getStatuses([u.id])
  t.same(health, [true])
  sim.driver.injectFaults(4, { status: 503, route: 'POST /api/v4/users/status/ids' })
  await t.rejects(mm.getStatuses([u.id]), MattermostError)
  t.same(health, [true, false], 'one report per call, after its retries')
  t.equal(await mm.getUserByEmail('nobody@example.com'), null)
  await t.rejects(mm.getCustomStatus('no-such-user-id-000000000'), MattermostError)
  t.same(health, [true, false, true, true], 'a 404 is Mattermost answering')
})

t.test('directory: active non-bot users page by page; e-mail look-up URL-encoded', async (t) => {
  const { sim, mm } = await setup(t)
  for (let i = 0; i < 430; i++)
    sim.driver.addUser({
      username: `person${i}`,
      email: `person${i}@example.com`,
      timezone: { useAutomaticTimezone: 'false', manualTimezone: 'Europe/Berlin' }
    })
  sim.driver.addBot({ username: 'otherbot', email: 'otherbot@example.com' })
  const gone = sim.driver.addUser({ username: 'gone', email: 'gone@example.com' })
  sim.driver.deactivateUser(gone.id)
  sim.resetCounters()
  const seen: string[] = []
  let pages = 0
  for await (const page of mm.listUsers()) {
    pages += 1
    t.ok(page.length <= 200)
    seen.push(...page.map((u) => u.username))
  }
  t.ok(seen.includes('person429') && seen.includes('person0'))
  t.notOk(seen.includes('otherbot') || seen.includes('gone') || seen.includes('calstatus'), 'no bots, no deactivated users')
  t.equal(sim.counters().requests['GET /api/v4/users'], 3, 'per_page 200')
  t.ok(pages >= 3)

  const plus = sim.driver.addUser({
    username: 'ivy',
    email: 'ivy+cal/x@example.com',
    timezone: { useAutomaticTimezone: 'true', automaticTimezone: 'America/New_York' }
  })
  t.match(await mm.getUserByEmail('ivy+cal/x@example.com'), { id: plus.id, timeZone: 'America/New_York' })
  t.equal(await mm.getUserByEmail('nobody@example.com'), null)
  const p0 = await mm.getUserByEmail('person0@example.com')
  t.equal(p0?.timeZone, 'Europe/Berlin')
  noContractViolations(t, sim)
})

t.test('the ceiling holds across two worker processes, measured at the server', async (t) => {
  assertBuilt()
  const server = await usePrivateRedis(t)
  const sim = await startMattermostSim({ botRoles: 'system_user system_user_manager', dndExpiryPeriodMs: 0 })
  t.teardown(() => sim.stop())
  const user = sim.driver.addUser({ username: 'jay', email: 'jay@example.com' })
  const script = `
    const { Redis } = require('ioredis')
    const { Registry } = require('prom-client')
    const pino = require('pino')
    const { createMattermostAdapter } = require(${JSON.stringify(path.join(ROOT, 'dist/src/mattermost/create-mattermost-adapter.js'))})
    const [redisUrl, url, token, userId] = process.argv.slice(1)
    const redis = new Redis(redisUrl)
    const mm = createMattermostAdapter({ url, botToken: token, commandToken: null, adminUsers: [], maxRequestsPerSecond: 20 }, { log: pino({ level: 'silent' }), registry: new Registry(), redis, keyPrefix: '{shared}' })
    Promise.all(Array.from({ length: 50 }, () => mm.getStatuses([userId]))).then(() => { redis.disconnect(); process.exit(0) }, (e) => { console.error(e); process.exit(1) })
  `
  const run = (): Promise<number | null> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', script, server.url, sim.url, sim.botToken, user.id], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
      child.on('exit', (code) => resolve(code))
    })
  sim.resetCounters()
  const t0 = Date.now()
  t.same(await Promise.all([run(), run()]), [0, 0])
  const counters = sim.counters()
  t.equal(counters.requests['POST /api/v4/users/status/ids'], 100)
  // Shared, not per process: two unshared ceilings of 20/s would let the 100 calls through in
  // about 2.5 s; one shared ceiling cannot in under 5. (Calls per second at the server are not
  // counted against the wall clock here: timers under load bunch them; bench/freshness.ts
  // measures the busiest second at the server.)
  t.ok(Date.now() - t0 >= 4500, `100 calls at 20/s took about 5 s (${Date.now() - t0} ms)`)
})

t.test('a wait longer than a process should sleep is not slept: MattermostBusyError says how long (the job is delayed instead)', async (t) => {
  const { sim, mm } = await setup(t, { maxWaitMs: 2000 })
  const u = sim.driver.addUser({ username: 'joe', email: 'joe@example.com' })
  sim.driver.injectFaults(1, { status: 429, retryAfterSeconds: 86_400, route: 'PUT /api/v4/users/{user_id}/status' })
  const started = Date.now()
  const err = await mm.setStatus(u.id, 'away').catch((e: unknown) => e)
  t.type(err, MattermostBusyError)
  t.ok((err as MattermostBusyError).afterMs >= 86_400_000, 'a day, as Mattermost asked')
  t.ok(Date.now() - started < 60_000, 'and not slept in the process')
  // A short one is still waited for in the process.
  sim.driver.injectFaults(1, { status: 429, retryAfterSeconds: 1, route: 'PUT /api/v4/users/{user_id}/status' })
  t.same(await mm.setStatus(u.id, 'away'), { done: true })
})

t.test('the cluster ceiling booked further ahead than the longest wait: no slot taken, MattermostBusyError', async (t) => {
  const { sim, mm } = await setup(t, { perSecond: 1, maxWaitMs: 2500 })
  const u = sim.driver.addUser({ username: 'kim', email: 'kim@example.com' })
  // At 1/s (0.9/s with the margin) the fourth call in a row would wait more than 2.5 s.
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => mm.setStatus(u.id, 'away')))
  const busy = results.filter((r) => r.status === 'rejected' && r.reason instanceof MattermostBusyError)
  t.equal(results.filter((r) => r.status === 'fulfilled').length, 3, 'the slots within 2.5 s were used')
  t.equal(busy.length, 2, 'the others were told to come back later')
})
