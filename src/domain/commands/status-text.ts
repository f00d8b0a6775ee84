import { commandCatalog } from './catalog'
import type { CommandCatalog, ErrorKind, MeetingWords } from './catalog-type'
import { quoteInput } from './quote-input'
import type { Meeting, StatusView } from './status-view'
import { localInstant, localTime } from './when'

// `/calstatus` and `/calstatus status` (issue 16): what is happening now, what comes next, the
// settings that shape it and what to type. Only the person reads it (an ephemeral post), so their
// own meeting subjects may show, never a private one's.

export function statusText(v: StatusView): string {
  const c = commandCatalog(v.language)
  switch (v.state) {
    case 'opted-out':
      return c.status.optedOut(v.optInSite)
    case 'not-enrolled':
      return c.status.notEnrolled
    case 'no-mailbox':
      return c.status.noMailbox
    case 'disabled':
      return c.status.disabled
    case 'synced':
      return syncedLines(v, c).join('\n')
  }
}

const active = (until: number | null, now: number): until is number => until !== null && until > now

function syncedLines(v: StatusView, c: CommandCatalog): string[] {
  const inst = (ms: number) => localInstant(ms, v.now, v.zone, v.dateLocale)
  const paused = active(v.paused, v.now) ? c.until(inst(v.paused)) : null
  const autopilot = active(v.autopilot, v.now) ? c.until(inst(v.autopilot)) : null
  const lines: string[] = []
  if (paused !== null) lines.push(c.paused(paused, null))
  const errorKindNow = v.lastError === null ? null : errorKind(v.lastError)
  if (v.calendar === null) {
    // The recorded calendar failure says the same, with the admins' part: once is enough.
    if (errorKindNow !== 'calendar') lines.push(c.status.calendarUnreadable)
    if (v.holding !== null) lines.push(c.status.holding(v.holding.status, c.at(inst(v.holding.until))))
  } else {
    lines.push(nowLine(v, c, v.calendar.now, v.calendar.freeUntil))
    const next = v.calendar.next
    if (next !== null) lines.push(c.status.next(words(next), c.span(inst(next.start), localTime(next.end, v.zone, v.dateLocale))))
  }
  if (errorKindNow !== null) lines.push(c.status.error(errorKindNow))
  lines.push(c.status.settingsLine(v.notify, v.confirm, autopilot, paused === null ? null : paused))
  lines.push(c.status.commands(paused !== null))
  return lines
}

function nowLine(v: StatusView, c: CommandCatalog, m: Meeting | null, freeUntil: number | null): string {
  const inst = (ms: number) => localInstant(ms, v.now, v.zone, v.dateLocale)
  if (m === null) return c.status.free(freeUntil === null ? null : c.until(inst(freeUntil)))
  return c.status.inMeeting(words(m), c.until(inst(m.end))) + meetingTail(v, c, m)
}

/** Why the status is what it is during the meeting now. */
function meetingTail(v: StatusView, c: CommandCatalog, m: Meeting): string {
  if (v.steppedBack) return c.status.steppedBack
  if (v.holding !== null) {
    const endAt = c.at(localInstant(v.holding.until, v.now, v.zone, v.dateLocale))
    return c.status.holdingMeeting(v.holding.status, endAt, v.holding.restoreTo ?? null)
  }
  if (m.action === 'none' || active(v.paused, v.now)) return '.'
  if (v.confirm) return c.status.waitingToAsk
  return c.status.leftAlone(v.current, !active(v.autopilot, v.now))
}

function words(m: Meeting): MeetingWords {
  const shown = m.private || m.subject === undefined ? '' : quoteInput(m.subject)
  return { subject: shown === '' ? null : `"${shown.replace(/"/g, "'")}"`, level: m.level, action: m.action }
}

/**
 * The kind of the recorded failure, from the prefix the sync writes (src/app/sync): the person
 * gets a sentence about it, the raw text stays with the logs and the admins.
 */
export function errorKind(lastError: string): ErrorKind {
  const e = lastError.toLowerCase()
  if (e.startsWith('custom status')) return 'custom-status'
  if (/^(status|mattermost)\b/.test(e)) return 'status'
  if (/^(graph|calendar|schedule)\b/.test(e)) return 'calendar'
  if (/^(message|post|dm)\b/.test(e)) return 'message'
  return 'other'
}
