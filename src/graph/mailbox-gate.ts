/**
 * Requests in flight per path mailbox in this process (docs/graph.md#throttling). Outlook allows
 * 4 concurrent requests per app and mailbox, counted across all our processes; each process
 * keeps its own share at `perMailbox` (2), so two processes using the same mailbox at the same
 * moment stay within Graph's 4. getSchedule runs under any member of its chunk, so the chunk
 * takes the member with the fewest requests in flight here: in a sweep every request goes under
 * a mailbox nothing else of ours is using, whatever the number of batches in flight.
 */
export interface MailboxGate {
  /** The first of `candidates` with the fewest requests in flight, taken; null when all are full. */
  take(candidates: readonly string[]): string | null
  release(mailbox: string): void
}

/** This process's share of Graph's 4 concurrent requests per app and mailbox. */
export const MAILBOX_SHARE_PER_PROCESS = 2

export function createMailboxGate(perMailbox = MAILBOX_SHARE_PER_PROCESS): MailboxGate {
  const counts = new Map<string, number>()
  const key = (m: string): string => m.toLowerCase()
  return {
    take(candidates) {
      let best: string | null = null
      let bestCount = perMailbox
      for (const c of candidates) {
        const n = counts.get(key(c)) ?? 0
        if (n < bestCount) {
          best = c
          bestCount = n
          if (n === 0) break
        }
      }
      if (best !== null) counts.set(key(best), bestCount + 1)
      return best
    },
    release(mailbox) {
      const n = (counts.get(key(mailbox)) ?? 1) - 1
      if (n <= 0) counts.delete(key(mailbox))
      else counts.set(key(mailbox), n)
    }
  }
}
