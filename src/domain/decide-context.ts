import type { Language } from './locale'
import type { ConfirmAnswer, CurrentStatus, ScheduleItem, Settings } from './types'

/**
 * What every phase of decide() reads, and the two lists they add to as rules take part: the
 * reasons (in the order the rules applied) and the instants at which the answer may change by
 * time alone (the earliest future one becomes nextWakeAt).
 */
export interface DecideContext {
  /** epoch ms: where the rules look at the calendar (a block's start when it is entered early) */
  now: number
  /**
   * when the decision is made: what Mattermost shows is judged then (a custom status of the
   * person's own that runs out before the start is still theirs), and wake-ups may come after it
   */
  realNow: number
  settings: Settings
  current: CurrentStatus
  /** the schedule, for the texts that list or name items (notify `daily`, "Ask first") */
  items: readonly ScheduleItem[]
  /** "Ask first": the person's answer, if this evaluation carries one */
  answer: ConfirmAnswer | null
  /** IANA zone and BCP 47 locale, for texts only */
  zone: string
  locale: string
  /** the catalog of words for texts */
  language: Language
  reasons: string[]
  wakeTimes: number[]
}
