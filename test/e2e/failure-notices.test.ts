import t from 'tap'
import { Redis } from 'ioredis'
import { startService, type RunningService } from '../helpers/service'
import { loggedUrl, waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'

// Failures reach people, end to end: the real web and worker processes against the simulators,
// with time compressed through configuration (OUTAGE_NOTICE_SECONDS, SWEEP_INTERVAL_SECONDS) and
// Mattermost's DND expiry job every 2 s instead of every minute. The admin ("ops", ADMIN_MM_USERS)
// reads the notices as DMs from the bot in the Mattermost simulator.

const ENV = { SWEEP_INTERVAL_SECONDS: '10', OUTAGE_NOTICE_SECONDS: '15', ADMIN_MM_USERS: 'ops', WEB_METRICS_PORT: '0' }

function adminDms(svc: RunningService, opsId: string): string[] {
  const channel = svc.sims.mattermost.driver.directChannelId(svc.sims.mattermost.botUserId, opsId)
  return channel ? svc.sims.mattermost.driver.posts(channel).map((p) => p.message) : []
}

async function gauge(svc: RunningService, kind: string): Promise<number | undefined> {
  const text = await (await fetch(await loggedUrl(svc.web, 'web metrics listening', 30 * S))).text()
  const m = new RegExp(`^calstatus_problem\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}

t.test('Graph down for "10 minutes": jobs back off, one notice, one recovery notice, nobody stuck', async (t) => {
  const T0 = Date.now()
  const people: Record<string, Person> = {}
  let opsId = ''
  const svc = await startService(t, {
    env: ENV,
    // Persisted, as in production: the health job would rightly tell the admin otherwise.
    appendfsync: 'everysec',
    sims: { mattermost: { dndExpiryPeriodMs: 2000 } },
    before: (sims) => {
      for (const name of ['alice', 'bob']) {
        people[name] = { name, ...sims.addPerson({ username: name, email: `${name}@example.com` }) }
        sims.mattermost.driver.presence(people[name].mmUserId, 'active')
      }
      opsId = sims.mattermost.driver.addUser({ username: 'ops', email: 'ops@example.com' }).id
      // alice's meeting ends during the outage, bob's starts during it and goes on after.
      sims.graph.driver.addEvent(people['alice']!.graphUserId, { start: T0 + 25 * S, end: T0 + 70 * S, showAs: 'busy', subject: 'Before' })
      sims.graph.driver.addEvent(people['bob']!.graphUserId, { start: T0 + 80 * S, end: T0 + 20 * MINUTE, showAs: 'busy', subject: 'Across' })
    }
  })
  const { sims } = svc
  const ours = byService(sims)
  const alice = people['alice']!
  const bob = people['bob']!
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })

  const aliceDnd = await waitForStatus(sims, alice, 'dnd', T0, 60 * S)
  t.ok(aliceDnd < T0 + 65 * S, 'alice went into DND before her meeting ends (else the case below does not hold)')
  const outageAt = Date.now()
  sims.graph.driver.setOutage({ status: 503 })

  // While Graph is down: one notice, the problem listed in Redis, the gauge.
  const notice = await waitFor('the outage notice', 120 * S, async () => adminDms(svc, opsId)[0])
  t.match(notice, /Microsoft Graph unreachable/, 'the notice says what is down')
  t.match(notice, /MS_GRAPH_URL/, 'and where to look')
  t.ok(await redis.hexists(`${svc.prefix}:problems`, 'graph-outage'), 'listed in Redis')
  t.equal(await gauge(svc, 'graph-outage'), 1, 'calstatus_problem{kind="graph-outage"} 1')
  // alice's meeting ends while Graph is down: Mattermost's own expiry takes her out of DND.
  const aliceBack = await waitForStatus(sims, alice, 'online', aliceDnd + 1, 120 * S)
  const expiry = statusChanges(sims, alice.mmUserId).find((c) => c.time === aliceBack)!
  t.equal(expiry.who, 'expiry', "alice: restored by Mattermost's DND expiry")
  // bob's meeting starts while Graph is down: nothing can be known about it.
  await waitFor("bob's meeting has started", 60 * S, async () => (Date.now() > T0 + 85 * S ? true : undefined))
  t.equal(sims.mattermost.driver.status(bob.mmUserId).status, 'online', 'bob is not in DND yet')
  t.equal(adminDms(svc, opsId).length, 1, 'still one notice')

  const recoveredAt = Date.now()
  sims.graph.driver.setOutage(null)
  const outageSeconds = (recoveredAt - outageAt) / 1000
  t.comment(`Graph was down for ${outageSeconds.toFixed(0)} s; ${sims.graph.counters().outageAnswers} requests answered 503`)
  // Backing off: far fewer requests than one per shard attempt without waits would make.
  t.ok(sims.graph.counters().outageAnswers < outageSeconds * 5, 'jobs backed off')

  const recovery = await waitFor('the recovery notice', 180 * S, async () => adminDms(svc, opsId)[1])
  t.match(recovery, /resolved: Microsoft Graph unreachable/, 'recovery notice')
  await waitForStatus(sims, bob, 'dnd', recoveredAt, 180 * S)
  t.ok(ours(statusChanges(sims, bob.mmUserId).find((c) => c.to === 'dnd')!.who), 'bob gets DND once Graph answers, his meeting still on')

  // A sweep that started after the recovery has looked at everyone: alice was not "restored" again.
  await waitFor('a sweep after the recovery', 120 * S, async () =>
    (await redis.lrange(`${svc.prefix}:sweeps`, 0, -1)).some((x) => (JSON.parse(x) as { startedAt: number }).startedAt > recoveredAt + 1000) ? true : undefined
  )
  const aliceAfter = statusChanges(sims, alice.mmUserId).filter((c) => c.time > aliceDnd)
  t.same(
    aliceAfter.map((c) => `${c.to} by ${ours(c.who) ? 'service' : c.who}`),
    ['online by expiry'],
    'alice: one way out of DND, no second restore by the service'
  )
  t.equal(adminDms(svc, opsId).length, 2, 'exactly one notice and one recovery notice')
  t.equal(await redis.hexists(`${svc.prefix}:problems`, 'graph-outage'), 0, 'no longer listed')
  t.equal(await gauge(svc, 'graph-outage'), 0, 'gauge back to 0')
})

t.test('a bad client secret: one DM naming MS_CLIENT_SECRET, the gauge, no per-user errors, recovery once it works', async (t) => {
  let alice: Person | undefined
  let opsId = ''
  const svc = await startService(t, {
    env: ENV,
    // Persisted, as in production: the health job would rightly tell the admin otherwise.
    appendfsync: 'everysec',
    before: (sims) => {
      alice = { name: 'alice', ...sims.addPerson({ username: 'alice', email: 'alice@example.com' }) }
      opsId = sims.mattermost.driver.addUser({ username: 'ops', email: 'ops@example.com' }).id
    }
  })
  const { sims } = svc
  const redis = new Redis(svc.redis.url)
  t.teardown(() => redis.disconnect())
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })
  const userKey = `${svc.prefix}:user:${alice!.mmUserId}`
  await waitFor('alice synced once', 60 * S, async () => ((await redis.hget(userKey, 'lastSyncAt')) ? true : undefined))

  // The secret is replaced in Entra; the tokens issued so far stop working.
  sims.identity.driver.setSecret(sims.clientId, 'rotated-elsewhere')
  sims.tokens.expireAll()
  const brokenAt = Date.now()
  const notice = await waitFor('the sign-in notice', 60 * S, async () => adminDms(svc, opsId)[0])
  t.match(notice, /MS_CLIENT_SECRET is wrong/, 'the DM names the fix')
  t.equal(await gauge(svc, 'graph-sign-in'), 1, 'calstatus_problem{kind="graph-sign-in"} 1')
  // Two sweeps later: still one DM, and alice's record has no error.
  await waitFor('20 s of sweeps', 40 * S, async () => (Date.now() > brokenAt + 20 * S ? true : undefined))
  t.equal(adminDms(svc, opsId).length, 1, 'one DM, however many jobs failed')
  t.equal(await redis.hget(userKey, 'lastError'), '', 'no per-user error')
  const attempts = sims.identity.history.tokenRequests.filter((r) => r.time >= brokenAt).length
  t.ok(attempts <= 3, `${attempts} sign-in attempts in 20 s, not one per job`)

  // Entra accepts the configured secret again (the admin fixed it there).
  sims.identity.driver.setSecret(sims.clientId, sims.clientSecret)
  const recovery = await waitFor('the recovery notice', 120 * S, async () => adminDms(svc, opsId)[1])
  t.match(recovery, /resolved: Microsoft sign-in/)
  t.equal(await gauge(svc, 'graph-sign-in'), 0, 'gauge 0')
  t.equal(adminDms(svc, opsId).length, 2, 'one notice, one recovery')
})
