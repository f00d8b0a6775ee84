import type { CurrentStatus, Settings } from './types'

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
  /** IANA zone and BCP 47 locale, for texts only */
  zone: string
  locale: string
  reasons: string[]
  wakeTimes: number[]
}
