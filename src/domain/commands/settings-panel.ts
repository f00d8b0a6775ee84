import type { Language } from '../locale'
import { MAX_MERGE_GAP_MINUTES } from '../settings'
import { commandCatalog } from './catalog'
import type { SettingKeyWords } from './catalog-type'
import type { MeetingAction, MeetingLevel, NotifyMode } from './status-view'

// The content of the `/calstatus settings` panel as plain data (issue 16): the rows, their
// current values and their options, and what a choice changes. The Mattermost dialog is built
// from it elsewhere. Values are strings, as a select option sends them.

export type SettingKey = SettingKeyWords

/** The settings the panel shows; the shape of Settings as issue 16 leaves it (docs/status-rules.md#settings). */
export interface PanelSettings {
  mapping: Readonly<Record<MeetingLevel, { status: MeetingAction }>>
  customStatus: boolean
  showSubject: boolean
  notify: NotifyMode
  confirm: boolean
  offlineUsers: 'skip' | 'apply'
  mergeGapMinutes: number
}

/** The user overrides a choice writes (a part of SettingsOverrides). */
export interface PanelOverrides {
  mapping?: Partial<Record<MeetingLevel, { status: MeetingAction }>>
  customStatus?: boolean
  showSubject?: boolean
  notify?: NotifyMode
  confirm?: boolean
  offlineUsers?: 'skip' | 'apply'
  mergeGapMinutes?: number
}

export interface SettingOption {
  value: string
  label: string
}

export interface SettingsRow {
  key: SettingKey
  label: string
  value: string
  valueLabel: string
  options: SettingOption[]
}

const LEVELS: readonly MeetingLevel[] = ['busy', 'tentative', 'oof', 'workingElsewhere']
const ACTIONS: readonly MeetingAction[] = ['dnd', 'away', 'offline', 'none']
const NOTIFY: readonly NotifyMode[] = ['daily', 'every', 'off']
const GAPS: readonly number[] = [0, 5, 10, 15]
const KEYS: readonly SettingKey[] = [...LEVELS, 'customStatus', 'showSubject', 'notify', 'confirm', 'offlineUsers', 'mergeGapMinutes']

function options(key: SettingKey, language: Language, current: string): SettingOption[] {
  const c = commandCatalog(language)
  const onOff = (['on', 'off'] as const).map((v) => ({ value: v, label: c.onOff(v === 'on') }))
  switch (key) {
    case 'customStatus':
    case 'showSubject':
    case 'confirm':
      return onOff
    case 'notify':
      return NOTIFY.map((v) => ({ value: v, label: c.notifyName[v] }))
    case 'offlineUsers':
      return (['skip', 'apply'] as const).map((v) => ({ value: v, label: c.settings.offlineUsers[v] }))
    case 'mergeGapMinutes': {
      // An admin default outside the usual choices still shows as the current one.
      const gaps = GAPS.includes(Number(current)) ? GAPS : [...GAPS, Number(current)].sort((a, b) => a - b)
      return gaps.map((n) => ({ value: String(n), label: c.settings.minutes(n) }))
    }
    default:
      return ACTIONS.map((v) => ({ value: v, label: c.actionName[v] }))
  }
}

function currentValue(key: SettingKey, s: PanelSettings): string {
  switch (key) {
    case 'customStatus':
    case 'showSubject':
    case 'confirm':
      return s[key] ? 'on' : 'off'
    case 'notify':
    case 'offlineUsers':
      return s[key]
    case 'mergeGapMinutes':
      return String(s.mergeGapMinutes)
    default:
      return s.mapping[key].status
  }
}

export function settingsRows(settings: PanelSettings, language: Language = 'en'): SettingsRow[] {
  const c = commandCatalog(language)
  return KEYS.map((key) => {
    const value = currentValue(key, settings)
    const opts = options(key, language, value)
    return { key, label: c.settings.label[key], value, valueLabel: opts.find((o) => o.value === value)?.label ?? value, options: opts }
  })
}

/** The overrides a choice writes; null for an unknown key or value. */
function overridesFor(key: string, value: string): PanelOverrides | null {
  const bool = value === 'on' ? true : value === 'off' ? false : null
  switch (key) {
    case 'customStatus':
    case 'showSubject':
    case 'confirm':
      return bool === null ? null : { [key]: bool }
    case 'notify':
      return (NOTIFY as readonly string[]).includes(value) ? { notify: value as NotifyMode } : null
    case 'offlineUsers':
      return value === 'skip' || value === 'apply' ? { offlineUsers: value } : null
    case 'mergeGapMinutes': {
      const n = /^\d{1,2}$/.test(value) ? Number(value) : NaN
      return n >= 0 && n <= MAX_MERGE_GAP_MINUTES ? { mergeGapMinutes: n } : null
    }
    default:
      if (!(LEVELS as readonly string[]).includes(key) || !(ACTIONS as readonly string[]).includes(value)) return null
      return { mapping: { [key]: { status: value as MeetingAction } } }
  }
}

/** A choice in the panel: the overrides to store and the one line that says what changed. */
export function settingChange(key: string, value: string, language: Language = 'en'): { overrides: PanelOverrides; said: string } | null {
  const overrides = overridesFor(key, value)
  if (overrides === null) return null
  const k = key as SettingKey
  const label = options(k, language, value).find((o) => o.value === value)?.label ?? value
  return { overrides, said: commandCatalog(language).settings.changed(commandCatalog(language).settings.label[k], label) }
}
