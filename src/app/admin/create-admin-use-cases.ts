import type { Redis } from 'ioredis'
import { createConsentStore } from '../../store/consent-store'
import { createPeopleIndex } from '../../store/people-index'
import { createPersonSettings } from '../commands/person-settings'
import type { Services } from '../services'
import { createAdminDefaults } from './admin-defaults'
import { createActivity } from './activity'
import { createConsent } from './consent'
import { createPeople } from './people'
import { createSetupHealth } from './setup-health'

/** One hour: the pause the person's row offers, as `/calstatus pause 1h` would. */
const ADMIN_PAUSE_MS = 3600_000

/**
 * What the admin pages show and do (issue 17), built once in the web process from its services
 * and its state connection (for Redis's own INFO and CONFIG); src/http/admin renders it.
 */
export function createAdminUseCases(s: Services, redis: Redis, now: () => number = Date.now) {
  const consents = createConsentStore(redis, s.config.queuePrefix)
  const changeSettings = createPersonSettings({ users: s.users, jobs: s.jobs })
  /** A person's row: act only on someone enrolled. */
  const onPerson = async (mmUserId: string, work: (user: NonNullable<Awaited<ReturnType<typeof s.users.get>>>) => Promise<void>): Promise<boolean> => {
    const user = await s.users.get(mmUserId)
    if (!user) return false
    await work(user)
    return true
  }
  return {
    defaults: createAdminDefaults({ fromEnvironment: s.config.defaults, saved: s.savedDefaults, audit: s.defaultsAudit, jobs: s.jobs }),
    problems: () => s.notices.current(),
    activity: createActivity({ activity: s.activity, config: s.config }),
    consent: createConsent({ config: s.config, consents }),
    lastConsent: () => consents.last(),
    setup: createSetupHealth({
      config: s.config,
      graph: s.graph,
      mattermost: s.mattermost,
      users: s.users,
      subscriptions: s.subscriptions,
      redis: s.redisInfo
    }),
    people: createPeople({
      index: createPeopleIndex(redis, s.config.queuePrefix),
      users: s.users,
      defaults: s.defaults,
      wakeUpMarkers: s.wakeUpMarkers,
      mattermost: s.mattermost,
      log: s.log
    }),
    /** The buttons of a person's row: each queues a sync of them, as their own command would. */
    personActions: {
      syncNow: (mmUserId: string) => onPerson(mmUserId, async () => void (await s.jobs.syncUsers([mmUserId], 'admin: sync now'))),
      pause: (mmUserId: string) => onPerson(mmUserId, async (u) => void (await changeSettings(u, { pausedUntil: now() + ADMIN_PAUSE_MS }, 'admin: paused'))),
      resume: (mmUserId: string) => onPerson(mmUserId, async (u) => void (await changeSettings(u, { pausedUntil: null }, 'admin: resumed')))
    }
  }
}

export type AdminUseCases = ReturnType<typeof createAdminUseCases>
