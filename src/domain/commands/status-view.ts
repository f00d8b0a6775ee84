import type { Language } from '../locale'

// What `/calstatus status` shows (issue 16), gathered by the use case, shaped into words by
// statusText. Local types: they mirror src/domain/types.ts and settings as issue 16 changes them.

export type NotifyMode = 'every' | 'daily' | 'off'
export type PersonStatus = 'online' | 'away' | 'offline' | 'dnd'
export type MeetingAction = 'dnd' | 'away' | 'offline' | 'none'
export type MeetingLevel = 'busy' | 'tentative' | 'oof' | 'workingElsewhere'

export interface Meeting {
  /** epoch ms */
  start: number
  end: number
  level: MeetingLevel
  subject?: string
  /** a private meeting: its subject is never shown */
  private: boolean
  /** what the person's settings do for it */
  action: MeetingAction
}

export interface ReplyContext {
  /** epoch ms */
  now: number
  /** IANA zone */
  zone: string
  /** BCP 47, from resolveLocale */
  dateLocale: string
  language: Language
}

export interface StatusView extends ReplyContext {
  /**
   * synced: the service follows the calendar; opted-out: the person turned it off (or, on an
   * opt-in site, never turned it on); not-enrolled: the calendar is being looked up;
   * no-mailbox: no Microsoft 365 calendar found; disabled: turned off by the admins.
   */
  state: 'synced' | 'opted-out' | 'not-enrolled' | 'no-mailbox' | 'disabled'
  /** the site syncs only people who opt in (`/calstatus on`) */
  optInSite: boolean
  /** until (ms) when active */
  paused: number | null
  autopilot: number | null
  notify: NotifyMode
  confirm: boolean
  /** null when the calendar could not be read just now */
  calendar: { now: Meeting | null; next: Meeting | null; freeUntil: number | null } | null
  /** what the service holds now (from its memory); restoreTo: the status given back afterwards, when known */
  holding: { status: 'dnd' | 'away' | 'offline'; until: number; customStatus: boolean; restoreTo?: PersonStatus | null } | null
  /** the person took over for this meeting (released) */
  steppedBack: boolean
  current: PersonStatus
  /** the last failure as recorded (e.g. "custom status: 503"); shown as a friendly sentence, never raw */
  lastError: string | null
}
