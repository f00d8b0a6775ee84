import { GraphBusyError, GraphRequestError, isSignInFailure } from './errors'
import {
  MAX_BATCH_REQUESTS,
  MAX_IN_PROCESS_WAIT_MS,
  retryAfterSeconds,
  type BatchItemResponse,
  type BatchRequest,
  type GraphClient
} from './create-graph-client'
import type { GraphMetrics } from './graph-metrics'
import { backoffMs } from '../shared/backoff'

/**
 * Packs units of work (one batch item each) into JSON batches of 20, sends at most
 * `maxConcurrentBatches` at a time, and retries throttled or failed items on their own:
 * never before the Retry-After the item was given (docs/graph.md#throttling: throttled requests
 * still count), with exponential backoff and jitter when there is none, while the items that
 * succeeded are kept. The answer for each unit is left to `onResponse`. A sign-in failure ends
 * the whole run at once with that error: no other unit could get a token either, and retrying
 * would only ask the identity host again (docs/graph.md#sign-in-failures).
 */

export interface BatchUnit {
  id: string
}

export type UnitVerdict =
  | { done: true }
  /** Throttled or transient: try again later (after `afterSeconds` when Graph said so). */
  | { retry: true; afterSeconds?: number; reason: string }
  /** The unit changed (another path mailbox, say): send it again at once, not counted as a retry. */
  | { resend: true }

export interface RunBatchesOptions<U extends BatchUnit> {
  kind: string
  maxConcurrentBatches: number
  maxAttempts: number
  toRequest: (unit: U) => BatchRequest
  onResponse(unit: U, response: BatchItemResponse): UnitVerdict
  onGiveUp(unit: U, reason: string): void
  /** Base of the exponential backoff when Graph gives no Retry-After. */
  backoffBaseMs?: number
  /**
   * Takes the unit's path mailbox for the time its batch is out (src/graph/mailbox-gate.ts):
   * returns the release, or null when every mailbox the unit may run under is full here, and
   * the unit waits for one to free up.
   */
  claim?: (unit: U) => (() => void) | null
}

export interface RunBatchesStats {
  httpRequests: number
  retries: number
}

interface Pending<U> {
  unit: U
  attempts: number
  notBefore: number
  release?: () => void
}

const MAX_BACKOFF_MS = 60_000
/** How soon a unit whose mailboxes were all full looks again (another job may hold them). */
const GATE_RECHECK_MS = 50

