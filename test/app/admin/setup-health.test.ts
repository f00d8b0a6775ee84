import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { loadConfig } from '../../../src/config'
import { createSetupHealth, type SetupCheck } from '../../../src/app/admin/setup-health'
import { createGraphAdapter } from '../../../src/graph/create-graph-adapter'
import { createMattermostAdapter } from '../../../src/mattermost/create-mattermost-adapter'
import { createSubscriptionStore } from '../../../src/store/subscription-store'
import { createUserStore } from '../../../src/store/user-store'
import type { SyncedUserStore } from '../../../src/app/services'
import { startSimulators } from '../../../sim/index'
import type { MattermostSimOptions } from '../../../sim/mattermost/server'
import { usePrivateRedis } from '../../helpers/redis-server'
import { freePort } from '../../../sim/private-redis'
import { silentLogger as silent, startWebApp } from '../../helpers/web-app'

// The setup checklist against the simulators and private Redis servers: all green, then each
// failure it names, each seen as the line an admin reads.

/** A port nothing listens on (a free one, closed again). */
const closedPort = freePort

interface SetUpOptions {
  env?: Record<string, string>
  mattermost?: MattermostSimOptions
  /** PUBLIC_URL: the real web app listening (default), a closed port, or none */
  publicUrl?: 'web' | 'closed' | 'none'
  appendfsync?: boolean
}

async function setUp(t: Test, opts: SetUpOptions = {}) {
  const server = await usePrivateRedis(t, opts.appendfsync === false ? {} : { appendfsync: 'everysec' })
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const sims = await startSimulators(opts.mattermost ? { mattermost: opts.mattermost } : {})
  t.teardown(() => sims.stop())
  // The /calstatus command as an admin registers it; its URL follows PUBLIC_URL once known.
  const command = sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: 'https://calstatus.example.com/mattermost/command' })
  const base = { ...sims.env, REDIS_URL: server.url, QUEUE_PREFIX: '{h}', MM_COMMAND_TOKEN: command.token, ...opts.env }
  let publicUrl: string | null = null
  if ((opts.publicUrl ?? 'web') === 'web') {
    const web = await startWebApp(t, server.url, { prefix: '{h}', env: base })
    publicUrl = await web.app.listen({ port: 0, host: '127.0.0.1' })
  } else if (opts.publicUrl === 'closed') publicUrl = `http://127.0.0.1:${await closedPort()}`
  if (publicUrl) sims.mattermost.driver.updateCommandUrl(command.id, `${publicUrl}/mattermost/command`)
  const { config } = loadConfig({ ...base, ...(publicUrl ? { PUBLIC_URL: publicUrl } : {}) })
  const registry = new Registry()
  const graph = createGraphAdapter(config.microsoft!, { log: silent, registry, publicUrl: config.publicUrl }, { maxItemAttempts: 1 })
  const mattermost = createMattermostAdapter(config.mattermost!, { log: silent, registry, redis, keyPrefix: '{h}' }, { maxAttempts: 1 })
  const users: SyncedUserStore = createUserStore(redis, '{h}')
  const subscriptions = createSubscriptionStore(redis, '{h}')
  const health = createSetupHealth({ config, graph, mattermost, users, subscriptions, redis })
  const enrol = async (): Promise<void> => {
    const alice = sims.addPerson({ username: 'alice', email: 'alice@example.com' })
    await users.upsertFromDirectory([{ mmUserId: alice.mmUserId, email: 'alice@example.com', username: 'alice', timeZone: 'UTC', isSystemAdmin: false }])
    await users.setGraphIdentity(alice.mmUserId, alice.graphUserId, 'ok')
  }
  const check = async (): Promise<Map<string, SetupCheck>> => new Map((await health.check()).map((c) => [c.id, c]))
  return { sims, redis, check, enrol, subscriptions, command }
}

const states = (checks: Map<string, SetupCheck>): Record<string, string> => Object.fromEntries([...checks].map(([id, c]) => [id, c.state]))

