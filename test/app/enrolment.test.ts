import t, { type Test } from 'tap'
import pino from 'pino'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createGraphAdapter } from '../../src/graph/create-graph-adapter'
import { createMattermostAdapter, type DirectoryUser } from '../../src/mattermost/create-mattermost-adapter'
import { createUserStore } from '../../src/store/user-store'
import { createClusterLock } from '../../src/store/cluster-lock'
import { createEnrolment, DIRECTORY_LOCK_MS } from '../../src/app/enrolment'
import { startSimulators } from '../../sim/index'
import { usePrivateRedis } from '../helpers/redis-server'
import { createAdminNotices } from '../../src/app/admin-notices'
import { createProblemStore } from '../../src/store/problem-store'

// Enrolment (the `directory` job) against the Mattermost and Graph simulators: who is synced,
// with which Graph id, and who leaves. onLeave/onEnrolled are the use case's ports; here they
// record what the worker does with them (cancel wake-ups, create subscriptions, first syncs:
// test/app/create-use-cases.test.ts).

const log = pino({ level: 'silent' })

async function setup(
  t: Test,
  syncUsers: 'all' | 'opt-in',
  opts: {
    chunkSize?: number
    syncUnverifiedEmails?: boolean
    botRoles?: string
    listUsers?: (mm: ReturnType<typeof createMattermostAdapter>) => AsyncGenerator<DirectoryUser[]>
  } = {}
) {
  const redisServer = await usePrivateRedis(t)
  const redis = new Redis(redisServer.url)
  t.teardown(() => redis.disconnect())
  const sims = await startSimulators(opts.botRoles ? { mattermost: { botRoles: opts.botRoles } } : {})
  t.teardown(() => sims.stop())
  const { config } = loadConfig(sims.env)
  const registry = new Registry()
  const graph = createGraphAdapter(config.microsoft!, { log, registry, publicUrl: null })
  const mm = createMattermostAdapter(config.mattermost!, { log, registry, redis, keyPrefix: '{dir}' })
  const users = createUserStore(redis, '{dir}')
  const left: string[] = []
  const enrolled: string[][] = []
  const resolveCalls: number[] = []
  const locks = createClusterLock(redis, '{dir}')
  const notices = createAdminNotices({ problems: createProblemStore(redis, '{dir}'), messenger: () => mm, log, registry })
  const run = createEnrolment(
    {
      directory: { listUsers: () => (opts.listUsers ? opts.listUsers(mm) : mm.listUsers()) },
      identities: {
        resolveUsers: (emails) => {
          resolveCalls.push(emails.length)
          return graph.resolveUsers(emails)
        }
      },
      users,
      locks,
      onLeave: async (id) => void left.push(id),
      onEnrolled: async (ids) => void enrolled.push([...ids].sort()),
      notices,
      log
    },
    { syncUsers, syncUnverifiedEmails: opts.syncUnverifiedEmails ?? false, ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}) }
  )
  return { sims, redis, users, run, left, enrolled, resolveCalls, notices }
}

