/**
 * How long before a crowded instant its cohort starts writing (docs/status-rules.md#early-starts):
 * long enough that, at the rate Mattermost allows now, the last write lands by the instant,
 * and never longer than `maxEarlyMs`. Pure: the allowance and the size are inputs.
 */
export interface Allowance {
  /** calls per second the cluster may make now */
  perSecond: number
  /** calls that may go at once without waiting */
  burst: number
}

/** A status and a custom status per person entering a block; reads are two per shard of 400. */
const CALLS_PER_PERSON = 2
const READS_PER_SHARD = 2
const SHARD_SIZE = 400
/** One Graph $batch round trip (about 1.2 s) and the reads before the first write, with room. */
export const READ_MARGIN_MS = 2500
/** Writes bunch and timers fire late: plan for 10% more time than the arithmetic says. */
const SLACK = 1.1

export function planLead(people: number, allowance: Allowance, maxEarlyMs: number): number {
  if (people <= 0 || maxEarlyMs <= 0) return 0
  const calls = people * CALLS_PER_PERSON + Math.ceil(people / SHARD_SIZE) * READS_PER_SHARD
  const waiting = Math.max(0, calls - Math.max(0, allowance.burst))
  const writingMs = (waiting / Math.max(allowance.perSecond, 0.1)) * 1000 * SLACK
  return Math.min(maxEarlyMs, Math.ceil(writingMs + READ_MARGIN_MS))
}