t.test('all green', async (t) => {
  const { check, enrol, sims, command } = await setUp(t)
  await enrol()
  const checks = await check()
  t.same(states(checks), {
    'ms-token': 'ok',
    'ms-roles': 'ok',
    'ms-schedule': 'ok',
    'mm-bot': 'ok',
    'mm-permissions': 'ok',
    'mm-custom-status': 'ok',
    'mm-command': 'ok',
    'mm-public-url': 'ok',
    'webhook-reachable': 'ok',
    'webhook-subscriptions': 'ok',
    'redis-version': 'ok',
    'redis-persistence': 'ok',
    'redis-eviction': 'ok'
  })
  t.match(checks.get('ms-roles'), { detail: 'granted: Calendars.Read, User.Read.All', group: 'microsoft', title: 'Graph permissions' })
  t.match(checks.get('mm-permissions')?.detail, /system_admin/)
  t.equal([...checks.values()].filter((c) => c.fix !== undefined).length, 0, 'no fix when all is well')
  const text = JSON.stringify([...checks.values()])
  t.notOk(text.includes(sims.clientSecret), 'no client secret')
  t.notOk(text.includes(sims.mattermost.botToken), 'no bot token')
  t.notOk(text.includes(command.token), 'no command token')
  // (roles/names and config/client are outside the vendored spec fragments: sim/mattermost/openapi/SOURCE.md)
  const lookUp = sims.mattermost.contractViolations.filter((v) => /^\/api\/v4\/(teams|commands)/.test(v.path))
  t.same(lookUp, [], 'the look-up of the slash command matched the OpenAPI spec')
  t.match(
    checks.get('mm-command')?.detail,
    /^\/calstatus \(team calstatus\) carries MM_COMMAND_TOKEN and posts to http:\/\/127\.0\.0\.1:\d+\/mattermost\/command$/
  )
})

t.test('nobody enrolled: the schedule line is skipped, saying why', async (t) => {
  const { check } = await setUp(t, { publicUrl: 'none' })
  const checks = await check()
  t.match(checks.get('ms-schedule'), { state: 'skipped', detail: /nobody with a mailbox is enrolled/ })
  t.match(checks.get('webhook-reachable'), { state: 'skipped', fix: /Set PUBLIC_URL/ })
  t.match(checks.get('mm-public-url'), { state: 'warn', fix: /Set PUBLIC_URL/ })
})

