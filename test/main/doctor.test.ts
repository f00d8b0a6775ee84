import t, { type Test } from 'tap'
import { request } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { createUserStore } from '../../src/store/user-store'
import { startSimulators, type Simulators } from '../../sim/index'
import { loadSimTls } from '../../sim/shared/tls'
import type { MattermostSimOptions } from '../../sim/mattermost/server'
import { assertBuilt, baseEnv, startCommand, type Exit } from '../helpers/processes'
import { usePrivateRedis } from '../helpers/redis-server'
import { freePort } from '../../sim/private-redis'
import { startWebApp } from '../helpers/web-app'

// The built `npm run doctor` as an operator runs it: a child process with the environment the
// web and worker processes get, against the simulators, a private Redis and, for PUBLIC_URL,
// the web app listening. One case per failure the doctor names, each seen as its exit code and
// the ✗ line with its fix; and the all-pass case.

assertBuilt()

const PREFIX = '{doc}'

/** A port nothing listens on (a free one, closed again). */
const closedPort = freePort

/**
 * PUBLIC_URL as in production: https at a reverse proxy that forwards to the web process's
 * plain-http port (502 when nothing answers there). The simulators' certificate, which the
 * doctor trusts through NODE_EXTRA_CA_CERTS as the service trusts the simulators.
 */
async function httpsProxy(t: Test, upstreamPort: number): Promise<string> {
  const tls = loadSimTls()
  const proxy = createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const upstream = request({ host: '127.0.0.1', port: upstreamPort, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>502 Bad Gateway</h1>'))
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
  return `https://127.0.0.1:${(proxy.address() as { port: number }).port}`
}

interface SetUpOptions {
  mattermost?: MattermostSimOptions
  /** PUBLIC_URL: a proxy to the web app listening (default), a proxy to nothing, a closed port, or none */
  publicUrl?: 'web' | 'no-web' | 'closed' | 'none'
}

interface Doctor {
  exit: Exit
  out: string
}

async function setUp(t: Test, opts: SetUpOptions = {}) {
  const server = await usePrivateRedis(t, { appendfsync: 'everysec' })
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const sims: Simulators = await startSimulators(opts.mattermost ? { mattermost: opts.mattermost } : {})
  t.teardown(() => sims.stop())
  // The /calstatus command as an admin registers it; its URL follows PUBLIC_URL once known.
  const command = sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: 'https://calstatus.example.com/mattermost/command' })
  const env: Record<string, string> = { ...sims.env, REDIS_URL: server.url, QUEUE_PREFIX: PREFIX, MM_COMMAND_TOKEN: command.token }
  const where = opts.publicUrl ?? 'web'
  if (where === 'web') {
    const web = await startWebApp(t, server.url, { prefix: PREFIX, env })
    await web.app.listen({ port: 0, host: '127.0.0.1' })
    env['PUBLIC_URL'] = await httpsProxy(t, (web.app.server.address() as { port: number }).port)
  } else if (where === 'no-web') env['PUBLIC_URL'] = await httpsProxy(t, await closedPort())
  else if (where === 'closed') env['PUBLIC_URL'] = `http://127.0.0.1:${await closedPort()}`
  if (env['PUBLIC_URL']) sims.mattermost.driver.updateCommandUrl(command.id, `${env['PUBLIC_URL']}/mattermost/command`)
  /** Someone enrolled, as the directory run leaves them, so the schedule line has a mailbox. */
  const enrol = async (): Promise<void> => {
    const alice = sims.addPerson({ username: 'alice', email: 'alice@example.com' })
    const users = createUserStore(redis, PREFIX)
    await users.upsertFromDirectory([{ mmUserId: alice.mmUserId, email: 'alice@example.com', username: 'alice', timeZone: 'UTC', isSystemAdmin: false }])
    await users.setGraphIdentity(alice.mmUserId, alice.graphUserId, 'ok')
  }
  const doctor = async (args = '', extraEnv: Record<string, string> = {}): Promise<Doctor> => {
    const p = startCommand(`node dist/src/main/doctor.js ${args}`.trim(), baseEnv({ ...env, ...extraEnv }))
    t.teardown(() => p.end(1000))
    const exit = await p.exited
    return { exit, out: p.output() }
  }
  return { sims, redis, env, enrol, doctor, command }
}

function exits(t: Test, exit: Exit, code: number, output: string): void {
  t.equal(exit.code, code, `exit code ${code}`, { output })
}

