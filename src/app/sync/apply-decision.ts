import type { Decision, RememberedState } from '../../domain'
import type { MattermostAdapter, WriteOptions } from '../../mattermost/create-mattermost-adapter'
import { RetryLater } from '../../shared/retry-later'
import { errorMessage } from '../../shared/to-error'
import { LeaseLostError } from './hold-lease'
import type { SyncedUser } from '../services'
import type { SyncSummary } from './sync-users'

/** A write Mattermost refused for a reason that is not a failure (a system admin's status). */
export class SkipUser extends Error {}

export interface Applied {
  /** what to remember: the decision's state, or less when part of it did not land */
  remembered: RememberedState | null
  /** a part that failed after the status writes landed */
  error: string | null
}

/**
 * Apply one decision's writes in order. A failed status write throws (nothing is claimed); a
 * failed custom-status write after the status writes landed returns the state to remember
 * instead: the status is ours, the custom status is whatever Mattermost still has.
 */
export async function applyDecision(
  mattermost: Pick<MattermostAdapter, 'setStatus' | 'setCustomStatus' | 'clearCustomStatus'>,
  user: SyncedUser,
  decision: Decision,
  summary: Pick<SyncSummary, 'mattermostWrites'>,
  opts: WriteOptions = {}
): Promise<Applied> {
  for (const write of decision.statusWrites) {
    const outcome = await mattermost.setStatus(user.mmUserId, write.status, write.dndEndTime, opts)
    summary.mattermostWrites += 1
    if (!outcome.done) throw new SkipUser(outcome.reason)
  }
  const change = decision.customStatus
  if (!change) return { remembered: decision.remembered, error: null }
  try {
    if (change.action === 'set') await mattermost.setCustomStatus(user.mmUserId, { emoji: change.emoji, text: change.text, expiresAt: change.expiresAt }, opts)
    else await mattermost.clearCustomStatus(user.mmUserId, opts)
    summary.mattermostWrites += 1
    return { remembered: decision.remembered, error: null }
  } catch (err) {
    if (decision.statusWrites.length === 0 || err instanceof LeaseLostError || err instanceof RetryLater) throw err
    const kept = user.remembered?.setCustomStatus ?? null
    return { remembered: decision.remembered && { ...decision.remembered, setCustomStatus: kept }, error: `custom status: ${errorMessage(err)}` }
  }
}
