import type { Logger } from 'pino'
import type { Decision, SettingsOverrides } from '../../domain'
import type { ScheduleResult, ScheduleWindow } from '../../graph/fetch-schedules'
import type { MattermostAdapter } from '../../mattermost/create-mattermost-adapter'
import type { DefaultsStore } from '../../store/defaults-store'
import { inPool } from '../../shared/in-pool'
import { RetryLater } from '../../shared/retry-later'
import { errorMessage } from '../../shared/to-error'
import { MattermostOutcomeUnknownError } from '../../mattermost/errors'
import { holdLease, LeaseLostError, type HeldLease } from './hold-lease'
import type { SyncedUser, SyncedUserStore } from '../services'
import { applyDecision, SkipUser } from './apply-decision'
import { decideFor, type MattermostView } from './decide-for'
import type { WakeUps } from './wake-ups'
import type { SendNotice } from './send-notice'

// The one path from calendars to statuses (docs/architecture.md, "From a calendar to a
// status"): sweep shards, single-user syncs and boundary wake-ups all come through here, so
// they all follow the same rules.

export interface SyncUsersDeps {
  users: SyncedUserStore
  /** the schedules part of the Graph adapter: what it answers per address is all the sync reads */
  calendars: { fetchSchedules(emails: string[], window: ScheduleWindow): Promise<{ results: Map<string, ScheduleResult> }> }
  mattermost: Pick<MattermostAdapter, 'getStatuses' | 'getCustomStatuses' | 'setStatus' | 'setCustomStatus' | 'clearCustomStatus'>
  /** the engine's messages to a person (a DM, a daily plan, an "Ask first" question) */
  sendNotice: SendNotice
  /** whether "Ask first" can ask: its buttons need PUBLIC_URL */
  canAsk: boolean
  /** Settings the admin chose for everyone; users override them. */
  defaults: Pick<DefaultsStore<SettingsOverrides>, 'get'>
  wakeUps: Pick<WakeUps, 'schedule' | 'moved'>
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

export interface SyncOptions {
  reason: string
  /**
   * true (a sync-user, a wake-up): take the users' leases before asking Graph, and throw
   * UserBusyError when another job holds one (the job runs again when that lease is over).
   * false (a sweep shard): a user another job holds is skipped.
   */
  failIfBusy: boolean
  /**
   * A cohort's early run: blocks starting by this instant may be entered now, at most
   * `maxEarlyMs` before their start (docs/status-rules.md#early-starts).
   */
  earlyEntryUntil?: number
  maxEarlyMs?: number
  /**
   * Told of each user this sync could not do (another job held them, or their calendar could
   * not be read), so that a cohort's on-time run tries them again instead of losing them.
   */
  onNotDone?: (mmUserId: string, why: 'busy' | 'failed') => void
}

export type SyncUsers = (mmUserIds: string[], opts: SyncOptions) => Promise<SyncSummary>

/** How far ahead the schedule is read: the rule engine needs [now - 1 min, now + 24 h]. */
const WINDOW_BEFORE_MS = 60_000
const WINDOW_AFTER_MS = 25 * 3600_000
/**
 * A user's lease: renewed while its sync runs (hold-lease.ts), so it only needs to outlive a
 * stalled process's last renewal; short, so a worker killed mid-sync (SIGKILL: no release) holds
 * its users back for well under a minute.
 */
export const LEASE_MS = 30_000
/**
 * How long a user stays held after a DND write whose outcome is unknown: the write may still
 * land, and a second DND landing after it would make Mattermost restore `dnd` (docs/architecture.md,
 * "One user, one writer"). The sync runs again once it is over.
 */
export const OUTCOME_UNKNOWN_HOLD_MS = 60_000
const CONCURRENCY = 16

/**
 * Another job holds the user: run again soon, polling (not after the lease's whole remaining
 * time: a holder that decided just before a meeting's start leaves the start to this job, and
 * waiting out a 30 s lease made short meetings go by unseen, issue 18).
 */
export const BUSY_RETRY_MS = 1000
export class UserBusyError extends RetryLater {
  constructor(
    readonly mmUserId: string,
    afterMs: number
  ) {
    super(`user ${mmUserId} is being synced by another job`, afterMs)
    this.name = 'UserBusyError'
  }
}

/** The calendars of a single-user sync could not be read: the job tries again with its backoff. */
export class CalendarReadError extends Error {
  constructor(readonly mmUserIds: string[]) {
    super(`could not read the calendar of ${mmUserIds.join(', ')}`)
    this.name = 'CalendarReadError'
  }
}

/** How long before its start a block may be entered by this decision (0 outside a cohort's early run). */
function earlyEntryMs(opts: Pick<SyncOptions, 'earlyEntryUntil' | 'maxEarlyMs'>, now: number): number {
  if (opts.earlyEntryUntil === undefined) return 0
  return Math.min(opts.maxEarlyMs ?? 0, Math.max(0, opts.earlyEntryUntil - now))
}

type ScheduledResult = Extract<ScheduleResult, { kind: 'schedule' }>
interface Scheduled {
  user: SyncedUser
  result: ScheduledResult
}

export function createSyncUsers(deps: SyncUsersDeps): SyncUsers {
  const now = deps.now ?? Date.now

  /** The users with a mailbox, their schedules; those without one are counted as skipped or failed. */
  const readSchedules = async (mmUserIds: string[], summary: SyncSummary, opts: Pick<SyncOptions, 'onNotDone'>): Promise<Scheduled[]> => {
    const records = await deps.users.getMany(mmUserIds)
    const eligible = [...records.values()].filter((u) => u.graphUserId && u.mailbox === 'ok')
    summary.skipped += mmUserIds.length - eligible.length
    if (eligible.length === 0) return []
    const startedAt = now()
    const window = { startMs: startedAt - WINDOW_BEFORE_MS, endMs: startedAt + WINDOW_AFTER_MS }
    const { results } = await deps.calendars.fetchSchedules(
      eligible.map((u) => u.email),
      window
    )
    summary.graphRequests += Math.ceil(eligible.length / 400)
    const scheduled: Scheduled[] = []
    for (const user of eligible) {
      const result = results.get(user.email.toLowerCase())
      if (!result || result.kind === 'failed') {
        summary.errors += 1
        await deps.users.recordError(user.mmUserId, `calendar: ${result?.reason ?? 'no answer'}`, startedAt)
        opts.onNotDone?.(user.mmUserId, 'failed')
      } else if (result.kind === 'unknown-mailbox' || result.kind === 'rest-disabled') {
        // Stop asking until the directory job finds a mailbox again.
        summary.skipped += 1
        await deps.users.setGraphIdentity(user.mmUserId, user.graphUserId, result.kind === 'rest-disabled' ? 'rest-disabled' : 'unknown')
      } else {
        scheduled.push({ user, result })
      }
    }
    return scheduled
  }

  /** Statuses, custom statuses and the admin's defaults for these users: two Mattermost reads. */
  const readMattermost = async (scheduled: Scheduled[], summary: SyncSummary): Promise<MattermostView> => {
    const ids = scheduled.map((s) => s.user.mmUserId)
    const [statuses, customStatuses, defaults] = await Promise.all([
      deps.mattermost.getStatuses(ids),
      deps.mattermost.getCustomStatuses(ids),
      deps.defaults.get()
    ])
    summary.mattermostReads += 2
    return { statuses, customStatuses, defaults: defaults ?? {}, canAsk: deps.canAsk }
  }

  const quietPath = createQuietPath(deps, now)
  const leasedPath = createLeasedPath(deps, now)

  /**
   * A sync of a few named users (a notification, a wake-up): their leases first, before Graph is
   * asked, so a busy user costs no Graph call and the job runs again when the holder is done.
   */
  const syncHeld = async (mmUserIds: string[], summary: SyncSummary): Promise<void> => {
    const held = new Map<string, HeldLease>()
    try {
      for (const id of mmUserIds) {
        const lease = await deps.users.lease(id, LEASE_MS)
        if (!lease) throw new UserBusyError(id, Math.min(await deps.users.leaseRemainingMs(id), BUSY_RETRY_MS) + 100 + Math.random() * 300)
        held.set(id, holdLease(deps.users, lease, LEASE_MS))
      }
      const failed: string[] = []
      const scheduled = await readSchedules(mmUserIds, summary, { onNotDone: (id) => failed.push(id) })
      // Tried again with the job's backoff: a wake-up that completed without reading the
      // calendar would leave the user as they are until the next sweep (issue 18).
      if (failed.length > 0) throw new CalendarReadError(failed)
      if (scheduled.length === 0) return
      const view = await readMattermost(scheduled, summary)
      await messagesLast(scheduled, CONCURRENCY, (s) => leasedPath(s, view, summary, {}, held.get(s.user.mmUserId)))
    } finally {
      await Promise.all([...held.values()].map((h) => h.release().catch((err: unknown) => deps.log.warn({ err }, 'could not release a lease'))))
    }
  }

  return async function syncUsers(mmUserIds, opts) {
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
    if (opts.failIfBusy) {
      await syncHeld(mmUserIds, summary)
      return summary
    }
    const scheduled = await readSchedules(mmUserIds, summary, opts)
    if (scheduled.length === 0) return summary
    const view = await readMattermost(scheduled, summary)
    const leased = await quietPath(scheduled, view, summary, opts)
    await messagesLast(leased, CONCURRENCY, (s) => leasedPath(s, view, summary, opts))
    return summary
  }
}

/** What the admin page tells of the last decision: every rule that took part, or the main one. */
const decisionReasons = (decision: Decision): string[] => (decision.reasons.length > 0 ? decision.reasons : [decision.reason])

/**
 * The fast path: a decision that writes nothing to Mattermost and sends nothing (nearly every
 * user in a sweep) is committed without a lease, in one round trip for all of them, and only if
 * nobody committed or held the user since the record was read (compare-and-set on `rev`).
 * Returns the users that take the leased path instead: those with writes, and those the fast
 * commit refused; the leased path reads the record again under the lease and decides again.
 */
function createQuietPath(deps: SyncUsersDeps, now: () => number) {
  return async (scheduled: Scheduled[], view: MattermostView, summary: SyncSummary, opts: SyncOptions): Promise<Scheduled[]> => {
    const leased: Scheduled[] = []
    const quiet: Array<Scheduled & { decision: Decision }> = []
    for (const s of scheduled) {
      let decision: Decision
      try {
        const at = now()
        decision = decideFor(s.user, s.result, view, at, earlyEntryMs(opts, at))
      } catch {
        leased.push(s) // the leased path records the error
        continue
      }
      if (decision.statusWrites.length === 0 && !decision.customStatus && !decision.message) quiet.push({ ...s, decision })
      else leased.push(s)
    }
    const outcomes = await deps.users.commitUnchanged(
      quiet.map(({ user, result, decision }) => ({
        mmUserId: user.mmUserId,
        rev: user.rev,
        viewAt: result.fetchedAt,
        remembered: decision.remembered,
        lastSyncAt: now(),
        lastError: null,
        reasons: decisionReasons(decision)
      }))
    )
    const committed: Array<{ mmUserId: string; at: number | null; rev: number }> = []
    quiet.forEach((q, i) => {
      const outcome = outcomes[i]
      if (outcome === 'committed') committed.push({ mmUserId: q.user.mmUserId, at: q.decision.nextWakeAt, rev: q.user.rev + 1 })
      else if (outcome === 'busy' || outcome === 'changed') leased.push(q)
      else summary.skipped += 1 // a newer view was applied, or the user left meanwhile
    })
    await moveWakeUps(deps, committed)
    return leased
  }
}

/**
 * A wake-up that moves in a quiet decision (a few users per sweep) moves under the lease, and
 * only while that commit is still the last: a job that committed after it scheduled the wake-up
 * of its newer decision, which this one must not replace. A holder of the lease schedules its own.
 */
async function moveWakeUps(deps: SyncUsersDeps, committed: Array<{ mmUserId: string; at: number | null; rev: number }>): Promise<void> {
  await inPool(await deps.wakeUps.moved(committed), CONCURRENCY, async (w) => {
    const lease = await deps.users.lease(w.mmUserId, LEASE_MS)
    if (!lease) return
    try {
      if ((await deps.users.get(w.mmUserId))?.rev === w.rev) await deps.wakeUps.schedule(w.mmUserId, w.at)
    } finally {
      await deps.users.release(lease)
    }
  })
}

/** One user under their lease: decide again on the fresh record, write, commit, message, wake-up. */
function createLeasedPath(deps: SyncUsersDeps, now: () => number) {
  const recordError = (mmUserId: string, error: string): Promise<void> => deps.users.recordError(mmUserId, error, now())

  /** Applies the decision; null when it failed and nothing more is to be done for this user now. */
  const apply = async (
    fresh: SyncedUser,
    decision: Decision,
    summary: SyncSummary,
    held: HeldLease,
    /** a sync of this one user (a notification, a wake-up), which runs again after a hold */
    single: boolean
  ): Promise<Awaited<ReturnType<typeof applyDecision>> | null> => {
    try {
      return await applyDecision(deps.mattermost, fresh, decision, summary, { beforeSend: held.check })
    } catch (err) {
      // Not this user's failure: the job runs again later, or another job holds the user now.
      if (err instanceof RetryLater || err instanceof LeaseLostError) throw err
      if (err instanceof SkipUser) {
        summary.skipped += 1
        await recordError(fresh.mmUserId, `skipped: ${err.message}`)
        return null
      }
      // A failed write is never remembered as done: the next evaluation tries again.
      summary.errors += 1
      deps.log.warn({ user: fresh.mmUserId, err }, 'write failed')
      await recordError(fresh.mmUserId, `mattermost: ${errorMessage(err)}`)
      if (err instanceof MattermostOutcomeUnknownError) {
        // The DND may still land: nobody writes for this user until it would have, then a sync
        // of them looks again (a sweep's shard leaves them to the next sweep).
        await held.holdFor(OUTCOME_UNKNOWN_HOLD_MS)
        if (single) throw new RetryLater(`a DND for ${fresh.mmUserId} may still land`, OUTCOME_UNKNOWN_HOLD_MS + 1000)
      }
      return null
    }
  }

  /** Returns the user's message to send, when there is one, for after everyone's statuses. */
  const decideAndApply = async (
    { user, result }: Scheduled,
    view: MattermostView,
    summary: SyncSummary,
    held: HeldLease,
    single: boolean,
    opts: Pick<SyncOptions, 'earlyEntryUntil' | 'maxEarlyMs'>
  ): Promise<MessageToSend | undefined> => {
    // Under the lease, before any write: a newer view already applied wins, and this decision
    // is dropped, never applied (docs/architecture.md, "One user, one writer").
    const fresh = await deps.users.get(user.mmUserId)
    if (!fresh || fresh.appliedViewAt > result.fetchedAt) {
      summary.skipped += 1
      return undefined
    }
    let decision: Decision
    try {
      const at = now()
      decision = decideFor(fresh, result, view, at, earlyEntryMs(opts, at))
    } catch (err) {
      summary.errors += 1
      await recordError(user.mmUserId, `rules: ${errorMessage(err)}`)
      return undefined
    }
    const applied = await apply(fresh, decision, summary, held, single)
    if (applied === null) return undefined
    if (applied.error) summary.errors += 1
    const outcome = await deps.users.commit(held.lease, {
      viewAt: result.fetchedAt,
      remembered: applied.remembered,
      lastSyncAt: now(),
      lastError: applied.error,
      reasons: decisionReasons(decision)
    })
    if (outcome !== 'committed') deps.log.warn({ user: user.mmUserId, outcome }, 'decision applied but not remembered')
    if (decision.statusWrites.length > 0 || decision.customStatus) summary.changes += 1
    if (outcome !== 'committed') return undefined
    // Only a decision that was remembered schedules its wake-up (a user who left has no record).
    const scheduleWakeUp = (): Promise<void> => deps.wakeUps.schedule(user.mmUserId, decision.nextWakeAt)
    // The message goes out once the state that says "sent for this block" is saved, and after
    // everyone's statuses of this run (`messagesLast`); the wake-up after it, as ever: should
    // scheduling fail (Redis away), the job runs again and schedules it, but a message not sent
    // now is never sent.
    const message = decision.message
    if (!message) return scheduleWakeUp().then(() => undefined)
    return async () => {
      if (await deps.sendNotice(user.mmUserId, message, { beforeSend: held.check })) summary.messages += 1
      await scheduleWakeUp()
    }
  }

  const leaseLost = (scheduled: Scheduled, summary: SyncSummary, opts: SyncOptions | Record<string, never>, err: unknown): void => {
    if (!(err instanceof LeaseLostError)) throw err
    // Another job took the user over (this process stalled past the lease): it decides now.
    summary.skipped += 1
    opts.onNotDone?.(scheduled.user.mmUserId, 'busy')
    deps.log.warn({ user: scheduled.user.mmUserId }, 'lease lost before a write: left to the job that holds the user')
  }

  /**
   * With `preHeld`, the caller took the lease (and releases it); otherwise it is taken here, and a
   * user another job holds is skipped (a sweep: that job has a view at least as new). Returns the
   * user's message, to send after everyone's statuses; a lease taken here is kept until it is sent.
   */
  return async (
    scheduled: Scheduled,
    view: MattermostView,
    summary: SyncSummary,
    opts: SyncOptions | Record<string, never>,
    preHeld?: HeldLease
  ): Promise<MessageToSend | undefined> => {
    let held = preHeld
    if (!held) {
      const lease = await deps.users.lease(scheduled.user.mmUserId, LEASE_MS)
      if (!lease) {
        summary.skipped += 1
        opts.onNotDone?.(scheduled.user.mmUserId, 'busy')
        return undefined
      }
      held = holdLease(deps.users, lease, LEASE_MS)
    }
    const lease = held
    const release = async (): Promise<void> => {
      if (!preHeld) await lease.release()
    }
    let send: MessageToSend | undefined
    try {
      send = await decideAndApply(scheduled, view, summary, lease, preHeld !== undefined, opts)
    } catch (err) {
      await release()
      leaseLost(scheduled, summary, opts, err)
      return undefined
    }
    if (!send) {
      await release()
      return undefined
    }
    const message = send
    return async () => {
      try {
        await message()
      } catch (err) {
        leaseLost(scheduled, summary, opts, err)
      } finally {
        await release()
      }
    }
  }
}

/** A user's message, sent once the run's statuses are written. */
type MessageToSend = () => Promise<void>

/**
 * Everyone's statuses first, then the messages (docs/architecture.md#messages-after-statuses): at a
 * crowded minute a direct message costs one or two Mattermost calls, which would otherwise come
 * out of the same ceiling as someone else's Do Not Disturb.
 */
async function messagesLast<T>(items: T[], concurrency: number, apply: (item: T) => Promise<MessageToSend | undefined>): Promise<void> {
  const messages: MessageToSend[] = []
  try {
    await inPool(items, concurrency, async (item) => {
      const send = await apply(item)
      if (send) messages.push(send)
    })
  } finally {
    // Sent even when another user's write failed the run: their states already say "sent".
    await inPool(messages, concurrency, (send) => send())
  }
}
