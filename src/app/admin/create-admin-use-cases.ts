import type { Services } from '../services'
import { createAdminDefaults } from './admin-defaults'
import { createActivity } from './activity'

/**
 * What the admin pages show and do (issue 17), built once in the web process from its services;
 * src/http/admin renders it. Null parts are not configured (no Microsoft, no Mattermost).
 */
export function createAdminUseCases(s: Services) {
  return {
    defaults: createAdminDefaults({ fromEnvironment: s.config.defaults, saved: s.savedDefaults, audit: s.defaultsAudit, jobs: s.jobs }),
    problems: () => s.notices.current(),
    activity: createActivity({ activity: s.activity, config: s.config })
  }
}

export type AdminUseCases = ReturnType<typeof createAdminUseCases>
