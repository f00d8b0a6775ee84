import type { Lease } from '../../store/user-store'
import type { SyncedUserStore } from '../services'

/** The user's lease was lost (expired and taken by another job): this job must not write. */
export class LeaseLostError extends Error {
  constructor(readonly mmUserId: string) {
    super(`lost the lease on user ${mmUserId} to another job; nothing more is written`)
    this.name = 'LeaseLostError'
  }
}

export interface HeldLease {
  lease: Lease
  /** Renew now; throws LeaseLostError when another job holds the user. Called before every write. */
  check: () => Promise<void>
  /** Keep the user held for `ms` more, then let the lease run out (a write whose outcome is unknown). */
  holdFor(ms: number): Promise<void>
  /** Stop renewing and release, unless held on by holdFor. */
  release(): Promise<void>
}

/**
 * Holds a user's lease while a sync waits and writes (docs/architecture.md, "One user, one
 * writer"): renewed every third of its time to live, so no wait outlives it while the process
 * runs, and checked (renewed) right before each write, so a job whose lease ran out (the process
 * stalled) never writes. A worker killed mid-sync leaves the lease to run out within `ttlMs`.
 */
export function holdLease(users: Pick<SyncedUserStore, 'renew' | 'release'>, lease: Lease, ttlMs: number): HeldLease {
  let lost = false
  let heldOn = false
  const renew = async (ms: number): Promise<void> => {
    if (lost) throw new LeaseLostError(lease.userId)
    if (!(await users.renew(lease, ms))) {
      lost = true
      throw new LeaseLostError(lease.userId)
    }
  }
  // A failed heartbeat (Redis away for a moment) is not a loss: the check before a write decides.
  const timer = setInterval(() => void renew(ttlMs).catch(() => undefined), Math.max(10, Math.floor(ttlMs / 3)))
  timer.unref()
  return {
    lease,
    check: () => renew(ttlMs),
    async holdFor(ms) {
      clearInterval(timer)
      heldOn = true
      await renew(ms)
    },
    async release() {
      clearInterval(timer)
      if (!heldOn && !lost) await users.release(lease)
    }
  }
}
