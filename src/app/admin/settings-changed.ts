import type { Settings } from '../../domain'

// Which of a person's settings differ from the defaults everyone gets (docs/status-rules.md#settings),
// for the admin page. Both sides are resolved settings (`resolveSettings` from src/domain), so an
// override that repeats the default is not a difference. A pause and autopilot are shown apart:
// they are moments, not preferences.

export type SettingValue = string | number | boolean | null

export interface SettingChanged {
  /** `notify`, `mapping.busy.status`, `mapping.oof.customStatus`, ... */
  setting: string
  value: SettingValue
  default: SettingValue
}

const MOMENTS = new Set<keyof Settings>(['pausedUntil', 'autopilotUntil'])

/** The settings as flat `name -> value` pairs; a custom status template reads `:emoji: text`. */
function flatten(settings: Settings): Map<string, SettingValue> {
  const out = new Map<string, SettingValue>()
  for (const [name, value] of Object.entries(settings) as Array<[keyof Settings, Settings[keyof Settings]]>) {
    if (MOMENTS.has(name)) continue
    if (name !== 'mapping') {
      out.set(name, value as SettingValue)
      continue
    }
    for (const [availability, entry] of Object.entries(settings.mapping)) {
      out.set(`mapping.${availability}.status`, entry.status)
      out.set(`mapping.${availability}.customStatus`, entry.customStatus ? `:${entry.customStatus.emoji}: ${entry.customStatus.text}` : null)
    }
  }
  return out
}

export function settingsChanged(person: Settings, defaults: Settings): SettingChanged[] {
  const base = flatten(defaults)
  const changed: SettingChanged[] = []
  for (const [setting, value] of flatten(person)) {
    const def = base.get(setting) ?? null
    if (value !== def) changed.push({ setting, value, default: def })
  }
  return changed
}
