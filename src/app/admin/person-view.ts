import type { Availability, MmStatus, RememberedState, SetCustomStatus, Settings, SettingsOverrides } from '../../domain'
import { resolveSettings } from '../../domain'
import type { MmUserStatus } from '../../mattermost/create-mattermost-adapter'
import type { MailboxState } from '../../store/user-store'
import type { SyncedUser } from '../services'
import { reasonsInWords } from './reasons-in-words'
import { settingsChanged, type SettingChanged } from './settings-changed'

// One person as the admin page shows them (a row of the people table, or the person's page):
// plain data from what the service remembers; nothing here asks Graph or Mattermost.

export type MailboxLabel = 'ok' | 'unknown' | 'no REST' | 'pending'

export interface PersonView {
  mmUserId: string
  username: string
  mailbox: { email: string; state: MailboxState; label: MailboxLabel }
  /** the level of the meeting the service is acting on now; null: not in a meeting */
  availability: { level: Availability; until: number } | null
  /** `busy`, `out of office`, ... or `not in a meeting` */
  availabilityText: string
  /** Mattermost's status now; 'unknown' when Mattermost did not answer in time */
  mattermostStatus: { status: MmStatus; manual: boolean; dndEndsAt: number | null } | 'unknown'
  /** what the service set and still owns, and until when (epoch ms); null: nothing */
  serviceSet: { status: MmStatus | null; until: number | null; customStatus: SetCustomStatus | null; released: boolean } | null
  /** epoch ms of the next wake-up; null: none pending */
  nextWakeUpAt: number | null
  /** epoch ms while a pause or autopilot is on, else null */
  pausedUntil: number | null
  autopilotUntil: number | null
  /** the person's settings that differ from everyone's defaults */
  settingsChanged: SettingChanged[]
  lastError: string | null
  /** epoch ms; null before the first sync */
  lastSyncAt: number | null
  /** the last decision's reason codes (docs/status-rules.md#reason-codes) and the same in words */
  lastReasons: { codes: string[]; words: string[] }
}

/** What the view of one person is built from, besides their record. */
export interface PersonViewContext {
  now: number
  /** the effective defaults for everyone (environment and admin) */
  defaults: SettingsOverrides | null
  /** the page's statuses; null when Mattermost did not answer in time (or is not configured) */
  statuses: Map<string, MmUserStatus> | null
  wakeUpAt: number | null
}

const MAILBOX_LABELS: Record<MailboxState, MailboxLabel> = { ok: 'ok', unknown: 'unknown', 'rest-disabled': 'no REST', pending: 'pending' }

const LEVEL_TEXTS: Record<Availability, string> = {
  busy: 'busy',
  tentative: 'tentative',
  oof: 'out of office',
  workingElsewhere: 'working elsewhere',
  free: 'free'
}

/** The remembered block's level while it is on: the service's own view, never a Graph call. */
function availabilityNow(remembered: RememberedState | null, now: number): PersonView['availability'] {
  if (!remembered || remembered.blockStart > now || remembered.blockEnd <= now) return null
  return { level: remembered.level, until: remembered.blockEnd }
}

function serviceSet(remembered: RememberedState | null): PersonView['serviceSet'] {
  if (!remembered || (remembered.setStatus === null && remembered.setCustomStatus === null)) return null
  return { status: remembered.setStatus, until: remembered.statusEnd, customStatus: remembered.setCustomStatus, released: remembered.released }
}

function mattermostStatus(status: MmUserStatus | undefined, known: boolean): PersonView['mattermostStatus'] {
  if (!known || !status) return 'unknown'
  return { status: status.status, manual: status.manual, dndEndsAt: status.dnd_end_time > 0 ? status.dnd_end_time * 1000 : null }
}

const whileOn = (until: number | null, now: number): number | null => (until !== null && until > now ? until : null)

export function personView(user: SyncedUser, ctx: PersonViewContext): PersonView {
  const settings: Settings = resolveSettings(ctx.defaults, user.settings)
  const availability = availabilityNow(user.remembered, ctx.now)
  return {
    mmUserId: user.mmUserId,
    username: user.username,
    mailbox: { email: user.email, state: user.mailbox, label: MAILBOX_LABELS[user.mailbox] ?? 'pending' },
    availability,
    availabilityText: availability ? LEVEL_TEXTS[availability.level] : 'not in a meeting',
    mattermostStatus: mattermostStatus(ctx.statuses?.get(user.mmUserId), ctx.statuses !== null),
    serviceSet: serviceSet(user.remembered),
    nextWakeUpAt: ctx.wakeUpAt,
    pausedUntil: whileOn(settings.pausedUntil, ctx.now),
    autopilotUntil: whileOn(settings.autopilotUntil, ctx.now),
    settingsChanged: settingsChanged(settings, resolveSettings(ctx.defaults, null)),
    lastError: user.lastError,
    lastSyncAt: user.lastSyncAt > 0 ? user.lastSyncAt : null,
    lastReasons: { codes: user.lastReasons, words: reasonsInWords(user.lastReasons, { status: user.remembered?.setStatus ?? null }) }
  }
}
