import type { ContextSigner } from '../../shared/signed-context'

// `/calstatus settings`: one interactive message, a row per setting, each a menu or an on/off
// button; a choice updates the message in place (docs/mattermost.md#direct-messages-and-buttons).
// Every control carries its own signed, one-time context: after a choice the message is drawn
// again with fresh ones, so a context copied from an old message cannot be replayed.

/** One setting as the panel shows it (the words come from the person's language). */
export interface PanelRow {
  key: string
  label: string
  /** the value in force now, and its words */
  value: string
  valueLabel: string
  options: Array<{ value: string; label: string }>
}

/** The signed fields of a panel control, as the action handler reads them back. */
export interface SettingContext {
  t: 'setting'
  u: string
  k: string
  /** a button's value; a menu's comes as Mattermost's `selected_option` */
  v?: string
}

/** How long a settings message answers clicks: a week, then `/calstatus settings` draws a new one. */
export const PANEL_LIFETIME_MS = 7 * 24 * 3600_000

/** Mattermost takes action ids of letters and digits only, unique within the post. */
function actionId(key: string, i: number): string {
  return `set${i}${key.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 64)
}

function control(row: PanelRow, i: number, mmUserId: string, url: string, signer: ContextSigner, expiresAt: number): Record<string, unknown> {
  const sign = (extra: Partial<SettingContext>) => signer.sign({ t: 'setting', u: mmUserId, k: row.key, ...extra }, expiresAt)
  const onOff = row.options.length === 2 && row.options.some((o) => o.value === 'on') && row.options.some((o) => o.value === 'off')
  if (onOff) {
    // A toggle: one button that switches to the other value.
    const other = row.options.find((o) => o.value !== row.value) ?? row.options[0]
    return { id: actionId(row.key, i), type: 'button', name: other?.label ?? '', integration: { url, context: sign({ v: other?.value ?? '' }) } }
  }
  return {
    id: actionId(row.key, i),
    type: 'select',
    name: row.valueLabel,
    default_option: row.value,
    options: row.options.map((o) => ({ text: o.label, value: o.value })),
    integration: { url, context: sign({}) }
  }
}

export function settingsAttachments(rows: readonly PanelRow[], mmUserId: string, url: string, signer: ContextSigner, now: number): unknown[] {
  const expiresAt = now + PANEL_LIFETIME_MS
  return rows.map((row, i) => ({
    text: `**${row.label}**: ${row.valueLabel}`,
    actions: [control(row, i, mmUserId, url, signer, expiresAt)]
  }))
}
