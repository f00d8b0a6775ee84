// Types of the rule engine (docs/status-rules.md). Plain data only: the remembered state is stored
// as JSON in Redis, so it holds numbers, strings, booleans and null, never Dates or Maps.
import type { Language } from './locale'

/** Graph's scheduleItem.status, normalised (unknown counts as free). */
export type Availability = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere'

/** What to do with the Mattermost status for an availability; `none` = do not touch it. */
export type StatusAction = 'dnd' | 'away' | 'offline' | 'none'

export type MmStatus = 'online' | 'away' | 'offline' | 'dnd'

/** One Graph `dateTimeTimeZone`: a wall-clock time without offset plus a zone name. */
export interface GraphDateTimeTimeZone {
  dateTime: string
  timeZone?: string | null
}

/** One entry of getSchedule's `scheduleItems`, as Graph returns it. */
export interface GraphScheduleItem {
  start: GraphDateTimeTimeZone
  end: GraphDateTimeTimeZone
  status?: string | null
  isPrivate?: boolean | null
  subject?: string | null
  location?: string | null
}

/** A schedule item in UTC epoch milliseconds. */
export interface ScheduleItem {
  startMs: number
  endMs: number
  availability: Availability
  isPrivate: boolean
  subject?: string
}

export interface CurrentStatus {
  status: MmStatus
  manual: boolean
  /** epoch SECONDS, 0 = none; only meaningful while status is dnd */
  dndEndTime: number
}

export interface CustomStatus {
  emoji: string
  text: string
  /** RFC 3339; absent or empty = does not expire */
  expiresAt?: string
}

export interface CustomStatusTemplate {
  /** emoji name without colons, e.g. `calendar` */
  emoji: string
  text: string
}

export interface MappingEntry {
  status: StatusAction
  /** null = no custom status for this availability */
  customStatus: CustomStatusTemplate | null
}

export type Mapping = Record<Availability, MappingEntry>

export type OfflineUsers = 'skip' | 'apply'

/** Direct messages (docs/status-rules.md#notify): one per stretch, one day plan a day, or none. */
export type NotifyMode = 'every' | 'daily' | 'off'

export interface Settings {
  enabled: boolean
  mapping: Mapping
  /** false = never set a custom status */
  customStatus: boolean
  notify: NotifyMode
  /** "Ask first": ask with buttons before setting a status (docs/status-rules.md#confirm) */
  confirm: boolean
  /** epoch ms; no changes while pausedUntil > now */
  pausedUntil: number | null
  /** epoch ms; rule 5 is off while autopilotUntil > now */
  autopilotUntil: number | null
  offlineUsers: OfflineUsers
  showSubject: boolean
  /** items closer than this are merged into one block (0 = only touching or overlapping) */
  mergeGapMinutes: number
}

/** Admin defaults or a user's overrides: any field may be left out, the mapping per field. */
export interface SettingsOverrides {
  enabled?: boolean
  mapping?: Partial<Record<Availability, Partial<MappingEntry>>>
  customStatus?: boolean
  /** stored JSON from before the modes holds a boolean: true reads `every`, false `off` */
  notify?: NotifyMode | boolean
  confirm?: boolean
  pausedUntil?: number | null
  autopilotUntil?: number | null
  offlineUsers?: OfflineUsers
  showSubject?: boolean
  mergeGapMinutes?: number
}

/** A custom status the service set, exactly as it sent it. */
export interface SetCustomStatus {
  emoji: string
  text: string
  expiresAt: string
}

/** What the service remembers about the user's current (or just ended) block. */
export interface RememberedState {
  /** incremented on every change, for the store's compare-and-set; a new block starts at 1 */
  version: number
  /** the block, epoch ms (its start when first seen; its end as last seen) */
  blockStart: number
  blockEnd: number
  level: Availability
  /** the status the service set and still owns; null = it owns no status now */
  setStatus: MmStatus | null
  /** planned end (ms) of the run of the block in which setStatus applies */
  statusEnd: number | null
  /** the dnd_end_time (epoch seconds, whole minute) Mattermost holds for our DND; 0 otherwise */
  setDndEndTime: number
  /** the user's status before the service changed it */
  prevStatus: MmStatus | null
  prevManual: boolean
  /** the service entered under autopilot: restore to online (automatic) */
  autopilot: boolean
  /** the user took the status over for this block: never touch it again (rules 5, 7, pause) */
  released: boolean
  setCustomStatus: SetCustomStatus | null
  /** the user took the custom status over for this block */
  customReleased: boolean
  /** the block's direct message was sent */
  notified: boolean
  /** "Ask first": the question for this stretch was sent and not answered (absent in older JSON: false) */
  asked: boolean
}

export interface DecisionInput {
  /** epoch ms */
  now: number
  items: ScheduleItem[]
  current: CurrentStatus
  customStatus: CustomStatus | null
  settings: Settings
  remembered: RememberedState | null
  /** IANA zone of the user, for texts only */
  timeZone: string
  /** BCP 47 locale for dates and times in texts; default en-GB */
  locale?: string
  /** the catalog the words of texts come from; default `en` */
  language?: Language
  /** "Ask first": the person's answer, for the remembered block starting at blockStart */
  answer?: ConfirmAnswer | null
  /**
   * How long before its start a block may be entered now (ms; absent or 0: at its start): the
   * pre-roll of a crowded minute, at most MAX_EARLY_SECONDS (docs/status-rules.md#early-starts)
   */
  earlyEntryMs?: number
}

export interface ConfirmAnswer {
  /** the remembered block's start (epoch ms), as the question carried it */
  blockStart: number
  choice: 'yes' | 'no'
}

/**
 * A direct message for the person (docs/status-rules.md#notify, #confirm). The caller sends
 * `daily` only when none was sent on that `day` yet, and for `confirm` shows two buttons and
 * replaces the post with `acceptedText` or `declinedText` after a click.
 */
export type Notice =
  | { kind: 'entered'; text: string }
  | { kind: 'daily'; text: string; /** localDay(now, zone) */ day: number }
  | {
      kind: 'confirm'
      text: string
      blockStart: number
      blockEnd: number
      action: Exclude<StatusAction, 'none'>
      /** epoch ms: the end of the status the answer `yes` sets */
      statusEnd: number
      acceptLabel: string
      declineLabel: string
      acceptedText: string
      declinedText: string
    }

export interface StatusWrite {
  status: MmStatus
  /** epoch SECONDS; only with dnd */
  dndEndTime?: number
}

export type CustomStatusChange = { action: 'set'; emoji: string; text: string; expiresAt: string; duration: 'date_and_time' } | { action: 'clear' }

export interface Decision {
  /** in order; rule 8 may need two */
  statusWrites: StatusWrite[]
  customStatus: CustomStatusChange | null
  message: Notice | null
  remembered: RememberedState | null
  /** epoch ms of the next instant the answer could change by time alone */
  nextWakeAt: number | null
  /** the main rule that decided, e.g. `rule-5-manual-respected` */
  reason: string
  /** every rule that took part, in order */
  reasons: string[]
}