/** The text of one check's line and its fix (the lines up to the next check). */
function lineOf(out: string, title: string): string {
  const lines = out.split('\n')
  const at = lines.findIndex((l) => new RegExp(`^  [✓!✗-] ${title}:`).test(l))
  if (at < 0) return ''
  const fix = lines[at + 1]?.startsWith('      Fix: ') ? `\n${lines[at + 1]}` : ''
  return `${lines[at]}${fix}`
}

t.test('all pass: every line ✓, exit code 0, no secret printed', async (t) => {
  const { doctor, enrol, sims, command } = await setUp(t)
  await enrol()
  const { exit, out } = await doctor()
  exits(t, exit, 0, out)
  const marks = out.split('\n').filter((l) => /^ {2}[✓!✗-] /.test(l))
  t.equal(marks.length, 14, 'the configuration line and the 13 setup checks')
  t.same(
    marks.filter((l) => !l.startsWith('  ✓')),
    [],
    'nothing but ✓'
  )
  t.match(lineOf(out, 'Calendar read'), /Graph answered getSchedule for alice@example.com/)
  t.match(lineOf(out, 'Change notifications reach the service'), /answered the validation handshake \(a calstatus web process, \d+ ms\)/)
  t.match(lineOf(out, 'Redis eviction policy'), /noeviction/)
  t.notMatch(out, /Fix:/)
  t.match(out, /14 passed, 0 to look at, 0 skipped, 0 failed\. Nothing stops calstatus from working\./)
  t.match(
    lineOf(out, 'Slash command /calstatus'),
    /\/calstatus \(team calstatus\) carries MM_COMMAND_TOKEN and posts to https:\/\/127\.0\.0\.1:\d+\/mattermost\/command/
  )
  for (const secret of [sims.clientSecret, sims.mattermost.botToken, command.token]) t.notOk(out.includes(secret), 'no secret in the output')
})

t.test('a bad client secret (AADSTS7000215)', async (t) => {
  const { doctor, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setSecret(sims.clientId, 'rotated-elsewhere')
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Microsoft sign-in'), /^ {2}✗ .*bad-secret \(AADSTS7000215\)\n {6}Fix: MS_CLIENT_SECRET is wrong: copy the secret value/)
  t.match(out, /Fix the lines marked ✗, then run the doctor again\./)
})

t.test('admin consent missing (AADSTS65001)', async (t) => {
  const { doctor, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setConsent(sims.clientId, false)
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Microsoft sign-in'), /^ {2}✗ .*consent-missing \(AADSTS65001\)\n {6}Fix: an administrator has not granted the app its permissions yet/)
})

t.test('a permission missing from the token: roles without User.Read.All', async (t) => {
  const { doctor, sims } = await setUp(t, { publicUrl: 'none' })
  sims.identity.driver.setRoles(sims.clientId, ['Calendars.Read'])
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Microsoft sign-in'), /^ {2}✓/)
  t.match(
    lineOf(out, 'Graph permissions'),
    /^ {2}✗ Graph permissions: missing: User.Read.All \(granted: Calendars.Read\)\n {6}Fix: In the Entra admin center: .*Application permissions: User.Read.All/
  )
})

t.test('a bot without permission to change other people’s statuses', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'none', mattermost: { botRoles: 'system_user' } })
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Bot account'), /^ {2}✓ Bot account: signed in as the bot @calstatus/)
  t.match(
    lineOf(out, 'Permission to change statuses'),
    /^ {2}✗ .*may not change other people's statuses\n {6}Fix: In Mattermost: System Console > .*Role: System Admin/
  )
})

t.test('a slash command token Mattermost does not have', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'none' })
  const { exit, out } = await doctor('', { MM_COMMAND_TOKEN: 'regenerated-since' })
  exits(t, exit, 1, out)
  t.match(
    lineOf(out, 'Slash command /calstatus'),
    /^ {2}✗ .*MM_COMMAND_TOKEN does not match a Mattermost slash command.*\n {6}Fix: In Mattermost: Integrations > Slash Commands.*Put the token it shows in MM_COMMAND_TOKEN/
  )
})

t.test('PUBLIC_URL unreachable: the handshake round trip fails', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'closed' })
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(
    lineOf(out, 'Change notifications reach the service'),
    /^ {2}✗ .*could not be reached: ECONNREFUSED\n {6}Fix: Start the web process .* reachable from the internet over https/
  )
})

