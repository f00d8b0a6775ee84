import { AVAILABILITIES } from './availability'
import type { CustomStatusTemplate, Mapping, MappingEntry, NotifyMode, Settings, SettingsOverrides, StatusAction } from './types'

// The mapping table of docs/status-rules.md#mapping.
export const DEFAULT_MAPPING: Readonly<Mapping> = Object.freeze({
  busy: { status: 'dnd', customStatus: { emoji: 'calendar', text: 'In a meeting' } },
  tentative: { status: 'dnd', customStatus: { emoji: 'calendar', text: 'In a meeting (tentative)' } },
  oof: { status: 'dnd', customStatus: { emoji: 'palm_tree', text: 'Out of office' } },
  workingElsewhere: { status: 'none', customStatus: { emoji: 'house', text: 'Working elsewhere' } },
  free: { status: 'none', customStatus: null }
})

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  enabled: true,
  mapping: DEFAULT_MAPPING,
  customStatus: true,
  notify: 'daily',
  confirm: false,
  pausedUntil: null,
  autopilotUntil: null,
  offlineUsers: 'skip',
  showSubject: false,
  mergeGapMinutes: 0
})

/** docs/status-rules.md#notify */
export const NOTIFY_MODES: readonly NotifyMode[] = ['every', 'daily', 'off']

const STATUS_ACTIONS: readonly StatusAction[] = ['dnd', 'away', 'offline', 'none']
/** Larger gaps would merge separate meetings into hours of Do Not Disturb. */
export const MAX_MERGE_GAP_MINUTES = 60

const isBool = (v: unknown): v is boolean => typeof v === 'boolean'
/** A mode, or the boolean stored before the modes existed: true was a message each time, false none. */
function notifyMode(v: unknown): NotifyMode | undefined {
  if (v === true) return 'every'
  if (v === false) return 'off'
  return (NOTIFY_MODES as readonly unknown[]).includes(v) ? (v as NotifyMode) : undefined
}

const isTime = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v))

function template(v: unknown): CustomStatusTemplate | null | undefined {
  if (v === null) return null
  if (typeof v !== 'object' || v === undefined) return undefined
  const { emoji, text } = v as Record<string, unknown>
  if (typeof emoji !== 'string' || typeof text !== 'string') return undefined
  // Mattermost wants the emoji name without colons.
  const name = emoji.trim().replace(/^:|:$/g, '')
  const words = text.replace(/\s+/g, ' ').trim()
  if (name === '' && words === '') return undefined
  return { emoji: name, text: words }
}

function applyMapping(base: Mapping, over: unknown): Mapping {
  if (typeof over !== 'object' || over === null) return base
  const out = { ...base }
  for (const a of AVAILABILITIES) {
    const o = (over as Record<string, unknown>)[a]
    if (typeof o !== 'object' || o === null) continue
    const entry: MappingEntry = { ...base[a] }
    const status = (o as Record<string, unknown>)['status']
    if (typeof status === 'string' && (STATUS_ACTIONS as readonly string[]).includes(status)) entry.status = status as StatusAction
    if ('customStatus' in o) {
      const cs = template((o as Record<string, unknown>)['customStatus'])
      if (cs !== undefined) entry.customStatus = cs
    }
    out[a] = entry
  }
  return out
}

function apply(base: Settings, over: SettingsOverrides | null | undefined): Settings {
  if (!over || typeof over !== 'object') return base
  const s: Settings = { ...base }
  if (isBool(over.enabled)) s.enabled = over.enabled
  if (isBool(over.customStatus)) s.customStatus = over.customStatus
  s.notify = notifyMode(over.notify) ?? s.notify
  if (isBool(over.confirm)) s.confirm = over.confirm
  if (isBool(over.showSubject)) s.showSubject = over.showSubject
  if (isTime(over.pausedUntil)) s.pausedUntil = over.pausedUntil
  if (isTime(over.autopilotUntil)) s.autopilotUntil = over.autopilotUntil
  if (over.offlineUsers === 'skip' || over.offlineUsers === 'apply') s.offlineUsers = over.offlineUsers
  const gap = over.mergeGapMinutes
  if (typeof gap === 'number' && Number.isFinite(gap) && gap >= 0 && gap <= MAX_MERGE_GAP_MINUTES) s.mergeGapMinutes = gap
  s.mapping = applyMapping(s.mapping, over.mapping)
  return s
}

/**
 * Built-in defaults, then the admin's defaults, then the user's overrides, field by field
 * (the mapping per availability and per field). Settings are stored JSON that a person typed:
 * an invalid field is ignored and the layer below it applies, so a typo never stops the sync.
 */
export function resolveSettings(adminDefaults: SettingsOverrides | null | undefined, userOverrides: SettingsOverrides | null | undefined): Settings {
  return apply(apply(DEFAULT_SETTINGS, adminDefaults), userOverrides)
}