t.test('SYNC_USERS=all: active people with a mailbox, minus opt-outs; leavers dropped', async (t) => {
  const { sims, users, run, left, enrolled } = await setup(t, 'all')
  const a = sims.addPerson({ username: 'anna', email: 'anna@contoso.example', timeZone: 'Europe/Berlin' })
  const b = sims.addPerson({ username: 'bert', email: 'bert@contoso.example' })
  const c = sims.addPerson({ username: 'cleo', email: 'cleo@contoso.example' })
  // In Mattermost only (signs in through LDAP): no mailbox.
  const nomail = sims.mattermost.driver.addUser({ username: 'nomail', email: 'nomail@elsewhere.example', authService: 'ldap' })
  // A bot and a deactivated user are never enrolled.
  sims.mattermost.driver.addBot({ username: 'otherbot' })
  const gone = sims.addPerson({ username: 'gone', email: 'gone@contoso.example' })
  sims.mattermost.driver.deactivateUser(gone.mmUserId)
  await users.setChoice(c.mmUserId, 'out')

  const first = await run()
  t.equal(first.outcome, 'done')
  const ids = new Set(await users.enrolledIds())
  t.ok(ids.has(a.mmUserId) && ids.has(b.mmUserId), 'anna and bert enrolled')
  t.notOk(ids.has(c.mmUserId), 'cleo opted out')
  t.notOk(ids.has(gone.mmUserId), 'a deactivated user is not enrolled')
  const anna = await users.get(a.mmUserId)
  t.equal(anna?.graphUserId, a.graphUserId, 'Graph id resolved by e-mail')
  t.equal(anna?.mailbox, 'ok')
  t.equal(anna?.timeZone, 'Europe/Berlin', 'time zone from Mattermost')
  t.equal((await users.get(nomail.id))?.mailbox, 'unknown', 'no mailbox: known, not synced')
  t.same(enrolled, [[a.mmUserId, b.mmUserId].sort()], 'subscriptions and first syncs for the two with a mailbox')

  // Nothing changed: nobody is resolved or enrolled again.
  const batchesBefore = sims.graph.counters().batches
  const second = await run()
  t.match(second, { outcome: 'done', detail: { resolved: 0, newlyEnrolled: 0, left: 0 } })
  t.equal(sims.graph.counters().batches, batchesBefore, 'no Graph request when nothing changed')
  t.equal(enrolled.length, 1)

  // Bert leaves Mattermost, Anna opts out, Cleo opts back in.
  sims.mattermost.driver.deactivateUser(b.mmUserId)
  await users.setChoice(a.mmUserId, 'out')
  await users.setChoice(c.mmUserId, null)
  const third = await run()
  t.match(third, { detail: { left: 2 } })
  t.same(left.sort(), [a.mmUserId, b.mmUserId].sort(), 'onLeave for the leaver and the opt-out')
  t.equal(await users.get(b.mmUserId), null, "a leaver's state is dropped")
  t.same(enrolled[1], [c.mmUserId], 'cleo enrolled after opting back in')
})

t.test('SYNC_USERS=opt-in: only people who turned it on', async (t) => {
  const { sims, users, run } = await setup(t, 'opt-in')
  const a = sims.addPerson({ username: 'anna', email: 'anna@contoso.example' })
  const b = sims.addPerson({ username: 'bert', email: 'bert@contoso.example' })
  await users.setChoice(b.mmUserId, 'in')
  await run()
  t.same(await users.enrolledIds(), [b.mmUserId], 'only bert')
  t.notOk(await users.get(a.mmUserId))
})

t.test('an e-mail change is resolved again; many users resolve in batches', async (t) => {
  const { sims, users, run, enrolled } = await setup(t, 'all')
  const people = Array.from({ length: 130 }, (_, i) => sims.addPerson({ username: `person${i}`, email: `p${i}@contoso.example` }))
  await run()
  t.equal(enrolled[0]?.length, 130, 'all 130 enrolled with a Graph id (the seeded sysadmin has no mailbox)')
  const batches = sims.graph.counters().requestsByRoute['POST /v1.0/$batch'] ?? 0
  t.ok(batches <= 2 * Math.ceil(130 / 20), `${batches} $batch requests for 130 users (20 per batch, a second round for mail-only addresses at most)`)
  // p0 gets a new address in both systems (a rename).
  const p0 = people[0]!
  sims.graph.driver.updateUser(p0.graphUserId, { mail: 'p0.new@contoso.example', userPrincipalName: 'p0.new@contoso.example' })
  sims.mattermost.driver.updateUser(p0.mmUserId, { email: 'p0.new@contoso.example' })
  const again = await run()
  t.match(again, { detail: { resolved: 1, newlyEnrolled: 0 } }, 'only the changed one is asked about; same Graph id, no new enrolment')
  t.equal((await users.get(p0.mmUserId))?.email, 'p0.new@contoso.example')
  t.equal(enrolled.length, 1)
})