t.test('PUBLIC_URL reaches a proxy with no web process behind it', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'no-web' })
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(
    lineOf(out, 'Change notifications reach the service'),
    /^ {2}✗ .*answered 502 \(text\/html\) without the token: the address is reachable but nothing behind it answered\n {6}Fix: Start the web process/
  )
})

t.test('PUBLIC_URL answered by something that is not calstatus', async (t) => {
  const other = createServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 0\r\n\r\n'))
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  t.teardown(() => other.close())
  const { doctor } = await setUp(t, { publicUrl: 'none' })
  const { exit, out } = await doctor('', { PUBLIC_URL: `http://127.0.0.1:${(other.address() as { port: number }).port}` })
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Change notifications reach the service'), /^ {2}✗ .*answered 404 \(text\/html\) without the token: something else answers/)
})

t.test('Redis evicting: maxmemory-policy allkeys-lru', async (t) => {
  const { doctor, redis } = await setUp(t, { publicUrl: 'none' })
  await redis.config('SET', 'maxmemory-policy', 'allkeys-lru')
  const { exit, out } = await doctor()
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Redis eviction policy'), /^ {2}✗ .*allkeys-lru: Redis may delete keys when memory is full\n {6}Fix: Set maxmemory-policy noeviction/)
})

t.test('Redis unreachable: one line naming REDIS_URL, nothing else checked', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'none' })
  const { exit, out } = await doctor('', { REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${await closedPort()}` })
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Redis connection'), /^ {2}✗ .*could not be reached: .*ECONNREFUSED.*\n {6}Fix: Start Redis, or correct REDIS_URL/)
  t.notOk(out.includes('hunter2-secret'), 'the password is not printed')
  t.notMatch(out, /Microsoft sign-in/)
})

t.test('a configuration error: the variable, no stack trace, exit code 1', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'none' })
  const { exit, out } = await doctor('', { SWEEP_INTERVAL_SECONDS: 'often' })
  exits(t, exit, 1, out)
  t.match(lineOf(out, 'Configuration'), /^ {2}✗ .*would not start: SWEEP_INTERVAL_SECONDS .*\n {6}Fix: Correct SWEEP_INTERVAL_SECONDS .*docs\/configuration.md/)
  t.notMatch(out, /\n\s+at /, 'no stack trace')
})

t.test('warnings and skipped lines pass: printed with their fix, exit code 0', async (t) => {
  const { doctor, sims } = await setUp(t, { publicUrl: 'none' })
  sims.mattermost.driver.setConfig({ customStatusEnabled: false })
  const { exit, out } = await doctor()
  exits(t, exit, 0, out)
  t.match(lineOf(out, 'Custom statuses'), /^ {2}! .*custom statuses are off.*\n {6}Fix: .*Enable Custom Statuses: True/)
  t.match(lineOf(out, 'Calendar read'), /^ {2}- .*nobody with a mailbox is enrolled yet.*\n {6}Fix: .*npm run doctor -- --mailbox/)
  t.match(lineOf(out, 'Configuration'), /^ {2}! .*PUBLIC_URL is not set/)
  t.match(out, /0 failed\. Nothing stops calstatus from working\./)
})

t.test('--json and --mailbox: the lines for machines, getSchedule for the mailbox given', async (t) => {
  const { doctor, sims, redis } = await setUp(t)
  sims.addPerson({ username: 'bob', email: 'bob@example.com' })
  await redis.config('SET', 'maxmemory-policy', 'volatile-lru')
  const { exit, out } = await doctor('--json --mailbox bob@example.com')
  exits(t, exit, 1, out)
  const report = JSON.parse(out) as { ok: boolean; checks: Array<{ id: string; state: string; detail: string; fix?: string }> }
  t.equal(report.ok, false)
  const byId = new Map(report.checks.map((c) => [c.id, c]))
  t.match(byId.get('ms-schedule'), { state: 'ok', detail: 'Graph answered getSchedule for bob@example.com' })
  t.match(byId.get('redis-eviction'), { state: 'fail', fix: /noeviction/ })
  t.same(
    report.checks.filter((c) => c.state !== 'ok').map((c) => c.id),
    ['redis-eviction']
  )
})

t.test('a wrong option: the usage, exit code 2', async (t) => {
  const { doctor } = await setUp(t, { publicUrl: 'none' })
  const { exit, out } = await doctor('--mailboxes x')
  t.equal(exit.code, 2)
  t.match(out, /Unknown option '--mailboxes'[\s\S]*Usage: npm run doctor -- \[--json\] \[--mailbox/)
})
