import { engineTexts } from './engine-texts'
import type { Reader } from './engine-texts'
import { untilText } from './texts'
import type { Availability, Notice, ScheduleItem, StatusAction } from './types'

/** What the question is about: the block as remembered, and the status a `yes` sets. */
export interface Question {
  blockStart: number
  blockEnd: number
  /** the start of the stretch asked about: "starts now" near it, "is on" later */
  stretchStart: number
  level: Availability
  action: Exclude<StatusAction, 'none'>
  statusEnd: number
}

/** Within this of the stretch's start, it "starts now". */
const STARTS_NOW_MS = 2 * 60_000

/**
 * The subject of the level at now, for the person's own eyes: none when an item at that level is
 * private (the same caution as rule 17, without its opt-in: this message goes to its owner only).
 */
function subjectAt(items: readonly ScheduleItem[], level: Availability, now: number): string | null {
  const here = items.filter((it) => it.availability === level && it.startMs <= now && now < it.endMs)
  if (here.length === 0 || here.some((it) => it.isPrivate)) return null
  const subject = here.map((it) => it.subject?.replace(/\s+/g, ' ').trim() ?? '').find((s) => s !== '')
  return subject ?? null
}

/** "Ask first" (docs/status-rules.md#confirm): the question, its two buttons and what the post reads after a click. */
export function confirmNotice(q: Question, items: readonly ScheduleItem[], now: number, reader: Reader): Notice {
  const texts = engineTexts(reader.language)
  const words = texts.confirm
  const status = texts.statusName[q.action]
  const until = untilText(q.statusEnd, now, reader.zone, reader.locale, texts.until)
  const subject = subjectAt(items, q.level, now)
  const what = subject === null ? words.level[q.level] : words.quoted(subject)
  return {
    kind: 'confirm',
    text: words.question(words.emoji[q.level], what, now - q.stretchStart < STARTS_NOW_MS, until, status),
    blockStart: q.blockStart,
    blockEnd: q.blockEnd,
    action: q.action,
    statusEnd: q.statusEnd,
    acceptLabel: words.acceptLabel(status, until),
    declineLabel: words.declineLabel,
    acceptedText: words.acceptedText(status, until),
    declinedText: words.declinedText
  }
}
