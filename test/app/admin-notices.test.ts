import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createAdminNotices, type AdminMessenger } from '../../src/app/admin-notices'
import { createOutageWatch } from '../../src/app/outage-watch'
import { createProblemStore } from '../../src/store/problem-store'
import { waitFor } from '../helpers/processes'
import { usePrivateRedis } from '../helpers/redis-server'

// Admin notices against a private Redis: two "processes" (two sets of notices on their own
// connections, with their own metrics) share one cluster's problems. The DMs go to a recording
// stand-in for the Mattermost adapter's messageAdmins (the end-to-end tests read real DMs).

const log = pino({ level: 'silent' })
const PREFIX = '{notices}'

async function setup(t: Test) {
  const server = await usePrivateRedis(t)
  const sent: string[] = []
  let failing = false
  const messenger: AdminMessenger = {
    async messageAdmins(message) {
      if (failing) return { sent: 0, failed: 1 }
      sent.push(message)
      return { sent: 1, failed: 0 }
    }
  }
  let clock = Date.parse('2026-03-02T09:00:00Z')
  const process = () => {
    const redis = new Redis(server.url)
    t.teardown(() => redis.disconnect())
    const registry = new Registry()
    const problems = createProblemStore(redis, PREFIX)
    const notices = createAdminNotices({ problems, messenger: () => messenger, log, registry, now: () => clock })
    const gauge = async (kind: string) => (await registry.getSingleMetric('calstatus_problem')?.get())?.values.find((v) => v.labels['kind'] === kind)?.value
    return { redis, problems, notices, gauge }
  }
  return {
    sent,
    a: process(),
    b: process(),
    advance: (ms: number) => (clock += ms),
    setFailing: (f: boolean) => (failing = f)
  }
}

t.test('one notice per kind for the cluster, the list in Redis, the gauge, one recovery notice', async (t) => {
  const { sent, a, b, advance } = await setup(t)
  const text = 'Microsoft sign-in failed (bad-secret): MS_CLIENT_SECRET is wrong'
  await Promise.all([a.notices.raise('graph-sign-in', text), b.notices.raise('graph-sign-in', text), a.notices.raise('graph-sign-in', text)])
  advance(60_000)
  await b.notices.raise('graph-sign-in', text)
  t.equal(sent.length, 1, 'one DM for four raises in two processes')
  t.match(sent[0], /MS_CLIENT_SECRET/, 'it names the fix')

  const stored = JSON.parse((await a.redis.hget(`${PREFIX}:problems`, 'graph-sign-in')) as string) as Record<string, unknown>
  t.match(stored, { kind: 'graph-sign-in', since: Date.parse('2026-03-02T09:00:00Z'), lastSeen: Date.parse('2026-03-02T09:01:00Z'), text })
  t.ok(stored['noticedAt'], 'the record says the admins were told')
  t.equal(await a.gauge('graph-sign-in'), 1, 'gauge 1 in the process that raised it')
  t.equal(await b.gauge('graph-sign-in'), 1, 'and in the other one (read from Redis)')
  t.equal(await a.gauge('graph-outage'), 0, 'other kinds 0')

  advance(9 * 60_000)
  await Promise.all([a.notices.clear('graph-sign-in'), b.notices.clear('graph-sign-in')])
  t.equal(sent.length, 2, 'one recovery DM, although both processes cleared it')
  t.match(sent[1], /resolved: Microsoft sign-in.*for 10 min/)
  t.same(await a.notices.current(), [], 'no current problem')
  t.equal(await b.gauge('graph-sign-in'), 0, 'gauge back to 0')
})

t.test('a problem nobody was told of clears silently; a notice nobody got is tried again', async (t) => {
  const { sent, a, advance, setFailing } = await setup(t)
  // Within the hour of an earlier notice, the same kind again: no DM, and so no recovery DM.
  await a.problems.claimNotice('graph-outage', 3600)
  await a.notices.raise('graph-outage', 'Graph is down')
  await a.notices.clear('graph-outage')
  t.same(sent, [], 'no DM either way')

  setFailing(true)
  await a.notices.raise('mattermost-permission', 'the bot needs edit_other_users')
  setFailing(false)
  advance(5000)
  await a.notices.raise('mattermost-permission', 'the bot needs edit_other_users')
  t.equal(sent.length, 1, 'the next raise sent the notice the admins did not get')
})

t.test('a Mattermost outage: logged and listed while it lasts, told when Mattermost is back, with how long', async (t) => {
  const { sent, a, advance } = await setup(t)
  await a.notices.raise('mattermost-outage', 'Every call to Mattermost has failed', { since: Date.parse('2026-03-02T08:50:00Z') })
  t.same(sent, [], 'no DM while Mattermost is down')
  t.equal(await a.gauge('mattermost-outage'), 1)
  advance(20 * 60_000)
  await a.notices.clear('mattermost-outage')
  t.equal(sent.length, 1, 'one DM once it is back')
  t.match(sent[0], /resolved: Mattermost unreachable.*since 2026-03-02T08:50:00\.000Z, for 30 min/)
  t.match(sent[0], /ended on its own/, 'says what happened to statuses meanwhile')
})

t.test('outage watch: raised only after every call failed for the threshold, cleared by the first success', async (t) => {
  const { sent, a, b, advance } = await setup(t)
  const clock = { t: Date.parse('2026-03-02T10:00:00Z') }
  const watch = (p: typeof a) =>
    createOutageWatch(
      { notices: p.notices, problems: p.problems, log, now: () => clock.t },
      { kind: 'graph-outage', thresholdMs: 60_000, describe: (since) => `Graph down since ${new Date(since).toISOString()}` }
    )
  const wa = watch(a)
  const wb = watch(b)
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100))
  const step = async (ms: number, reports: Array<[typeof wa, boolean]>) => {
    clock.t += ms
    advance(ms)
    for (const [w, up] of reports) w.report(up)
    await settle()
  }
  await step(0, [[wa, false]])
  await step(30_000, [[wb, false]])
  // A success in the other process resets the streak: 59 s of failures since.
  await step(10_000, [[wb, true]])
  await step(5_000, [[wa, false]])
  await step(59_000, [[wa, false]])
  t.same(await a.notices.current(), [], 'not yet: a success came in between')
  await step(2_000, [[wb, false]])
  await waitFor('the outage raised', 5000, async () => ((await a.notices.current()).length === 1 ? true : undefined))
  t.equal(sent.length, 1, 'one notice')
  t.match(sent[0], /since 2026-03-02T10:00:45\.000Z/, 'since the first failure after the last success')
  for (let i = 0; i < 5; i++)
    await step(3_000, [
      [wa, false],
      [wb, false]
    ])
  t.equal(sent.length, 1, 'still one')
  await step(1_000, [[wa, true]])
  await waitFor('the recovery', 5000, async () => (sent.length === 2 ? true : undefined))
  t.match(sent[1], /resolved: Microsoft Graph unreachable/)
})