t.test('Microsoft: a bad client secret, consent missing, no roles, a role missing', async (t) => {
  const { check, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setSecret(sims.clientId, 'rotated-elsewhere')
  const checks = await check()
  t.match(checks.get('ms-token'), { state: 'fail', detail: /bad-secret \(AADSTS7000215\)/, fix: /MS_CLIENT_SECRET is wrong/ })
  t.equal(checks.get('ms-token')?.action, undefined, 'no consent button for a bad secret')
  t.match(checks.get('ms-roles'), { state: 'skipped' })
  t.match(checks.get('ms-schedule'), { state: 'skipped', detail: /no token \(see Microsoft sign-in\)/ })
})

t.test('Microsoft: consent missing at the token endpoint', async (t) => {
  const { check, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setConsent(sims.clientId, false)
  const checks = await check()
  t.match(checks.get('ms-token'), { state: 'fail', detail: /consent-missing/, action: 'consent' })
})

t.test('Microsoft: a token without roles, and one without User.Read.All', async (t) => {
  const { check, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setRoles(sims.clientId, [])
  let checks = await check()
  t.match(checks.get('ms-token'), { state: 'ok' })
  t.match(checks.get('ms-roles'), { state: 'fail', detail: /no application permissions/, action: 'consent', fix: /Global Administrator/ })

  // msal keeps the token it has: a new grant is seen by a new process.
  const again = await setUp(t, { publicUrl: 'none' })
  again.sims.identity.driver.setRoles(again.sims.clientId, ['Calendars.Read'])
  checks = await again.check()
  t.match(checks.get('ms-roles'), {
    state: 'fail',
    detail: 'missing: User.Read.All (granted: Calendars.Read)',
    fix: /Application permissions: User.Read.All/,
    action: 'consent'
  })
})

t.test(
  'Microsoft: Calendars.ReadBasic reads schedules but subscriptions need Calendars.Read; no Calendars role yet reads work (Exchange RBAC scoping) warns',
  async (t) => {
    // With PUBLIC_URL (subscriptions): ReadBasic is not enough.
    const subscribing = await setUp(t)
    subscribing.sims.identity.driver.setRoles(subscribing.sims.clientId, ['Calendars.ReadBasic', 'User.Read.All'])
    t.match((await subscribing.check()).get('ms-roles'), {
      state: 'fail',
      detail: /^missing: Calendars.Read \(granted: Calendars.ReadBasic, User.Read.All\); .*subscriptions \(PUBLIC_URL\) need Calendars.Read/,
      fix: /Application permissions: Calendars.Read\. Then press "Grant admin consent"/,
      action: 'consent'
    })

    // Without PUBLIC_URL: getSchedule is all, and ReadBasic is the least it needs.
    const polling = await setUp(t, { publicUrl: 'none' })
    polling.sims.identity.driver.setRoles(polling.sims.clientId, ['Calendars.ReadBasic', 'User.Read.All'])
    t.match((await polling.check()).get('ms-roles'), { state: 'ok', detail: 'granted: Calendars.ReadBasic, User.Read.All' })

    // Scoped in Exchange: the token has no Calendars role, yet Graph answers getSchedule.
    const scoped = await setUp(t, { publicUrl: 'none' })
    await scoped.enrol()
    scoped.sims.identity.driver.setRoles(scoped.sims.clientId, ['User.Read.All'])
    let checks = await scoped.check()
    t.match(checks.get('ms-schedule'), { state: 'ok' })
    t.match(checks.get('ms-roles'), { state: 'warn', detail: /no Calendars permission .* yet Graph answered getSchedule: the app is scoped in Exchange/ })

    // Not scoped, simply missing: nobody to read, so it stays a failure.
    const missing = await setUp(t, { publicUrl: 'none' })
    missing.sims.identity.driver.setRoles(missing.sims.clientId, ['User.Read.All'])
    checks = await missing.check()
    t.match(checks.get('ms-roles'), { state: 'fail', detail: /^missing: Calendars.ReadBasic/ })
  }
)

t.test('Mattermost: a bot without permission, custom statuses off, no command token', async (t) => {
  const { check, sims } = await setUp(t, { mattermost: { botRoles: 'system_user' }, env: { MM_COMMAND_TOKEN: '' }, publicUrl: 'none' })
  sims.mattermost.driver.setConfig({ customStatusEnabled: false })
  const checks = await check()
  t.match(checks.get('mm-bot'), { state: 'ok', detail: 'signed in as the bot @calstatus' })
  t.match(checks.get('mm-permissions'), { state: 'fail', detail: /may not change other people's statuses/, fix: /Role: System Admin/ })
  t.match(checks.get('mm-custom-status'), { state: 'warn', fix: /Enable Custom Statuses/ })
  t.match(checks.get('mm-command'), { state: 'warn', detail: /MM_COMMAND_TOKEN is not set/ })
})

t.test('Mattermost: a command token Mattermost does not have, a command that posts elsewhere', async (t) => {
  const { check, command } = await setUp(t, { env: { MM_COMMAND_TOKEN: 'copied-wrong-from-somewhere' } })
  let checks = await check()
  t.match(checks.get('mm-command'), {
    state: 'fail',
    detail: 'MM_COMMAND_TOKEN does not match a Mattermost slash command: no slash command in the 1 team(s) carries it',
    fix: /Integrations > Slash Commands.*Request URL http:\/\/127\.0\.0\.1:\d+\/mattermost\/command.*MM_COMMAND_TOKEN/
  })
  t.notOk(JSON.stringify(checks.get('mm-command')).includes(command.token), 'the real token is not shown either')

  const moved = await setUp(t)
  moved.sims.mattermost.driver.updateCommandUrl(moved.command.id, 'https://old-host.example.com/mattermost/command')
  checks = await moved.check()
  t.match(checks.get('mm-command'), {
    state: 'fail',
    detail: /carries MM_COMMAND_TOKEN but posts to https:\/\/old-host\.example\.com\/mattermost\/command, not http:\/\/127/,
    fix: /Request URL http:\/\/127/
  })
})

t.test('Mattermost: a bot that is not a system admin cannot see the command: a warning, not a failure', async (t) => {
  const { check } = await setUp(t, { mattermost: { botRoles: 'system_user system_user_manager' }, publicUrl: 'none' })
  const checks = await check()
  t.match(checks.get('mm-command'), { state: 'warn', detail: /0 team\(s\) looked at, 1 refused/, fix: /Check by hand/ })
})

t.test('Mattermost: edit_other_users alone is enough; a revoked bot token fails', async (t) => {
  const { check, sims } = await setUp(t, { mattermost: { botRoles: 'system_user system_user_manager' }, publicUrl: 'none' })
  let checks = await check()
  t.match(checks.get('mm-permissions'), { state: 'ok', detail: /system_user_manager.*system admins' statuses are left alone/ })
  sims.mattermost.driver.revokeToken(sims.mattermost.botToken)
  checks = await check()
  t.match(checks.get('mm-bot'), { state: 'fail', fix: /MM_BOT_TOKEN/ })
  t.match(checks.get('mm-permissions'), { state: 'skipped' })
  t.match(checks.get('mm-custom-status'), { state: 'skipped', detail: /see Bot account/ })
})

t.test('webhook: PUBLIC_URL unreachable; failing subscriptions', async (t) => {
  const { check, subscriptions } = await setUp(t, { publicUrl: 'closed' })
  await subscriptions.save({
    id: 's1',
    mmUserId: 'u1',
    graphUserId: 'g1',
    clientState: 'cs',
    expiresAt: Date.now() + 600_000,
    lastRenewedAt: 0,
    lastError: null
  })
  await subscriptions.setError('s1', 'Graph 400 ValidationError: Subscription validation request failed')
  const checks = await check()
  t.match(checks.get('webhook-reachable'), {
    state: 'fail',
    detail: /could not be reached: ECONNREFUSED/,
    action: 'test-webhook',
    fix: /reachable from the internet/
  })
  t.match(checks.get('webhook-subscriptions'), { state: 'warn', detail: /1 active, 1 expiring within an hour, 0 expired, 1 failing; for example: Graph 400/ })
})

t.test('Redis: allkeys-lru, no persistence, CONFIG refused', async (t) => {
  const { check, redis } = await setUp(t, { publicUrl: 'none', appendfsync: false })
  await redis.config('SET', 'maxmemory-policy', 'allkeys-lru')
  let checks = await check()
  t.match(checks.get('redis-eviction'), { state: 'fail', detail: /allkeys-lru/, fix: /noeviction/ })
  t.match(checks.get('redis-persistence'), { state: 'fail', detail: /no persistence/ })
  t.match(checks.get('redis-version'), { state: 'ok', detail: /^Redis \d+\.\d+/ })
  await redis.config('SET', 'save', '3600 1')
  checks = await check()
  t.match(checks.get('redis-persistence'), { state: 'warn', detail: /snapshots only \(save 3600 1\)/ })
  // A managed Redis that refuses CONFIG: an ACL user without it.
  await redis.call('ACL', 'SETUSER', 'app', 'on', 'nopass', '~*', '+@all', '-config')
  const limited = new Redis(redis.options.port!, '127.0.0.1', { username: 'app', password: 'x' })
  t.teardown(() => limited.disconnect())
  const onlyRedis = createSetupHealth({
    config: { publicUrl: null, mattermost: null },
    graph: null,
    mattermost: null,
    users: createUserStore(limited, '{h}'),
    subscriptions: createSubscriptionStore(limited, '{h}'),
    redis: limited
  })
  const lines = new Map((await onlyRedis.check()).map((c) => [c.id, c]))
  t.match(lines.get('redis-eviction'), { state: 'warn', detail: /could not read maxmemory-policy/ })
  t.match(lines.get('redis-persistence'), { state: 'warn', detail: /could not be read/ })
  t.match(lines.get('ms-token'), { state: 'skipped', fix: /MS_TENANT_ID/ })
})
