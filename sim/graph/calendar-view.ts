import { DateTime } from 'luxon'
import { badRequest, type ApiResponse } from './graph-error'
import { mailboxNotFoundError, restDisabledError } from './get-schedule'
import type { Latency } from './api'
import type { SimEvent, Tenant } from './tenant'
import { formatDateTimeTimeZone, preferredZone } from './time'

// GET /users/{id|upn}/calendarView?startDateTime=...&endDateTime=... : the events of one
// mailbox that overlap a window, one page at a time (Graph's default page size is 10; the
// rest comes through an absolute `@odata.nextLink`). This is what the Mattermost Microsoft
// Calendar plugin asks per user (one user per request, 20 per $batch); the benchmark
// bench/anchor-baseline.ts runs that pattern against this route.
//
// Throttled per path mailbox like getSchedule (api.ts). Latency: the per-request cost is added
// by the dispatcher; this handler adds a small cost per event returned (a fifth of the
// per-address cost of getSchedule: 2 ms with REALISTIC_LATENCY).

export const CALENDAR_VIEW_DEFAULT_TOP = 10
export const CALENDAR_VIEW_MAX_TOP = 1000
/** Per event returned, as a share of `perScheduleMs`. */
export const PER_EVENT_SHARE_OF_SCHEDULE_COST = 0.2

const FIELDS = ['id', 'subject', 'isAllDay', 'isCancelled', 'showAs', 'sensitivity', 'start', 'end'] as const

export interface CalendarViewDeps {
  /** https://127.0.0.1:PORT, for the absolute nextLink */
  baseUrl: string
  latency: Latency
  sleep: (ms: number) => Promise<void>
}

/** Graph's query options are case-insensitive (`StartDateTime` works as well). */
function param(query: URLSearchParams, name: string): string | null {
  for (const [k, v] of query) if (k.toLowerCase() === name.toLowerCase()) return v
  return null
}

const MISSING_WINDOW = 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.'

/** ISO 8601 with or without an offset; without one it is UTC (as Graph reads it). */
function parseIso(value: string): number | undefined {
  const dt = DateTime.fromISO(value, { zone: 'UTC' })
  return dt.isValid ? dt.toMillis() : undefined
}

function overlaps(ev: SimEvent, start: number, end: number): boolean {
  if (ev.start === ev.end) return ev.start >= start && ev.start < end
  return ev.start < end && ev.end > start
}

function project(ev: SimEvent, zone: string, select: string[] | null): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: ev.id,
    subject: ev.subject,
    isAllDay: ev.isAllDay,
    isCancelled: ev.isCancelled,
    showAs: ev.showAs,
    sensitivity: ev.isPrivate ? 'private' : 'normal',
    start: formatDateTimeTimeZone(ev.start, zone),
    end: formatDateTimeTimeZone(ev.end, zone)
  }
  if (!select) return full
  const out: Record<string, unknown> = { id: ev.id }
  for (const f of FIELDS) if (select.includes(f.toLowerCase())) out[f] = full[f]
  return out
}

function wholeNumber(raw: string | null, name: string, min: number, max: number, fallback: number): number | ApiResponse {
  if (raw === null) return fallback
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    return badRequest(`Invalid value '${raw}' for query option '${name}': must be a whole number from ${min} to ${max}.`, 'ErrorInvalidParameter')
  }
  return n
}

export async function handleCalendarView(
  tenant: Tenant,
  pathRef: string,
  query: URLSearchParams,
  prefer: string | undefined,
  deps: CalendarViewDeps
): Promise<ApiResponse> {
  const startRaw = param(query, 'startDateTime')
  const endRaw = param(query, 'endDateTime')
  if (!startRaw || !endRaw) return badRequest(MISSING_WINDOW, 'ErrorInvalidParameter')
  const start = parseIso(startRaw)
  if (start === undefined) return badRequest(`The value '${startRaw}' of parameter 'StartDateTime' is not a valid date and time.`, 'ErrorInvalidParameter')
  const end = parseIso(endRaw)
  if (end === undefined) return badRequest(`The value '${endRaw}' of parameter 'EndDateTime' is not a valid date and time.`, 'ErrorInvalidParameter')
  if (end <= start) return badRequest('The EndDateTime must be later than the StartDateTime.', 'ErrorInvalidParameter')
  const top = wholeNumber(param(query, '$top'), '$top', 1, CALENDAR_VIEW_MAX_TOP, CALENDAR_VIEW_DEFAULT_TOP)
  if (typeof top !== 'number') return top
  const skip = wholeNumber(param(query, '$skip'), '$skip', 0, Number.MAX_SAFE_INTEGER, 0)
  if (typeof skip !== 'number') return skip
  const selectRaw = param(query, '$select')
  const select = selectRaw
    ? selectRaw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
    : null

  const user = tenant.findUser(pathRef)
  if (!user) return mailboxNotFoundError()
  if (user.restDisabled) return restDisabledError()

  const zone = preferredZone(prefer) ?? 'UTC'
  // Cancelled meetings stay in an attendee's calendar until removed: listed, with isCancelled.
  const all = tenant
    .listEvents(user.id)
    .filter((ev) => overlaps(ev, start, end))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.id.localeCompare(b.id))
  const page = all.slice(skip, skip + top)

  const perEventMs = deps.latency.perScheduleMs * PER_EVENT_SHARE_OF_SCHEDULE_COST * page.length
  if (perEventMs > 0) await deps.sleep(perEventMs)

  const body: Record<string, unknown> = {
    '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${encodeURIComponent(pathRef)}')/calendarView`,
    value: page.map((ev) => project(ev, zone, select))
  }
  if (skip + top < all.length) {
    const next = new URLSearchParams()
    for (const [k, v] of query) if (k.toLowerCase() !== '$skip') next.append(k, v)
    next.set('$skip', String(skip + top))
    body['@odata.nextLink'] = `${deps.baseUrl}/v1.0/users/${encodeURIComponent(pathRef)}/calendarView?${next.toString()}`
  }
  const headers: Record<string, string> = zone !== 'UTC' ? { 'Preference-Applied': `outlook.timezone="${zone}"` } : {}
  return { status: 200, headers, body }
}
