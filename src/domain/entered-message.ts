import { engineTexts } from './engine-texts'
import type { Reader } from './engine-texts'
import { untilText } from './texts'
import type { Availability, StatusAction } from './types'

/**
 * The notify `every` message (docs/status-rules.md#notify): the level, the end time in the
 * person's zone, what happens afterwards and how to pause or change settings. Never a subject,
 * so never a private one.
 */
export function enteredMessage(
  level: Availability,
  action: Exclude<StatusAction, 'none'>,
  endMs: number,
  nowMs: number,
  reader: Reader,
  toOnline: boolean
): string {
  const words = engineTexts(reader.language)
  const until = untilText(endMs, nowMs, reader.zone, reader.locale, words.until)
  return words.entered.text(words.entered.level[level], until, words.statusName[action], toOnline)
}
