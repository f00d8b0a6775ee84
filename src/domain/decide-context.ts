import type { Language } from './locale'
import type { ConfirmAnswer, CurrentStatus, ScheduleItem, Settings } from './types'

/**
 * What every phase of decide() reads, and the two lists they add to as rules take part: the
 * reasons (in the order the rules applied) and the instants at which the answer may change by
 * time alone (the earliest future one becomes nextWakeAt).
 */
export interface DecideContext {
  /** epoch ms */
  now: number
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
