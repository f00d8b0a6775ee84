import type { SettingsOverrides } from '../domain'
import type { DefaultsStore } from '../store/defaults-store'

// The admin's defaults for everyone come in two layers (docs/configuration.md, "Defaults for
// everyone"): the DEFAULT_* environment variables, then what an admin saved (kept in Redis, edited
// from the admin page), field by field; each person's own settings override both
// (docs/status-rules.md#settings).

/** `over` on top of `base`, field by field and, in the mapping, per availability and field. */
export function layerOverrides(base: SettingsOverrides, over: SettingsOverrides | null | undefined): SettingsOverrides {
  if (!over || typeof over !== 'object') return base
  const mapping: NonNullable<SettingsOverrides['mapping']> = { ...base.mapping }
  for (const [availability, entry] of Object.entries(over.mapping ?? {}) as Array<[keyof typeof mapping, (typeof mapping)[keyof typeof mapping]]>) {
    if (entry && typeof entry === 'object') mapping[availability] = { ...mapping[availability], ...entry }
  }
  const merged: SettingsOverrides = { ...base, ...over }
  if (base.mapping || over.mapping) merged.mapping = mapping
  return merged
}

/** The defaults store as the sync reads it: the environment's layer under the saved one. */
export function withEnvironmentDefaults(fromEnvironment: SettingsOverrides, saved: DefaultsStore<SettingsOverrides>): DefaultsStore<SettingsOverrides> {
  return {
    async get() {
      return layerOverrides(fromEnvironment, await saved.get())
    },
    set: (defaults) => saved.set(defaults)
  }
}