t.test('enrolment works in chunks: each chunk is looked up on its own, one onEnrolled for the run', async (t) => {
  const { sims, users, run, enrolled, resolveCalls } = await setup(t, 'all', { chunkSize: 40 })
  const people = Array.from({ length: 100 }, (_, i) => sims.addPerson({ username: `chunk${i}`, email: `c${i}@contoso.example` }))
  const result = await run()
  t.match(
    result,
    { outcome: 'done', detail: { users: 100, joined: 100, unverified: 1, resolved: 100, newlyEnrolled: 100, failed: 0 } },
    '100 people; the seeded admin signs in with e-mail and password: not vouched for'
  )
  // The adapter lists 200 per page, so the whole directory is one page here: chunks are cut
  // from it, never more than one page plus a chunk at once.
  t.ok(resolveCalls.length >= 1 && resolveCalls.every((n) => n <= 200 + 40), `look-ups per call: ${resolveCalls.join(', ')}`)
  t.equal(
    resolveCalls.reduce((a, b) => a + b, 0),
    100,
    'everyone asked about once'
  )
  t.same(enrolled, [people.map((p) => p.mmUserId).sort()], 'one onEnrolled with all 100')
  const records = await users.getMany(people.map((p) => p.mmUserId))
  t.ok(
    people.every((p) => records.get(p.mmUserId)?.graphUserId === p.graphUserId),
    'every Graph id stored'
  )
})

t.test('pages are chunked as they arrive; a listing that fails half-way drops nobody', async (t) => {
  let failAfter = Infinity
  const { sims, users, run, left, resolveCalls } = await setup(t, 'all', {
    chunkSize: 3,
    // The seeded admin (e-mail sign-in) counts here too.
    syncUnverifiedEmails: true,
    // Pages of 2, as a small per_page would give; after `failAfter` pages the server goes away.
    listUsers: async function* (mm) {
      let pages = 0
      for await (const page of mm.listUsers()) {
        for (let i = 0; i < page.length; i += 2) {
          if (pages++ >= failAfter) throw new Error('Mattermost went away')
          yield page.slice(i, i + 2)
        }
      }
    }
  })
  for (let i = 0; i < 9; i++) sims.addPerson({ username: `half${i}`, email: `h${i}@contoso.example` })
  await run()
  t.same(resolveCalls, [4, 4, 2], 'chunks of at least 3 cut at page ends: 10 users (9 and the admin) in 3 look-ups')
  t.equal((await users.enrolledIds()).length, 10)

  failAfter = 2
  await t.rejects(run(), /went away/, 'the run fails and will be retried')
  t.same(left, [], 'nobody dropped by a half-read directory')
  t.equal((await users.enrolledIds()).length, 10, 'everyone still enrolled')
})

t.test('one run at a time for the cluster: a second run while one holds the lock is skipped; the lock goes with the run', async (t) => {
  let releaseListing: () => void = () => undefined
  const listingHeld = new Promise<void>((resolve) => (releaseListing = resolve))
  let listingStarted: () => void = () => undefined
  const started = new Promise<void>((resolve) => (listingStarted = resolve))
  const { sims, redis, users, run } = await setup(t, 'all', {
    syncUnverifiedEmails: true, // the seeded admin counts too
    listUsers: async function* (mm) {
      listingStarted()
      await listingHeld
      yield* mm.listUsers()
    }
  })
  sims.addPerson({ username: 'anna', email: 'anna@contoso.example' })
  const first = run()
  await started
  const lockTtl = await redis.pttl('{dir}:lock:directory')
  t.ok(lockTtl > 0 && lockTtl <= DIRECTORY_LOCK_MS, `the lock is held with an expiry (${lockTtl} ms left)`)
  t.same(await run(), { outcome: 'skipped', reason: 'another directory run is in progress' }, 'the second run skips')
  releaseListing()
  t.match(await first, { outcome: 'done', detail: { joined: 2 } }, 'the first run enrols')
  t.equal(await redis.exists('{dir}:lock:directory'), 0, 'released at the end of the run')
  t.equal((await users.enrolledIds()).length, 2)
  t.match(await run(), { outcome: 'done' }, 'the next run takes the lock again')
})

t.test("a run whose lock expired does not release its successor's lock", async (t) => {
  const { sims, redis, run } = await setup(t, 'all', {
    listUsers: async function* (mm) {
      // The run took too long: its lock expired and another worker's run took the lock.
      await redis.set('{dir}:lock:directory', 'another-run', 'PX', 60_000)
      yield* mm.listUsers()
    }
  })
  sims.addPerson({ username: 'anna', email: 'anna@contoso.example' })
  t.match(await run(), { outcome: 'done' })
  t.equal(await redis.get('{dir}:lock:directory'), 'another-run', "the other run's lock stays")
})

