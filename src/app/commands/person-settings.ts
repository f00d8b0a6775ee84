import type { SettingsOverrides } from '../../domain'
import type { SyncedUser, SyncedUserStore } from '../services'
import type { JobQueue } from '../job-queue'

// A person's own settings (their overrides of the admin's defaults) changed from Mattermost. Every
// change takes effect at once: a sync of that person runs right after (docs/mattermost.md, the
// slash command), and the rule engine reads the new settings there.

export interface PersonSettingsDeps {
  users: Pick<SyncedUserStore, 'get' | 'setSettings'>
  jobs: Pick<JobQueue, 'syncUsers'>
}

/** A patch of overrides; `null` for a field removes the person's override (the default applies again). */
export type SettingsPatch = { [K in keyof SettingsOverrides]?: SettingsOverrides[K] | null }

export function applyPatch(current: SettingsOverrides | null, patch: SettingsPatch): SettingsOverrides {
  const next: Record<string, unknown> = { ...(current ?? {}) }
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'mapping' && value && typeof value === 'object') {
      const mapping: Record<string, unknown> = { ...(current?.mapping ?? {}) }
      for (const [availability, entry] of Object.entries(value as Record<string, object>))
        mapping[availability] = { ...(mapping[availability] as object), ...entry }
      next['mapping'] = mapping
    } else if (value === null) delete next[key]
    else next[key] = value
  }
  return next
}

export function createPersonSettings(deps: PersonSettingsDeps) {
  return async (user: SyncedUser, patch: SettingsPatch, reason: string): Promise<SettingsOverrides> => {
    // Read again: the record in hand may be a second old, and another click may have landed since.
    const fresh = (await deps.users.get(user.mmUserId)) ?? user
    const next = applyPatch(fresh.settings, patch)
    await deps.users.setSettings(user.mmUserId, next)
    await deps.jobs.syncUsers([user.mmUserId], reason)
    return next
  }
}
