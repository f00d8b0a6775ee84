import type { InvalidInput } from './command'
import type { MeetingAction, MeetingLevel, NotifyMode, PersonStatus } from './status-view'
import type { LocalInstant } from './when'

// The texts of the slash command for one language. Sentences are functions of values already
// formatted for the reader (times, dates, quoted input), so a translation controls word order.

/** What went wrong last, by kind: the raw error is for the logs and the admins, not the person. */
export type ErrorKind = 'calendar' | 'status' | 'custom-status' | 'message' | 'other'

/** A meeting as the status text names it. */
export interface MeetingWords {
  /** `"Design review"`, or null for a private meeting or one without a subject */
  subject: string | null
  level: MeetingLevel
  action: MeetingAction
}

export interface CommandCatalog {
  /** "until 15:30", "until tomorrow 09:00", "until Thu 4 Dec, 14:00", "until the end of today" */
  until(i: LocalInstant): string
  /** "at 15:30", "tomorrow at 09:00", "on Thu 4 Dec at 14:00" */
  at(i: LocalInstant): string
  /** "16:00–16:30", "Thu 4 Dec, 16:00–16:30" */
  span(start: LocalInstant, endTime: string): string
  statusName: Readonly<Record<PersonStatus, string>>
  actionName: Readonly<Record<MeetingAction, string>>
  levelName: Readonly<Record<MeetingLevel, string>>
  notifyName: Readonly<Record<NotifyMode, string>>
  onOff(on: boolean): string

  help(moreUrl: string | null): string
  shortHelp: string
  /** `quoted` is the person's input, already safe to show in backticks */
  invalid(problem: InvalidInput, quoted: string): string

  paused(until: string, holding: { status: PersonStatus; at: string } | null): string
  resumed(wasPaused: boolean): string
  autopilotOn(until: string): string
  autopilotOff(wasOn: boolean): string
  turnedOn(optInSite: boolean, already: boolean): string
  turnedOff(restored: boolean, already: boolean): string
  optInNeeded: string
  notEnrolled: string

  status: {
    optedOut(optInSite: boolean): string
    notEnrolled: string
    noMailbox: string
    disabled: string
    calendarUnreadable: string
    holding(status: PersonStatus, at: string): string
    inMeeting(m: MeetingWords, until: string): string
    /** the service holds a status for the meeting now */
    holdingMeeting(status: PersonStatus, endAt: string, restoreTo: PersonStatus | null): string
    steppedBack: string
    leftAlone(current: PersonStatus, autopilotHint: boolean): string
    waitingToAsk: string
    free(until: string | null): string
    next(m: MeetingWords, span: string): string
    error(kind: ErrorKind): string
    settingsLine(notify: NotifyMode, confirm: boolean, autopilot: string | null, paused: string | null): string
    commands(paused: boolean): string
  }

  /** Why a click on one of our buttons or menus changed nothing. */
  actionRefused: Readonly<Record<RefusedAction, string>>

  settings: {
    /** the panel's first line */
    intro: string
    /** the ephemeral answer to `/calstatus settings`: the panel is in the direct message */
    sent: string
    /** the same, when the direct message is still on its way */
    soon: string
    /** buttons need the service's public address, which the admins have not set */
    needPublicUrl: string
    label: Readonly<Record<SettingKeyWords, string>>
    offlineUsers: Readonly<Record<'skip' | 'apply', string>>
    minutes(n: number): string
    /** the one-line confirmation after a change */
    changed(label: string, value: string): string
  }
}

/** Why a click changed nothing: a context that is not ours, old, used, somebody else's, or a value never offered. */
export type RefusedAction = 'malformed' | 'forged' | 'expired' | 'replayed' | 'not-yours' | 'not-synced' | 'bad-choice'

/** The rows of the settings panel, by key (see settings-panel.ts). */
export type SettingKeyWords =
  'busy' | 'tentative' | 'oof' | 'workingElsewhere' | 'customStatus' | 'showSubject' | 'notify' | 'confirm' | 'offlineUsers' | 'mergeGapMinutes'
