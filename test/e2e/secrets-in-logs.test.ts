import t from 'tap'
import { readFileSync, rmSync } from 'node:fs'
import { Redis } from 'ioredis'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { MINUTE, type Person, S, waitForStatus } from '../helpers/statuses'
import { newSecret } from '../../sim/identity/directory'
import { SECRETS_LEDGER_ENV } from '../../sim/shared/secrets-ledger'

// The real web and worker processes at LOG_LEVEL=debug, through a flow and the failures whose
// errors could carry a secret: Redis (with a password in REDIS_URL) going away and coming back,
// the bot losing edit_other_users (403), a client secret that stopped working, the bot token
// revoked (401). Nothing they print may contain a secret of the run
// (docs/architecture.md#secrets-in-logs). `npm test` scans every test's logs the same way.

const REDIS_PASSWORD = 'e2e-redis-password-8c1f'
const ADMIN_PASSWORD = 'e2e-admin-password-5d27'
const COMMAND_TOKEN = 'e2ecommandtoken3b9a41'

/** The secrets the simulators and the harness noted (sim/shared/secrets-ledger.ts). */
function ledgerSecrets(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.slice(line.indexOf('\t') + 1))
    .filter((v) => v.length >= 8)
}

t.test('at debug level, through failures, no secret reaches the logs', async (t) => {
  // Run alone, this test keeps its own ledger; under `npm test` it reads the run's.
  if (!process.env[SECRETS_LEDGER_ENV]) {
    const own = path.join(tmpdir(), `calstatus-secrets-${process.pid}.ledger`)
    process.env[SECRETS_LEDGER_ENV] = own
    t.teardown(() => {
      delete process.env[SECRETS_LEDGER_ENV]
      rmSync(own, { force: true })
    })
  }
  const ledger = process.env[SECRETS_LEDGER_ENV]
  let dana: Person | undefined
  const svc = await startService(t, {
    redisPassword: REDIS_PASSWORD,
    env: { LOG_LEVEL: 'debug', ADMIN_USERNAME: 'ops', ADMIN_PASSWORD, MM_COMMAND_TOKEN: COMMAND_TOKEN, SWEEP_INTERVAL_SECONDS: '600' },
    before: (sims) => {
      const ids = sims.addPerson({ username: 'dana', email: 'dana@example.com' })
      dana = { name: 'dana', ...ids }
      sims.mattermost.driver.presence(ids.mmUserId, 'active')
      const start = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE
      sims.graph.driver.addEvent(ids.graphUserId, { start, end: start + 60 * MINUTE, showAs: 'busy', subject: 'Now' })
    }
  })
  const { sims } = svc
  const p = dana!
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })
  const printed = (pattern: RegExp) => async () => (pattern.test(svc.output()) ? true : undefined)
  const touchCalendar = (subject: string): void => {
    const start = Math.ceil(Date.now() / MINUTE) * MINUTE + 120 * MINUTE
    sims.graph.driver.addEvent(p.graphUserId, { start, end: start + 30 * MINUTE, showAs: 'busy', subject })
  }

  // The flow: enrolled, subscribed (a clientState), synced (an access token, the bot token).
  await waitForStatus(sims, p, 'dnd', 0, 60 * S)
  await waitFor('a subscription', 30 * S, async () => sims.graph.driver.subscriptions().find((s) => s.userId === p.graphUserId))
  const basic = (pw: string): string => `Basic ${Buffer.from(`ops:${pw}`).toString('base64')}`
  t.equal((await fetch(`${svc.webUrl}/admin/queues`, { headers: { authorization: basic(ADMIN_PASSWORD) } })).status, 200, 'admin login')
  t.equal((await fetch(`${svc.webUrl}/admin/queues`, { headers: { authorization: basic('not-the-password') } })).status, 401)

  // The client secret stops working (rotated in Entra): the next token request is refused.
  sims.identity.driver.setSecret(sims.clientId, newSecret())
  sims.tokens.expireAll()
  touchCalendar('After the rotation')
  // What the service does with it is another matter (it may only count it); here: it was sent.
  await waitFor('a token request with the old secret refused', 60 * S, async () =>
    (sims.identity.counters().tokenRequests.byError['AADSTS7000215'] ?? 0) > 0 ? true : undefined
  )
  sims.identity.driver.setSecret(sims.clientId, sims.clientSecret)
  // A worker asks the identity host again only after its 30 s pause (docs/graph.md): nudge it
  // with calendar changes until it has signed in again.
  const okBefore = sims.identity.counters().tokenRequests.ok
  let polls = 0
  await waitFor('signed in again after the pause', 120 * S, async () => {
    if (polls++ % 50 === 0) touchCalendar(`Signing in again ${polls}`)
    return sims.identity.counters().tokenRequests.ok > okBefore ? true : undefined
  })

  // The bot loses edit_other_users: Mattermost answers 403.
  sims.mattermost.driver.setRoles(sims.mattermost.botUserId, 'system_user')
  sims.graph.driver.updateEvent(p.graphUserId, sims.graph.driver.listEvents(p.graphUserId)[0]!.id, { showAs: 'free' })
  await waitFor('the 403 logged', 60 * S, printed(/edit_other_users/))
  sims.mattermost.driver.setRoles(sims.mattermost.botUserId, 'system_user system_admin')

  // The bot token is revoked: 401.
  sims.mattermost.driver.revokeToken(sims.mattermost.botToken)
  touchCalendar('After the revocation')
  await waitFor('the refused bot token logged', 60 * S, printed(/refused the bot token/))

  // Last, as it loses every key (no persistence here): Redis goes away and comes back, asking
  // for its password again.
  await svc.redis.stop()
  await waitFor('redis errors logged', 30 * S, printed(/redis connection error/))
  await svc.redis.restart()
  const admin = new Redis(svc.redis.url)
  await admin.config('SET', 'requirepass', REDIS_PASSWORD)
  admin.disconnect()
  await waitFor('redis back', 60 * S, printed(/redis connection restored/))

  const secrets = new Set([
    ...ledgerSecrets(ledger),
    sims.clientSecret,
    sims.mattermost.botToken,
    ...sims.tokens.issuedTokens(),
    REDIS_PASSWORD,
    ADMIN_PASSWORD,
    COMMAND_TOKEN
  ])
  const output = svc.output()
  t.ok(output.split('\n').filter((l) => l.includes('"level":20')).length > 0, 'debug lines were logged')
  t.ok(sims.tokens.issuedTokens().length > 0 && secrets.size > 6, `${secrets.size} secrets to look for`)
  const leaked = [...secrets].filter((s) => output.includes(s))
  t.same(
    leaked.map((s) => `${s.slice(0, 4)}...`),
    [],
    'no secret in any line the processes printed'
  )
})