export async function runBatches<U extends BatchUnit>(
  client: GraphClient,
  metrics: GraphMetrics,
  units: U[],
  opts: RunBatchesOptions<U>
): Promise<RunBatchesStats> {
  const stats: RunBatchesStats = { httpRequests: 0, retries: 0 }
  const base = opts.backoffBaseMs ?? 1000
  let pending: Pending<U>[] = units.map((unit) => ({ unit, attempts: 0, notBefore: 0 }))
  const inflight = new Set<Promise<void>>()
  // Set by a send (a closure): an object, so the loop below does not narrow it to null.
  const stop: { fatal: Error | null } = { fatal: null }

  /**
   * Delays for the items of one answer. Items that waited on the same Retry-After (or the same
   * backoff step) get the same time, so they go out again together in one batch instead of
   * one small batch each; the jitter spreads different answers, not the items of one.
   */
  const delays = (): ((attempts: number, afterSeconds: number | undefined) => number) => {
    const jitter = Math.random() * 250
    const backoff = new Map<number, number>()
    return (attempts, afterSeconds) => {
      // Graph's Retry-After is a floor, never a suggestion: wait at least that long.
      if (afterSeconds !== undefined) return afterSeconds * 1000 + jitter
      if (!backoff.has(attempts)) backoff.set(attempts, backoffMs(attempts, base, MAX_BACKOFF_MS))
      return backoff.get(attempts) as number
    }
  }

  const later = (p: Pending<U>, afterSeconds: number | undefined, reason: string, delayOf: ReturnType<typeof delays>): void => {
    if (afterSeconds !== undefined && afterSeconds * 1000 > MAX_IN_PROCESS_WAIT_MS) {
      stop.fatal ??= new GraphBusyError(opts.kind, afterSeconds * 1000)
      return
    }
    p.attempts += 1
    if (p.attempts >= opts.maxAttempts) {
      opts.onGiveUp(p.unit, `${reason} (gave up after ${p.attempts} attempts)`)
      return
    }
    const delay = delayOf(p.attempts, afterSeconds)
    metrics.retryDelay.observe({ kind: opts.kind }, delay / 1000)
    stats.retries += 1
    p.notBefore = Date.now() + delay
    pending.push(p)
  }

  const releaseOf = (p: Pending<U>): void => {
    p.release?.()
    delete p.release
  }

  const send = async (group: Pending<U>[]): Promise<void> => {
    stats.httpRequests += 1
    const delayOf = delays()
    let answers: Map<string, BatchItemResponse>
    try {
      answers = await client.batch(group.map((p) => p.unit).map(opts.toRequest), opts.kind)
    } catch (err) {
      for (const p of group) releaseOf(p)
      if (isSignInFailure(err)) {
        stop.fatal ??= err
        return
      }
      // The whole batch failed (after the client's own retries): every item waits and retries.
      const e = err as Error
      const after = err instanceof GraphRequestError ? err.retryAfterSeconds : undefined
      for (const p of group) later(p, after, `batch failed: ${e.message}`, delayOf)
      return
    }
    for (const p of group) {
      // The mailbox is free again before the verdict: a resend may pick it or another.
      releaseOf(p)
      const answer = answers.get(p.unit.id)
      const verdict: UnitVerdict = answer ? opts.onResponse(p.unit, answer) : { retry: true, reason: 'no answer for this item' }
      if ('resend' in verdict) {
        p.notBefore = 0
        pending.push(p)
      } else if ('retry' in verdict) {
        later(p, verdict.afterSeconds, verdict.reason, delayOf)
      }
    }
  }

  while (pending.length > 0 || inflight.size > 0) {
    if (stop.fatal) {
      await Promise.allSettled(inflight)
      throw stop.fatal
    }
    const now = Date.now()
    if (inflight.size < opts.maxConcurrentBatches) {
      // One pass: the first 20 ready items go, the rest stay (in order); and the earliest
      // time one of them becomes ready, for the wait below.
      const group: Pending<U>[] = []
      const rest: Pending<U>[] = []
      let next = Infinity
      for (const p of pending) {
        if (group.length < MAX_BATCH_REQUESTS && p.notBefore <= now) {
          const release = opts.claim ? opts.claim(p.unit) : undefined
          if (release !== null) {
            if (release) p.release = release
            group.push(p)
            continue
          }
          next = Math.min(next, now + GATE_RECHECK_MS)
        } else if (p.notBefore < next) next = p.notBefore
        rest.push(p)
      }
      if (group.length > 0) {
        pending = rest
        const task: Promise<void> = send(group).finally(() => inflight.delete(task))
        inflight.add(task)
        continue
      }
      if (pending.length > 0) {
        await Promise.race([...inflight, new Promise((resolve) => setTimeout(resolve, Math.max(1, next - now)))])
        continue
      }
    }
    await Promise.race(inflight)
  }
  if (stop.fatal) throw stop.fatal
  return stats
}

/** Graph's error body `{error: {code, message}}`, or a readable stand-in. */
export function graphErrorOf(response: BatchItemResponse): { code: string; message: string } {
  const err = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error
  return { code: err?.code ?? `HTTP${response.status}`, message: err?.message ?? `status ${response.status}` }
}

/** 429, 503, 504 and a missing answer are worth another try; the Retry-After of the item rules. */
export function transientVerdict(response: BatchItemResponse): UnitVerdict | null {
  if ([0, 429, 500, 502, 503, 504].includes(response.status)) {
    const { code, message } = graphErrorOf(response)
    return { retry: true, afterSeconds: retryAfterSeconds(response.headers), reason: `${response.status} ${code}: ${message}` }
  }
  return null
}
