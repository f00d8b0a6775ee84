import t from 'tap'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createServices } from '../../src/main/create-services'
import { createUseCases } from '../../src/app/create-use-cases'
import { GraphAuthError } from '../../src/graph/errors'
import { startSimulators } from '../../sim/index'
import { waitFor } from '../helpers/processes'
import { usePrivateRedis } from '../helpers/redis-server'
import { useServiceConnections } from '../helpers/service-connections'
import { silentLogger as silent } from '../helpers/web-app'

// A client secret that stops working while the service runs, through the worker's use cases as
// the worker builds them (real Redis, the real adapters against the simulators): every job that
// needs Graph ends at its first sign-in, nobody's record gets an error, the identity host is
// asked once, the admins get one DM naming the fix, and one more when it works again.

t.test('a secret that stops working: fail fast, one sign-in, no per-user errors, one notice, one recovery', async (t) => {
  const server = await usePrivateRedis(t)
  const sims = await startSimulators()
  t.teardown(() => sims.stop())
  const alice = sims.addPerson({ username: 'alice', email: 'alice@example.com' })
  const ops = sims.mattermost.driver.addUser({ username: 'ops', email: 'ops@example.com' })
  const { config } = loadConfig({ ...sims.env, REDIS_URL: server.url, QUEUE_PREFIX: '{signin}', ADMIN_MM_USERS: 'ops' })
  const { state, queues } = useServiceConnections(t, server.url, config.queuePrefix)
  // One services object per "process"; the second one is the service restarted after the fix.
  const start = () => {
    const registry = new Registry()
    const services = createServices(config, silent, registry, { state, queues })
    const useCases = createUseCases({ ...services, graph: services.graph!, mattermost: services.mattermost! })
    const gauge = async () => (await registry.getSingleMetric('calstatus_problem')?.get())?.values.find((v) => v.labels['kind'] === 'graph-sign-in')?.value
    return { services, useCases, gauge }
  }
  const dms = () => {
    const channel = sims.mattermost.driver.directChannelId(sims.mattermost.botUserId, ops.id)
    return channel ? sims.mattermost.driver.posts(channel).map((p) => p.message) : []
  }

  const first = start()
  t.match(await first.useCases.enrol(), { outcome: 'done' })
  t.match(await first.useCases.syncUser(alice.mmUserId, 'test'), { outcome: 'done', detail: { errors: 0 } })
  const before = await first.services.users.get(alice.mmUserId)

  // The secret is rotated in Entra and every token issued so far stops working.
  sims.identity.driver.setSecret(sims.clientId, 'rotated-elsewhere')
  sims.tokens.expireAll()
  sims.identity.resetCounters()
  const err = await first.useCases.syncUser(alice.mmUserId, 'test').then(
    () => null,
    (e: unknown) => e
  )
  t.type(err, GraphAuthError, 'the job ends with the sign-in error')
  t.equal((err as GraphAuthError).problem, 'bad-secret')
  t.equal((err as GraphAuthError).retryable, false, 'not retryable: the worker fails the job without using up its attempts')
  await t.rejects(first.useCases.syncUser(alice.mmUserId, 'test'), GraphAuthError, 'the next job too')
  await t.rejects(first.useCases.sweep.start('sweep-1'), GraphAuthError, 'a sweep fails before it adds shards')
  t.equal((await queues.sweep.getJobs(['waiting', 'delayed'])).filter((j) => j.name === 'sweep-shard').length, 0, 'no shard was added')
  // A newcomer in Mattermost: the directory run must ask Graph who that is.
  sims.addPerson({ username: 'bea', email: 'bea@example.com' })
  await t.rejects(first.useCases.enrol(), GraphAuthError, 'the directory run fails as a whole')
  t.same(sims.identity.counters().tokenRequests.byError, { AADSTS7000215: 1 }, 'the identity host was asked once, not once per job or retry')

  const after = await first.services.users.get(alice.mmUserId)
  t.equal(after?.lastError, null, 'no per-user error')
  t.same(after?.remembered, before?.remembered, 'her state is kept')
  t.equal(after?.mailbox, 'ok', 'and her mailbox')

  const notice = await waitFor('the admin notice', 10_000, async () => dms()[0])
  t.match(notice, /MS_CLIENT_SECRET is wrong/, 'the DM names the fix')
  t.equal(await first.gauge(), 1, 'calstatus_problem{kind="graph-sign-in"} 1')
  const listed = await first.services.notices.current()
  t.match(listed, [{ kind: 'graph-sign-in', text: /MS_CLIENT_SECRET/ }], 'listed in Redis for the admin page')

  // The admin puts the new secret in (here: Entra accepts the configured one again) and restarts.
  sims.identity.driver.setSecret(sims.clientId, sims.clientSecret)
  const second = start()
  t.match(await second.useCases.syncUser(alice.mmUserId, 'test'), { outcome: 'done', detail: { errors: 0 } })
  await waitFor('the recovery notice', 10_000, async () => (dms().length >= 2 ? true : undefined))
  t.match(dms()[1], /resolved: Microsoft sign-in/)
  t.equal(dms().length, 2, 'one notice, one recovery')
  t.equal(await second.gauge(), 0, 'gauge 0')
  t.equal(await first.gauge(), 0, 'in every process')
})
