import type { Logger } from 'pino'
import type { ProblemStore } from '../store/problem-store'
import type { AdminNotices, ProblemKind } from './admin-notices'

/**
 * Turns "did that call work" into a sustained-outage notice (docs/architecture.md#failure-notices):
 * the problem is raised once every call to the dependency, in every process of the cluster, has
 * failed for `thresholdMs` (the first failure after a success sets `failing-since` in Redis, any
 * success deletes it), and cleared by the first success after it. Adapters call `report` after
 * every request; Redis sees at most one write every 2 s per process while failing and one every
 * 10 s while working.
 */
export interface OutageWatch {
  report(up: boolean): void
}

const DOWN_EVERY_MS = 2000
const UP_EVERY_MS = 10_000

export function createOutageWatch(
  deps: { notices: Pick<AdminNotices, 'raise' | 'clear'>; problems: Pick<ProblemStore, 'failingSince' | 'working'>; log: Logger; now?: () => number },
  opts: { kind: ProblemKind; thresholdMs: number; describe: (sinceMs: number) => string }
): OutageWatch {
  const now = deps.now ?? Date.now
  let lastDown = 0
  let lastUp = 0
  let failedSinceUp = false
  // One report at a time, in order: a success must not overtake the failure before it.
  let chain: Promise<void> = Promise.resolve()
  const run = (work: () => Promise<void>): void => {
    chain = chain.then(work).catch((err: unknown) => deps.log.warn({ err, problem: opts.kind }, 'could not record an outage report'))
  }
  return {
    report(up) {
      const t = now()
      if (up) {
        if (!failedSinceUp && t - lastUp < UP_EVERY_MS) return
        failedSinceUp = false
        lastUp = t
        run(async () => {
          await deps.problems.working(opts.kind)
          await deps.notices.clear(opts.kind)
        })
        return
      }
      failedSinceUp = true
      if (t - lastDown < DOWN_EVERY_MS) return
      lastDown = t
      run(async () => {
        const since = await deps.problems.failingSince(opts.kind, t)
        if (t - since >= opts.thresholdMs) await deps.notices.raise(opts.kind, opts.describe(since), { since })
      })
    }
  }
}
