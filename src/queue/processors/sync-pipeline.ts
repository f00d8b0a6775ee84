import type { Logger } from 'pino'
import { decide, parseScheduleItems, resolveSettings, type Decision, type RememberedState, type SettingsOverrides } from '../../domain'
import type { ScheduleResult, ScheduleWindow } from '../../graph/fetch-schedules'
import type { MattermostAdapter, MmCustomStatus, MmUserStatus } from '../../mattermost/create-mattermost-adapter'
import type { UserRecord, UserStore } from '../../store/user-store'
import { inPool } from '../in-pool'

// The one path from calendars to statuses (architecture.md): sweep shards, single-user syncs
// and boundary wake-ups all come through here, so they all follow the same rules.

export interface PipelineDeps {
  users: UserStore<RememberedState, SettingsOverrides>
  fetchSchedules(emails: string[], window: ScheduleWindow): Promise<{ results: Map<string, ScheduleResult> }>
  mattermost: Pick<MattermostAdapter, 'getStatuses' | 'getCustomStatuses' | 'setStatus' | 'setCustomStatus' | 'clearCustomStatus' | 'sendDirectMessage'>
  /** Settings the admin chose for everyone; users override them. */
  adminDefaults(): Promise<SettingsOverrides>
  /** Replace the user's pending wake-up with one at `at` (null: none needed). */
  scheduleWakeUp(mmUserId: string, at: number | null): Promise<void>
  /** Of these, the users whose pending wake-up is not at `at` (one round trip). */
  wakeUpsToMove<E extends { mmUserId: string; at: number | null }>(entries: E[]): Promise<E[]>
  log: Logger
  now?: () => number
}

export interface SyncSummary {
  users: number
  graphRequests: number
  mattermostReads: number
  mattermostWrites: number
  changes: number
  messages: number
  skipped: number
  errors: number
}

/** How far ahead the schedule is read: the rule engine needs [now - 1 min, now + 24 h]. */
const WINDOW_BEFORE_MS = 60_000
const WINDOW_AFTER_MS = 25 * 3600_000
/**
 * A user's lease: long enough for a few Mattermost writes under the ceiling, short enough that
 * a worker killed mid-sync (SIGKILL: no release) holds its users back for well under a minute.
 */
const LEASE_MS = 30_000
const CONCURRENCY = 16

/** Another job holds the user: the caller retries (a sync-user must not lose its newer view). */
export class UserBusyError extends Error {
  constructor(readonly mmUserId: string) {
    super(`user ${mmUserId} is being synced by another job`)
    this.name = 'UserBusyError'
  }
}

