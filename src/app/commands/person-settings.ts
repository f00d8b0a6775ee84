import type { SettingsOverrides } from '../../domain'
import type { SyncedUser, SyncedUserStore } from '../services'
import type { JobQueue } from '../job-queue'
import { layerOverrides } from '../effective-defaults'

// A person's own settings (their overrides of the admin's defaults) changed from Mattermost. Every
// change takes effect at once: a sync of that person runs right after (docs/mattermost.md, the
// slash command), and the rule engine reads the new settings there.

export interface PersonSettingsDeps {
  users: Pick<SyncedUserStore, 'get' | 'setSettings'>
  jobs: Pick<JobQueue, 'syncUsers'>
}

/** A patch of overrides; `null` for a field removes the person's override (the default applies again). */
export type SettingsPatch = { [K in keyof SettingsOverrides]?: SettingsOverrides[K] | null }

/** The person's overrides after a patch: set fields layered as the defaults are, removed ones gone. */
export function applyPatch(current: SettingsOverrides | null, patch: SettingsPatch): SettingsOverrides {
  const kept: Record<string, unknown> = { ...(current ?? {}) }
  const set: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete kept[key]
    else set[key] = value
  }
  return layerOverrides(kept, set)
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
