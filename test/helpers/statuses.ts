import type { Simulators } from '../../sim/index'
import { waitFor } from './processes'

// Reading what happened to people's statuses from the Mattermost simulator's history, for the
// end-to-end tests.

export const S = 1000
export const MINUTE = 60 * S

/** Someone in both simulators. */
export interface Person {
  name: string
  mmUserId: string
  graphUserId: string
}

export const statusChanges = (sims: Simulators, userId: string) => sims.mattermost.history.statuses.filter((c) => c.userId === userId)

/** Whether a change was made by the service (its bot), not by the person or Mattermost. */
export const byService = (sims: Simulators) => (who: string) => who === `api:${sims.mattermost.botUserId}`

/** When `p` first changed to `status` at or after `afterMs`. */
export async function waitForStatus(sims: Simulators, p: Person, status: string, afterMs: number, timeoutMs: number): Promise<number> {
  return waitFor(`${p.name} -> ${status}`, timeoutMs, async () => statusChanges(sims, p.mmUserId).find((c) => c.to === status && c.time >= afterMs)?.time)
}
