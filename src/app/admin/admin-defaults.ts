import { resolveSettings, type SettingsOverrides } from '../../domain'
import { settingChange, settingsRows } from '../../domain/commands'
import type { DefaultsStore } from '../../store/defaults-store'
import type { DefaultsAuditStore, DefaultsChange } from '../../store/defaults-audit-store'
import type { JobQueue } from '../job-queue'
import { layerOverrides } from '../effective-defaults'

// The defaults for everyone, edited on /admin/defaults (issue 17 item 5): the same settings as a
// person's panel, stored in Redis over the DEFAULT_* variables (src/app/effective-defaults.ts),
// applied at once (a sweep), with who changed what and when.

export interface DefaultsRow {
  key: string
  label: string
  value: string
  options: Array<{ value: string; label: string }>
  /** where the value in force comes from */
  source: 'built-in' | 'environment' | 'saved here'
}

export interface AdminDefaultsDeps {
  /** the environment's layer (config.defaults) */
  fromEnvironment: SettingsOverrides
  /** the saved layer only, not the merged view */
  saved: DefaultsStore<SettingsOverrides>
  audit: DefaultsAuditStore
  jobs: Pick<JobQueue, 'sweepNow'>
  now?: () => number
}

export type SaveResult = { ok: true; changed: number } | { ok: false; errors: string[] }

const rowsOf = (overrides: SettingsOverrides) => settingsRows(resolveSettings(overrides, null))

export function createAdminDefaults(deps: AdminDefaultsDeps) {
  const now = deps.now ?? Date.now

  const view = async (): Promise<{ rows: DefaultsRow[]; audit: DefaultsChange[] }> => {
    const saved = (await deps.saved.get()) ?? {}
    const builtIn = new Map(rowsOf({}).map((r) => [r.key, r.value]))
    const env = new Map(rowsOf(deps.fromEnvironment).map((r) => [r.key, r.value]))
    const rows = rowsOf(layerOverrides(deps.fromEnvironment, saved)).map((r) => ({
      key: r.key,
      label: r.label,
      value: r.value,
      options: r.options,
      source: r.value !== env.get(r.key) ? ('saved here' as const) : r.value !== builtIn.get(r.key) ? ('environment' as const) : ('built-in' as const)
    }))
    return { rows, audit: await deps.audit.recent(20) }
  }

  /** Every setting from the form; only values different from the environment's are saved, so a later DEFAULT_* change still applies to the rest. */
  const save = async (admin: string, form: Record<string, unknown>): Promise<SaveResult> => {
    const before = rowsOf(layerOverrides(deps.fromEnvironment, (await deps.saved.get()) ?? {}))
    const base = new Map(rowsOf(deps.fromEnvironment).map((r) => [r.key, r.value]))
    let saved: SettingsOverrides = {}
    const errors: string[] = []
    for (const row of before) {
      const posted = form[row.key]
      if (typeof posted !== 'string') {
        errors.push(`${row.label}: missing`)
        continue
      }
      const change = settingChange(row.key, posted)
      if (!change) errors.push(`${row.label}: "${posted.slice(0, 40)}" is not one of the choices`)
      else if (posted !== base.get(row.key)) saved = layerOverrides(saved, change.overrides)
    }
    if (errors.length > 0) return { ok: false, errors }
    const after = new Map(rowsOf(layerOverrides(deps.fromEnvironment, saved)).map((r) => [r.key, r]))
    const changes = before.flatMap((r) => {
      const next = after.get(r.key)
      return next && next.value !== r.value ? [{ setting: r.label, from: label(r, r.value), to: label(next, next.value) }] : []
    })
    await deps.saved.set(Object.keys(saved).length > 0 ? saved : null)
    if (changes.length > 0) {
      await deps.audit.add({ by: admin, at: now(), changes })
      await deps.jobs.sweepNow('defaults changed')
    }
    return { ok: true, changed: changes.length }
  }

  return { view, save }
}

function label(row: { options: Array<{ value: string; label: string }> }, value: string): string {
  return row.options.find((o) => o.value === value)?.label ?? value
}
