import { decide, parseScheduleItems, resolveLocale, resolveSettings, type Decision, type SettingsOverrides } from '../../domain'
import type { ScheduleResult } from '../../graph/fetch-schedules'
import type { MmCustomStatus, MmUserStatus } from '../../mattermost/create-mattermost-adapter'
import type { SyncedUser } from '../services'

/** What Mattermost said about a batch of users, and the admin's defaults, read once per batch. */
export interface MattermostView {
  statuses: Map<string, MmUserStatus>
  customStatuses: Map<string, MmCustomStatus | null>
  defaults: SettingsOverrides
  /** "Ask first" needs buttons, and buttons need PUBLIC_URL: without it the setting reads off */
  canAsk: boolean
}

/** The rule engine's decision for one user (docs/status-rules.md), from what was read. */
export function decideFor(
  user: SyncedUser,
  result: Extract<ScheduleResult, { kind: 'schedule' }>,
  view: MattermostView,
  now: number,
  earlyEntryMs = 0
): Decision {
  const status = view.statuses.get(user.mmUserId)
  const custom = view.customStatuses.get(user.mmUserId) ?? null
  const settings = resolveSettings(view.defaults, user.settings ?? {})
  const { language, dateLocale } = resolveLocale(user.locale)
  return decide({
    now,
    ...(earlyEntryMs > 0 ? { earlyEntryMs } : {}),
    items: parseScheduleItems(result.items),
    // A user Mattermost did not list reads as offline, as Mattermost itself answers for unknown ids.
    current: { status: status?.status ?? 'offline', manual: status?.manual ?? false, dndEndTime: status?.dnd_end_time ?? 0 },
    customStatus: custom ? { emoji: custom.emoji, text: custom.text, ...(custom.expires_at ? { expiresAt: custom.expires_at } : {}) } : null,
    settings: view.canAsk ? settings : { ...settings, confirm: false },
    remembered: user.remembered,
    answer: user.answer,
    timeZone: user.timeZone,
    locale: dateLocale,
    language
  })
}