export function createSyncPipeline(deps: PipelineDeps) {
  const now = deps.now ?? Date.now

  /**
   * Apply one decision's writes in order. A failed status write throws (nothing is claimed);
   * a failed custom-status write after the status writes landed returns the state to remember
   * instead: the status is ours, the custom status is whatever Mattermost still has.
   */
  const apply = async (
    user: UserRecord<RememberedState, SettingsOverrides>,
    decision: Decision,
    summary: SyncSummary
  ): Promise<{ remembered: RememberedState | null; error: string | null }> => {
    for (const w of decision.statusWrites) {
      const outcome = await deps.mattermost.setStatus(user.mmUserId, w.status, w.dndEndTime)
      summary.mattermostWrites += 1
      if (!outcome.done) throw new SkipUser(outcome.reason)
    }
    const change = decision.customStatus
    if (!change) return { remembered: decision.remembered, error: null }
    try {
      if (change.action === 'set') await deps.mattermost.setCustomStatus(user.mmUserId, { emoji: change.emoji, text: change.text, expiresAt: change.expiresAt })
      else await deps.mattermost.clearCustomStatus(user.mmUserId)
      summary.mattermostWrites += 1
      return { remembered: decision.remembered, error: null }
    } catch (err) {
      if (decision.statusWrites.length === 0) throw err
      const kept = user.remembered?.setCustomStatus ?? null
      return { remembered: decision.remembered && { ...decision.remembered, setCustomStatus: kept }, error: `custom status: ${(err as Error).message}` }
    }
  }

  return async function syncUsers(mmUserIds: string[], opts: { reason: string; failIfBusy: boolean }): Promise<SyncSummary> {
    const summary: SyncSummary = {
      users: mmUserIds.length,
      graphRequests: 0,
      mattermostReads: 0,
      mattermostWrites: 0,
      changes: 0,
      messages: 0,
      skipped: 0,
      errors: 0
    }
    const records = await deps.users.getMany(mmUserIds)
    const eligible = [...records.values()].filter((u) => u.graphUserId && u.mailbox === 'ok')
    summary.skipped += mmUserIds.length - eligible.length
    if (eligible.length === 0) return summary

    const t = now()
    const { results } = await deps.fetchSchedules(
      eligible.map((u) => u.email),
      { startMs: t - WINDOW_BEFORE_MS, endMs: t + WINDOW_AFTER_MS }
    )
    summary.graphRequests += Math.ceil(eligible.length / 400)
    const withSchedule: Array<{ user: UserRecord<RememberedState, SettingsOverrides>; result: ScheduledResult }> = []
    for (const user of eligible) {
      const result = results.get(user.email.toLowerCase())
      if (!result || result.kind === 'failed') {
        summary.errors += 1
        await deps.users.recordError(user.mmUserId, `calendar: ${result?.reason ?? 'no answer'}`, t)
      } else if (result.kind === 'unknown-mailbox' || result.kind === 'rest-disabled') {
        // Stop asking until the directory job finds a mailbox again.
        summary.skipped += 1
        await deps.users.setGraphIdentity(user.mmUserId, user.graphUserId, result.kind === 'rest-disabled' ? 'rest-disabled' : 'unknown')
      } else {
        withSchedule.push({ user, result })
      }
    }
    if (withSchedule.length === 0) return summary

    const ids = withSchedule.map((w) => w.user.mmUserId)
    const [statuses, customStatuses, defaults] = await Promise.all([
      deps.mattermost.getStatuses(ids),
      deps.mattermost.getCustomStatuses(ids),
      deps.adminDefaults()
    ])
    summary.mattermostReads += 2

    const decideFor = (record: UserRecord<RememberedState, SettingsOverrides>, result: ScheduledResult): Decision => {
      const status: MmUserStatus | undefined = statuses.get(record.mmUserId)
      const custom: MmCustomStatus | null = customStatuses.get(record.mmUserId) ?? null
      return decide({
        now: now(),
        items: parseScheduleItems(result.items),
        current: { status: status?.status ?? 'offline', manual: status?.manual ?? false, dndEndTime: status?.dnd_end_time ?? 0 },
        customStatus: custom ? { emoji: custom.emoji, text: custom.text, ...(custom.expires_at ? { expiresAt: custom.expires_at } : {}) } : null,
        settings: resolveSettings(defaults, record.settings ?? {}),
        remembered: record.remembered,
        timeZone: record.timeZone
      })
    }

    // Fast path: a decision that writes nothing to Mattermost and sends nothing (nearly every
    // user in a sweep) is committed without a lease, in one round trip for all of them, and
    // only if nobody committed or held the user since the record was read (compare-and-set on
    // `rev`). Everyone else, and anyone the fast commit refuses, takes the leased path below,
    // which reads the record again under the lease and decides again.
    const leased: typeof withSchedule = []
    const quiet: Array<{ user: UserRecord<RememberedState, SettingsOverrides>; result: ScheduledResult; decision: Decision }> = []
    for (const w of withSchedule) {
      let decision: Decision
      try {
        decision = decideFor(w.user, w.result)
      } catch {
        leased.push(w) // the leased path records the error
        continue
      }
      if (decision.statusWrites.length === 0 && !decision.customStatus && !decision.message) quiet.push({ ...w, decision })
      else leased.push(w)
    }
    const outcomes = await deps.users.commitUnchanged(
      quiet.map(({ user, result, decision }) => ({
        mmUserId: user.mmUserId,
        rev: user.rev,
        viewAt: result.fetchedAt,
        remembered: decision.remembered,
        lastSyncAt: now(),
        lastError: null
      }))
    )
    const committed: Array<{ mmUserId: string; at: number | null; rev: number }> = []
    quiet.forEach((q, i) => {
      const outcome = outcomes[i]
      if (outcome === 'committed') committed.push({ mmUserId: q.user.mmUserId, at: q.decision.nextWakeAt, rev: q.user.rev + 1 })
      else if (outcome === 'busy' || outcome === 'changed') leased.push(q)
      else summary.skipped += 1 // a newer view was applied, or the user left meanwhile
    })
    // A wake-up that moves (a few users per sweep) moves under the lease, and only while our
    // commit is still the last: a job that committed after ours scheduled the wake-up of its
    // newer decision, which ours must not replace. A holder of the lease schedules its own.
    await inPool(await deps.wakeUpsToMove(committed), CONCURRENCY, async (w) => {
      const lease = await deps.users.lease(w.mmUserId, LEASE_MS)
      if (!lease) return
      try {
        if ((await deps.users.get(w.mmUserId))?.rev === w.rev) await deps.scheduleWakeUp(w.mmUserId, w.at)
      } finally {
        await deps.users.release(lease)
      }
    })

    await inPool(leased, CONCURRENCY, async ({ user, result }) => {
      const lease = await deps.users.lease(user.mmUserId, LEASE_MS)
      if (!lease) {
        if (opts.failIfBusy) throw new UserBusyError(user.mmUserId)
        summary.skipped += 1
        return
      }
      try {
        // Under the lease, before any write: a newer view already applied wins, and this
        // decision is dropped, never applied (issue 7, "compare-and-set").
        const fresh = await deps.users.get(user.mmUserId)
        if (!fresh || fresh.appliedViewAt > result.fetchedAt) {
          summary.skipped += 1
          return
        }
        let decision: Decision
        try {
          decision = decideFor(fresh, result)
        } catch (err) {
          summary.errors += 1
          await deps.users.recordError(user.mmUserId, `rules: ${(err as Error).message}`, now())
          return
        }
        let applied: { remembered: RememberedState | null; error: string | null }
        try {
          applied = await apply(fresh, decision, summary)
        } catch (err) {
          if (err instanceof SkipUser) {
            summary.skipped += 1
            await deps.users.recordError(user.mmUserId, `skipped: ${err.message}`, now())
            return
          }
          // A failed write is never remembered as done: the next evaluation tries again.
          summary.errors += 1
          await deps.users.recordError(user.mmUserId, `mattermost: ${(err as Error).message}`, now())
          deps.log.warn({ user: user.mmUserId, err: (err as Error).message }, 'write failed')
          return
        }
        if (applied.error) summary.errors += 1
        const outcome = await deps.users.commit(lease, {
          viewAt: result.fetchedAt,
          remembered: applied.remembered,
          lastSyncAt: now(),
          lastError: applied.error
        })
        if (outcome !== 'committed') deps.log.warn({ user: user.mmUserId, outcome }, 'decision applied but not remembered')
        if (decision.statusWrites.length > 0 || decision.customStatus) summary.changes += 1
        // The message goes out once the state that says "sent for this block" is saved.
        if (decision.message && outcome === 'committed') {
          try {
            await deps.mattermost.sendDirectMessage(user.mmUserId, decision.message)
            summary.messages += 1
          } catch (err) {
            deps.log.warn({ user: user.mmUserId, err: (err as Error).message }, 'message not sent')
          }
        }
        await deps.scheduleWakeUp(user.mmUserId, decision.nextWakeAt)
      } finally {
        await deps.users.release(lease)
      }
    })
    return summary
  }
}

class SkipUser extends Error {}

type ScheduledResult = Extract<ScheduleResult, { kind: 'schedule' }>
