import type { GraphClient, BatchItemResponse } from './create-graph-client'
import type { GraphMetrics } from './graph-metrics'
import type { MailboxGate } from './mailbox-gate'
import { graphErrorOf, runBatches, transientVerdict, type RunBatchesStats, type UnitVerdict } from './run-batches'

/** A scheduleItem as Graph returns it (docs/graph.md#getschedule). */
export interface RawScheduleItem {
  start: { dateTime: string; timeZone: string }
  end: { dateTime: string; timeZone: string }
  status: string
  isPrivate?: boolean
  subject?: string
  location?: string
}

export type ScheduleResult =
  | { kind: 'schedule'; items: RawScheduleItem[]; fetchedAt: number }
  | { kind: 'unknown-mailbox'; reason: string }
  | { kind: 'rest-disabled'; reason: string }
  | { kind: 'failed'; reason: string }

export interface ScheduleWindow {
  startMs: number
  endMs: number
}

export interface FetchSchedulesOptions {
  maxConcurrentBatches: number
  /** This process's requests in flight per path mailbox, shared by every call (mailbox-gate.ts). */
  gate: MailboxGate
  maxAttempts: number
  backoffBaseMs?: number
}

/** Graph's limit of addresses per getSchedule. */
export const SCHEDULES_PER_REQUEST = 20

interface Chunk {
  id: string
  /** lower-cased address -> the address as given */
  emails: string[]
  /** members that may run the call as the path mailbox, in order of preference */
  pathCandidates: string[]
}

function graphDateTime(ms: number): { dateTime: string; timeZone: string } {
  // Graph wants a local dateTime plus a zone; UTC keeps every instant exact.
  return { dateTime: new Date(ms).toISOString().replace('Z', ''), timeZone: 'UTC' }
}

const UNKNOWN_MAILBOX = /ErrorMailboxNotFound|ErrorInvalidSmtpAddress|ErrorNonExistentMailbox|5009|Unable to resolve|not found|ResourceNotFound/i
const REST_DISABLED = /MailboxNotEnabledForRESTAPI|not enabled for REST/i

function classifyEntryError(err: { message?: string; responseCode?: string | number }): ScheduleResult {
  const text = `${err.responseCode ?? ''} ${err.message ?? ''}`.trim()
  if (REST_DISABLED.test(text)) return { kind: 'rest-disabled', reason: text }
  if (UNKNOWN_MAILBOX.test(text)) return { kind: 'unknown-mailbox', reason: text }
  return { kind: 'failed', reason: text || 'error without a message' }
}

/**
 * Schedules of many people with as few HTTP requests as Graph allows: 20 addresses per
 * getSchedule and 20 getSchedules per $batch, so 400 people per HTTP request. Each
 * getSchedule runs under a member of its own chunk (`/users/{member}/calendar/getSchedule`),
 * so Graph's per-mailbox limits (4 concurrent, 10,000 per 10 minutes) spread across
 * mailboxes instead of piling on one service mailbox (docs/architecture.md#spreading-load-on-graph);
 * of its members, the one with the fewest requests of this process in flight (the gate), so
 * however many batches are out at once no mailbox carries more than this process's share.
 */
export async function fetchSchedules(
  client: GraphClient,
  metrics: GraphMetrics,
  emails: string[],
  window: ScheduleWindow,
  opts: FetchSchedulesOptions
): Promise<{ results: Map<string, ScheduleResult>; stats: RunBatchesStats }> {
  const results = new Map<string, ScheduleResult>()
  const unique = [...new Map(emails.map((e) => [e.toLowerCase(), e])).values()]
  const chunks: Chunk[] = []
  for (let i = 0; i < unique.length; i += SCHEDULES_PER_REQUEST) {
    const members = unique.slice(i, i + SCHEDULES_PER_REQUEST)
    chunks.push({ id: `s${chunks.length}`, emails: members, pathCandidates: [...members] })
  }
  const fetchedAt = Date.now()

  const onResponse = (chunk: Chunk, res: BatchItemResponse): UnitVerdict => {
    if (res.status === 200) {
      const value =
        (res.body as { value?: Array<{ scheduleId?: string; scheduleItems?: RawScheduleItem[]; error?: { message?: string; responseCode?: string } }> })
          .value ?? []
      const byId = new Map(value.map((v) => [String(v.scheduleId ?? '').toLowerCase(), v]))
      for (const email of chunk.emails) {
        const entry = byId.get(email.toLowerCase())
        if (!entry) results.set(email.toLowerCase(), { kind: 'failed', reason: 'Graph left this address out of its answer' })
        else if (entry.error) results.set(email.toLowerCase(), classifyEntryError(entry.error))
        else results.set(email.toLowerCase(), { kind: 'schedule', items: entry.scheduleItems ?? [], fetchedAt })
      }
      return { done: true }
    }
    const transient = transientVerdict(res)
    if (transient) return transient
    const { code, message } = graphErrorOf(res)
    // The path mailbox itself cannot run the call (no mailbox, no REST): it gets that answer,
    // and the rest of the chunk is asked again under another member.
    if ((res.status === 404 || res.status === 403) && (REST_DISABLED.test(`${code} ${message}`) || UNKNOWN_MAILBOX.test(`${code} ${message}`))) {
      const path = chunk.pathCandidates.shift() as string
      results.set(path.toLowerCase(), classifyEntryError({ responseCode: code, message }))
      chunk.emails = chunk.emails.filter((e) => e.toLowerCase() !== path.toLowerCase())
      if (chunk.emails.length === 0 || chunk.pathCandidates.length === 0) {
        for (const email of chunk.emails) results.set(email.toLowerCase(), { kind: 'failed', reason: `no member of the chunk can run getSchedule (${code})` })
        return { done: true }
      }
      return { resend: true }
    }
    for (const email of chunk.emails) results.set(email.toLowerCase(), { kind: 'failed', reason: `${res.status} ${code}: ${message}` })
    return { done: true }
  }

  const stats = await runBatches(client, metrics, chunks, {
    kind: 'getSchedule',
    maxConcurrentBatches: opts.maxConcurrentBatches,
    maxAttempts: opts.maxAttempts,
    ...(opts.backoffBaseMs !== undefined ? { backoffBaseMs: opts.backoffBaseMs } : {}),
    toRequest: (chunk) => ({
      id: chunk.id,
      method: 'POST',
      url: `/users/${encodeURIComponent(chunk.pathCandidates[0] as string)}/calendar/getSchedule`,
      // availabilityViewInterval is sent (never null: null has produced HTTP 500, docs/graph.md);
      // the rule engine reads scheduleItems, so the coarsest view keeps the answer small.
      body: { schedules: chunk.emails, startTime: graphDateTime(window.startMs), endTime: graphDateTime(window.endMs), availabilityViewInterval: 1440 }
    }),
    onResponse,
    claim: (chunk) => {
      const path = opts.gate.take(chunk.pathCandidates)
      if (path === null) return null
      // The path goes first: toRequest sends under pathCandidates[0], and a path that cannot
      // run the call is the one dropped (onResponse).
      chunk.pathCandidates = [path, ...chunk.pathCandidates.filter((c) => c !== path)]
      return () => opts.gate.release(path)
    },
    onGiveUp: (chunk, reason) => {
      for (const email of chunk.emails) results.set(email.toLowerCase(), { kind: 'failed', reason })
    }
  })
  return { results, stats }
}
