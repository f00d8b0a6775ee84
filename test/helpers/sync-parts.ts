import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { Registry } from 'prom-client'
import { startMattermostSim } from '../../sim/mattermost/server'
import { createWakeUps } from '../../src/app/sync/wake-ups'
import type { RememberedState, SettingsOverrides } from '../../src/domain'
import { createMattermostAdapter } from '../../src/mattermost/create-mattermost-adapter'
import { createJobQueue } from '../../src/queue/create-job-queue'
import { closeQueues, createQueues } from '../../src/queue/create-queues'
import { createDefaultsStore } from '../../src/store/defaults-store'
import { createUserStore } from '../../src/store/user-store'
import { createWakeUpStore } from '../../src/store/wake-up-store'
import { createDailyNoticeStore } from '../../src/store/daily-notice-store'
import { createSendNotice } from '../../src/app/sync/send-notice'
import { usePrivateRedis } from './redis-server'
import { silentLogger } from './web-app'

/** A schedule item's time as Graph writes it: UTC, no offset, seven decimals. */
export const graphTime = (ms: number): { dateTime: string; timeZone: string } => ({
  dateTime: new Date(ms).toISOString().replace('Z', '0000'),
  timeZone: 'UTC'
})

/**
 * What the sync use case runs on, real: a private Redis with the service's queues and stores, the
 * Mattermost simulator (its bot may edit other users) and the real Mattermost adapter, and
 * wake-ups as BullMQ jobs. Everything is stopped at the test's teardown.
 */
export async function useSyncParts(t: Test, prefix: string) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url, { maxRetriesPerRequest: null })
  const sim = await startMattermostSim({ botRoles: 'system_user system_user_manager', contract: 'record', dndExpiryPeriodMs: 0 })
  const queues = createQueues(redis, prefix, silentLogger)
  t.teardown(async () => {
    await closeQueues(queues)
    redis.disconnect()
    await sim.stop()
  })
  const mattermost = createMattermostAdapter(
    { url: sim.url, botToken: sim.botToken, commandToken: null, adminUsers: [], maxRequestsPerSecond: 1000 },
    { log: silentLogger, registry: new Registry(), redis, keyPrefix: prefix }
  )
  const jobs = createJobQueue(queues)
  return {
    redis,
    sim,
    queues,
    jobs,
    mattermost,
    users: createUserStore<RememberedState, SettingsOverrides>(redis, prefix),
    wakeUps: createWakeUps({ markers: createWakeUpStore(redis, prefix), jobs, earlyRunLeadMs: 0 }),
    defaults: createDefaultsStore<SettingsOverrides>(redis, prefix),
    /** notices as DMs; no buttons (no PUBLIC_URL), so no "Ask first" */
    sendNotice: createSendNotice({ mattermost, daily: createDailyNoticeStore(redis, prefix), actions: null, log: silentLogger })
  }
}
