import t, { type Test } from 'tap'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config'
import { createServices } from '../../src/main/create-services'
import { createUseCases } from '../../src/app/create-use-cases'
import { SYNC_SOON_LIMIT } from '../../src/app/sync/sync-soon'
import { startSimulators } from '../../sim/index'
import { createWakeUpStore } from '../../src/store/wake-up-store'
import { usePrivateRedis } from '../helpers/redis-server'
import { useServiceConnections } from '../helpers/service-connections'
import { silentLogger as silent } from '../helpers/web-app'

// The worker's use cases as the worker builds them (one services object on a private Redis,
// the real adapters against the simulators): what enrolment starts for newcomers.

async function setup(t: Test) {
  const server = await usePrivateRedis(t)
  const sims = await startSimulators()
  t.teardown(() => sims.stop())
  const { config } = loadConfig({ ...sims.env, REDIS_URL: server.url, QUEUE_PREFIX: '{uc}' })
  const { state, queues } = useServiceConnections(t, server.url, config.queuePrefix)
  const services = createServices(config, silent, new Registry(), { state, queues })
  const useCases = createUseCases({ ...services, graph: services.graph!, mattermost: services.mattermost! })
  const pending = async () => ({
    syncs: (await queues.sync.getJobs(['delayed', 'waiting'])).filter((j) => j.name === 'sync-user').map((j) => (j.data as { userId: string }).userId),
    sweeps: (await queues.sweep.getJobs(['waiting', 'delayed'])).filter((j) => j.name === 'sweep').length
  })
  return { sims, useCases, pending, queues, state }
}

t.test(`newcomers at enrolment: up to ${SYNC_SOON_LIMIT} get a sync each, more get one sweep`, async (t) => {
  const { sims, useCases, pending, queues } = await setup(t)
  const few = Array.from({ length: SYNC_SOON_LIMIT }, (_, i) => sims.addPerson({ username: `few${i}`, email: `few${i}@contoso.example` }))
  t.match(await useCases.enrol(), { outcome: 'done', detail: { newlyEnrolled: SYNC_SOON_LIMIT } })
  const afterFew = await pending()
  t.same([...afterFew.syncs].sort(), few.map((p) => p.mmUserId).sort(), 'one sync-user for each newcomer')
  t.equal(afterFew.sweeps, 0, 'no sweep')

  await queues.sync.obliterate({ force: true })
  for (let i = 0; i <= SYNC_SOON_LIMIT; i++) sims.addPerson({ username: `many${i}`, email: `many${i}@contoso.example` })
  t.match(await useCases.enrol(), { outcome: 'done', detail: { newlyEnrolled: SYNC_SOON_LIMIT + 1 } })
  const afterMany = await pending()
  t.same(afterMany.syncs, [], `no sync-user for ${SYNC_SOON_LIMIT + 1} newcomers`)
  t.equal(afterMany.sweeps, 1, 'one sweep instead')
})

t.test('without PUBLIC_URL the subscriptions job is an expected skip, not a failure', async (t) => {
  const { useCases } = await setup(t)
  t.same(await useCases.subscriptions({ reason: 'upkeep' }), { outcome: 'skipped', reason: 'PUBLIC_URL is not set: no change notifications' })
})

t.test('a wake-up that is no longer the current one skips', async (t) => {
  const { useCases, state } = await setup(t)
  const user = 'u'.repeat(26)
  const now = Date.now()
  await createWakeUpStore(state, '{uc}').join(user, now + 60_000, null, 120_000) // a later wake-up replaced it
  t.same(await useCases.wakeUp(user, now), { outcome: 'skipped', reason: 'superseded by a later wake-up' })
})
