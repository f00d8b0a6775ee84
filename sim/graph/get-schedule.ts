import { badRequest, graphError, type ApiResponse } from './graph-error'
import type { GraphUser, ShowAs, SimEvent, Tenant } from './tenant'
import { formatDateTimeTimeZone, parseDateTimeTimeZone, preferredZone } from './time'

// POST /users/{id|upn}/calendar/getSchedule (docs/graph.md#getschedule), limits included.

export const MAX_SCHEDULES = 20
export const MAX_WINDOW_MS = 62 * 24 * 3600_000

const DIGIT: Record<ShowAs, string> = { free: '0', tentative: '1', busy: '2', oof: '3', workingElsewhere: '4', unknown: '0' }
/**
 * Which showAs wins an interval several events overlap: oof over busy over tentative over
 * workingElsewhere over free (Exchange's merged free/busy; the digit is not the precedence).
 */
const RANK: Record<ShowAs, number> = { free: 0, unknown: 0, workingElsewhere: 1, tentative: 2, busy: 3, oof: 4 }

export const REST_DISABLED_MESSAGE = 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'

export function restDisabledError(): ApiResponse {
  return graphError(404, 'MailboxNotEnabledForRESTAPI', REST_DISABLED_MESSAGE)
}

export function mailboxNotFoundError(): ApiResponse {
  return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store., ResourceNotFound')
}

/** The addresses asked for, when the body has them (for latency and request identity). */
export function schedulesOf(body: unknown): string[] {
  const s = (body as { schedules?: unknown } | null | undefined)?.schedules
  return Array.isArray(s) ? s.filter((x): x is string => typeof x === 'string') : []
}

interface Window {
  start: number
  end: number
  intervalMin: number
}

function validate(body: unknown): { ok: true; schedules: string[]; window: Window } | { ok: false; res: ApiResponse } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, res: badRequest('Empty Payload. JSON content expected.', 'ErrorInvalidRequest') }
  }
  const b = body as Record<string, unknown>
  const schedules = b.schedules
  if (!Array.isArray(schedules) || schedules.length === 0) {
    return { ok: false, res: badRequest("The parameter 'schedules' is required and must hold at least one SMTP address.", 'ErrorInvalidParameter') }
  }
  if (schedules.length > MAX_SCHEDULES) {
    return {
      ok: false,
      res: badRequest(`The number of requested schedules (${schedules.length}) exceeds the maximum allowed (${MAX_SCHEDULES}).`, 'ErrorInvalidParameter')
    }
  }
  if (!schedules.every((s) => typeof s === 'string')) {
    return { ok: false, res: badRequest("The parameter 'schedules' must be an array of strings.", 'ErrorInvalidParameter') }
  }
  const start = parseDateTimeTimeZone(b.startTime, 'startTime')
  if (!start.ok) return { ok: false, res: badRequest(start.message, 'ErrorInvalidParameter') }
  const end = parseDateTimeTimeZone(b.endTime, 'endTime')
  if (!end.ok) return { ok: false, res: badRequest(end.message, 'ErrorInvalidParameter') }
  if (end.ms <= start.ms) {
    return { ok: false, res: badRequest('The start time must be before the end time.', 'ErrorInvalidParameter') }
  }
  if (end.ms - start.ms >= MAX_WINDOW_MS) {
    return { ok: false, res: badRequest('The requested time duration specified is too long. The maximum duration is 62 days.', 'ErrorInvalidParameter') }
  }
  let intervalMin = 30
  if ('availabilityViewInterval' in b) {
    const v = b.availabilityViewInterval
    // Seen in the wild: an explicit null is not "absent", it breaks the server (docs/graph.md).
    if (v === null)
      return {
        ok: false,
        res: graphError(
          500,
          'ErrorInternalServerError',
          'An internal server error occurred. The operation failed., Object reference not set to an instance of an object.'
        )
      }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 5 || v > 1440) {
      return { ok: false, res: badRequest('AvailabilityViewInterval must be between 5 and 1440 minutes.', 'ErrorInvalidParameter') }
    }
    intervalMin = v
  }
  return { ok: true, schedules: schedules, window: { start: start.ms, end: end.ms, intervalMin } }
}

function overlaps(ev: SimEvent, start: number, end: number): boolean {
  if (ev.start === ev.end) return ev.start >= start && ev.start < end
  return ev.start < end && ev.end > start
}

function availabilityView(events: SimEvent[], w: Window): string {
  const step = w.intervalMin * 60_000
  const n = Math.ceil((w.end - w.start) / step)
  let view = ''
  for (let i = 0; i < n; i++) {
    const s = w.start + i * step
    const e = Math.min(s + step, w.end)
    let best: ShowAs = 'free'
    for (const ev of events) if (overlaps(ev, s, e) && RANK[ev.showAs] > RANK[best]) best = ev.showAs
    view += DIGIT[best]
  }
  return view
}

function scheduleEntry(address: string, user: GraphUser, events: SimEvent[], w: Window, zone: string): Record<string, unknown> {
  const live = events.filter((ev) => !ev.isCancelled && overlaps(ev, w.start, w.end)).sort((a, b) => a.start - b.start || a.end - b.end)
  const detailsVisible = !user.freeBusyOnly
  return {
    scheduleId: address,
    availabilityView: availabilityView(live, w),
    scheduleItems: live.map((ev) => ({
      isPrivate: ev.isPrivate,
      status: ev.showAs,
      ...(detailsVisible && !ev.isPrivate ? { subject: ev.subject, location: ev.location ?? '' } : {}),
      isMeeting: false,
      isRecurring: false,
      isException: false,
      isReminderSet: false,
      start: formatDateTimeTimeZone(ev.start, zone),
      end: formatDateTimeTimeZone(ev.end, zone)
    })),
    workingHours: {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000',
      endTime: '17:00:00.0000000',
      timeZone: { name: 'UTC' }
    }
  }
}

/** Schedules are SMTP addresses: resolved by mail or userPrincipalName, never by object id. */
function resolveAddress(tenant: Tenant, address: string): GraphUser | undefined {
  const u = tenant.findUser(address)
  if (!u) return undefined
  const a = address.toLowerCase()
  return u.mail.toLowerCase() === a || u.userPrincipalName.toLowerCase() === a ? u : undefined
}

export function handleGetSchedule(tenant: Tenant, pathRef: string, body: unknown, prefer: string | undefined): ApiResponse {
  const checked = validate(body)
  if (!checked.ok) return checked.res
  const pathUser = tenant.findUser(pathRef)
  if (!pathUser) return mailboxNotFoundError()
  if (pathUser.restDisabled) return restDisabledError()
  const zone = preferredZone(prefer) ?? 'UTC'
  const value = checked.schedules.map((address) => {
    const user = resolveAddress(tenant, address)
    if (!user)
      return { scheduleId: address, availabilityView: '', scheduleItems: [], error: { message: 'Unable to resolve e-mail address', responseCode: '5009' } }
    if (user.restDisabled) {
      return {
        scheduleId: address,
        availabilityView: '',
        scheduleItems: [],
        error: { message: 'The mailbox is not enabled for REST API.', responseCode: 'MailboxNotEnabledForRESTAPI' }
      }
    }
    return scheduleEntry(address, user, tenant.listEvents(user.id), checked.window, zone)
  })
  const headers: Record<string, string> = zone !== 'UTC' ? { 'Preference-Applied': `outlook.timezone="${zone}"` } : {}
  return {
    status: 200,
    headers,
    body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)', value }
  }
}