t.test('only e-mails Mattermost vouches for: SSO sign-ins are enrolled, e-mail-and-password ones only with SYNC_UNVERIFIED_EMAILS', async (t) => {
  for (const syncUnverifiedEmails of [false, true]) {
    const { sims, users, run, notices } = await setup(t, 'all', { syncUnverifiedEmails })
    const sso = sims.addPerson({ username: 'sso', email: 'sso@contoso.example', authService: 'saml' })
    // Signed up with e-mail and password: Mattermost never shows the bot whether the address
    // is verified, verified or not.
    const verified = sims.addPerson({ username: 'verified', email: 'verified@contoso.example', authService: '' })
    const unverified = sims.mattermost.driver.addUser({ username: 'taker', email: 'ceo@contoso.example', emailVerified: false })
    sims.graph.driver.addUser({ mail: 'ceo@contoso.example', userPrincipalName: 'ceo@contoso.example' })
    const result = await run()
    const ids = new Set(await users.enrolledIds())
    t.ok(ids.has(sso.mmUserId), `${syncUnverifiedEmails}: an SSO user is enrolled`)
    t.equal(ids.has(verified.mmUserId), syncUnverifiedEmails, `${syncUnverifiedEmails}: an e-mail-and-password user only when allowed`)
    t.equal(ids.has(unverified.id), syncUnverifiedEmails, `${syncUnverifiedEmails}: an unverified address only when allowed`)
    // The seeded sysadmin signs in with e-mail and password too.
    t.match(result, { detail: { unverified: syncUnverifiedEmails ? 0 : 3 } })
    if (!syncUnverifiedEmails) t.equal(await users.get(unverified.id), null, 'nothing is kept about a user left out')
    const problems = (await notices.current()).map((p) => p.kind)
    t.notOk(problems.includes('people-not-synced'), `${syncUnverifiedEmails}: someone is synced, so no notice (the log says who was left out)`)
  }
})

t.test('a bot without the system admin role does not see who signs in through SSO: nobody is vouched for', async (t) => {
  const { sims, users, run, notices } = await setup(t, 'all', { botRoles: 'system_user' })
  sims.addPerson({ username: 'sso', email: 'sso@contoso.example', authService: 'office365' })
  const result = await run()
  t.same(await users.enrolledIds(), [])
  t.match(result, { detail: { users: 0, unverified: 2 } }, 'the SSO user and the sysadmin are counted as not vouched for')
  const [problem] = await notices.current()
  t.match(problem, { kind: 'people-not-synced', text: /SYNC_UNVERIFIED_EMAILS=true/ }, 'nobody synced at all: the admins are told, with the fix')

  sims.mattermost.driver.setRoles(sims.mattermost.botUserId, 'system_user system_admin')
  await run()
  t.same(await notices.current(), [], 'cleared once someone is synced')
})

t.test('an enrolled user whose e-mail is no longer vouched for leaves, as a leaver does', async (t) => {
  const { sims, users, run, left } = await setup(t, 'all')
  const mallory = sims.addPerson({ username: 'mallory', email: 'mallory@contoso.example' })
  const ceo = sims.graph.driver.addUser({ mail: 'ceo@contoso.example', userPrincipalName: 'ceo@contoso.example' })
  await run()
  t.same(await users.enrolledIds(), [mallory.mmUserId])
  // Moved to e-mail-and-password sign-in, then set a colleague's address (unverified).
  sims.mattermost.driver.updateUser(mallory.mmUserId, { authService: '', email: 'ceo@contoso.example' })
  const result = await run()
  t.match(result, { detail: { left: 1, unverified: 2, resolved: 0 } }, 'left, and never resolved to the colleague')
  t.same(left, [mallory.mmUserId], 'onLeave: wake-up cancelled, subscription deleted')
  t.equal(await users.get(mallory.mmUserId), null, 'state dropped')
  t.not((await users.get(mallory.mmUserId))?.graphUserId, ceo.id)
})
