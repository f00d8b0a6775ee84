import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import { GraphRequestError, isSignInFailure } from '../graph/errors'
import { SubscriptionGoneError, type Subscription, type SubscriptionsApi } from '../graph/subscriptions'
import { inPool } from '../shared/in-pool'
import { errorMessage } from '../shared/to-error'
import { RetryLater } from '../shared/retry-later'
import type { ClusterLock } from '../store/cluster-lock'
import type { StoredSubscription, SubscriptionStore } from '../store/subscription-store'
import type { UserStore } from '../store/user-store'
import type { Outcome } from './outcome'
import { createPace } from './subscription-pace'

// Every enrolled user with a mailbox has one live change-notification subscription
// (docs/architecture.md, "Subscriptions"; docs/graph.md#change-notifications).

/** The `subscriptions` job: the periodic upkeep, or work for a few users or subscriptions. */
export interface SubscriptionWork {
  reason: 'upkeep' | 'enrolment' | 'reauthorize' | 'removed'
  mmUserIds?: string[]
  subscriptionIds?: string[]
}

export interface UpkeepOptions {
  lifetimeMinutes: number
  /**
   * Creations (and renewals) started per second, in this process: a steady rate under Graph's
   * subscription-service limit per app and tenant (docs/graph.md#creating-subscriptions-at-scale),
   * slowed down by any 429.
   */
  createsPerSecond: number
  /** Graph calls in flight at once (each creation waits on the validation handshake). */
  concurrency: number
  /**
   * How long one run creates before it hands over to the next (`continueLater`): a run never
   * overlaps the next scheduled one, and a worker that stops loses little.
   */
  runBudgetMs: number
}

export interface UpkeepDeps {
  api: SubscriptionsApi
  subscriptions: SubscriptionStore
  users: UserStore
  log: Logger
  registry: Registry
  /**
   * Users who just got a subscription: a calendar change between their last sync and the
   * subscription's creation was never notified (Graph notifies from creation on), so they are
   * synced once more.
   */
  onSubscribed?(mmUserIds: string[]): Promise<void>
  /** One run that creates for many at a time in the cluster: two would create the same twice. */
  locks: Pick<ClusterLock, 'run'>
  /** A run that stopped at its budget with people left: the next run, now. */
  continueLater(): Promise<void>
  now?: () => number
}

/** What one run shares: its failures, its one listing of Graph's subscriptions, who got one. */
interface Run {
  failures: string[]
  listExisting: () => Promise<Subscription[]>
  subscribed: string[]
  counts: { created: number; renewed: number; deleted: number; throttled: number }
  /** when the run stops creating (its budget) */
  deadline: number
  /** people still without a subscription when the budget ran out */
  left: number
}

type CreateOutcome = 'created' | 'skipped' | 'failed' | 'throttled' | 'late'
type RenewOutcome = 'renewed' | 'recreated' | 'failed' | 'unknown'

/** Records are read this many at a time when looking for users without a subscription. */
const READ_CHUNK = 2000
const EVERY = Number.POSITIVE_INFINITY
const ALL = 1_000_000
/** Targeted work up to this many people runs at once, outside the cluster lock (a lifecycle event, a newcomer). */
const FEW = 20
const LOCK = 'subscriptions'

function createUpkeepGauges(registry: Registry) {
  return {
    active: new Gauge({ name: 'calstatus_subscriptions_active', help: 'Subscriptions held', registers: [registry] }),
    expiring: new Gauge({ name: 'calstatus_subscriptions_expiring_within_day', help: 'Subscriptions expiring within 24 h', registers: [registry] }),
    failed: new Gauge({
      name: 'calstatus_subscriptions_failed_last_run',
      help: 'Subscription creations or renewals that failed in the last run',
      registers: [registry]
    })
  }
}

export function createSubscriptionUpkeep(deps: UpkeepDeps, opts: UpkeepOptions): (work: SubscriptionWork) => Promise<Outcome> {
  const now = deps.now ?? Date.now
  const gauges = createUpkeepGauges(deps.registry)
  // Renew once less than half the lifetime is left: well before expiry, and since creations
  // are spread over runs, renewals spread out the same way.
  const renewWindowMs = (opts.lifetimeMinutes * 60_000) / 2
  const pace = createPace({ perSecond: opts.createsPerSecond, now })
  const fail = (run: Run, what: string, err: unknown): void => {
    // No subscription can be made or renewed without a token: end the run, not one failure each.
    if (isSignInFailure(err)) throw err
    run.failures.push(`${what}: ${errorMessage(err)}`)
  }

  const create = async (mmUserId: string, run: Run): Promise<CreateOutcome> => {
    const user = await deps.users.get(mmUserId)
    if (!user?.graphUserId || user.mailbox !== 'ok') return 'skipped'
    const existing = await deps.subscriptions.byUser(mmUserId)
    await pace.turn()
    // Its turn came after the run's budget: the next run makes it.
    if (now() >= run.deadline) return 'late'
    try {
      const sub = await deps.api.create(user.graphUserId, {
        knownClientState: (id) => (existing && existing.id === id ? existing.clientState : null),
        listExisting: run.listExisting
      })
      await deps.subscriptions.save({
        id: sub.id,
        mmUserId,
        graphUserId: user.graphUserId,
        clientState: sub.clientState ?? '',
        expiresAt: Date.parse(sub.expirationDateTime),
        lastRenewedAt: now(),
        lastError: null
      })
      run.subscribed.push(mmUserId)
      pace.succeeded()
      return 'created'
    } catch (err) {
      if (err instanceof GraphRequestError && (err.status === 429 || err.status === 503)) {
        // Graph's budget, not this person's problem: everyone waits, and this one goes again.
        pace.throttled(err.retryAfterSeconds)
        return 'throttled'
      }
      fail(run, mmUserId, err)
      if (existing) await deps.subscriptions.setError(existing.id, errorMessage(err))
      return 'failed'
    }
  }

  const renew = async (subscriptionId: string, run: Run, reauthorize = false): Promise<RenewOutcome> => {
    const sub = await deps.subscriptions.get(subscriptionId)
    if (!sub) return 'unknown'
    await pace.turn()
    try {
      if (reauthorize) await deps.api.reauthorize(subscriptionId)
      const { expirationDateTime } = await deps.api.renew(subscriptionId)
      await deps.subscriptions.save({ ...sub, expiresAt: Date.parse(expirationDateTime), lastRenewedAt: now(), lastError: null })
      return 'renewed'
    } catch (err) {
      if (err instanceof SubscriptionGoneError) {
        // Graph no longer knows it: forget it and make a new one.
        await deps.subscriptions.remove(subscriptionId)
        const made = await create(sub.mmUserId, run)
        // Throttled: the user has none now, and the creations of this run or the next make it.
        return made === 'created' ? 'recreated' : made === 'failed' ? 'failed' : 'unknown'
      }
      fail(run, subscriptionId, err)
      await deps.subscriptions.setError(subscriptionId, errorMessage(err))
      return 'failed'
    }
  }

  const tally = (run: Run, outcome: RenewOutcome): void => {
    if (outcome === 'renewed') run.counts.renewed += 1
    else if (outcome === 'recreated') run.counts.created += 1
  }

  /**
   * Creates for everyone in `mmUserIds` at the pace, until the run's deadline: a throttled one
   * goes to the back of the line, never counted as failed. Returns how many are left.
   */
  const createFor = async (mmUserIds: string[], run: Run): Promise<number> => {
    const line = [...mmUserIds]
    await inPool(
      Array.from({ length: Math.min(opts.concurrency, line.length) }, (_, i) => i),
      opts.concurrency,
      async () => {
        while (line.length > 0 && now() < run.deadline) {
          const id = line.shift() as string
          const outcome = await create(id, run)
          if (outcome === 'created') run.counts.created += 1
          else if (outcome === 'throttled') {
            run.counts.throttled += 1
            line.push(id)
          } else if (outcome === 'late') line.push(id)
        }
      }
    )
    return line.length
  }

  /** Work for a few users or subscriptions, from enrolment or a lifecycle event. */
  const targeted = async (work: SubscriptionWork, run: Run): Promise<void> => {
    if (work.reason === 'reauthorize') {
      await inPool(work.subscriptionIds ?? [], opts.concurrency, async (id) => tally(run, await renew(id, run, true)))
      return
    }
    const ids = work.mmUserIds ?? []
    if (work.reason === 'removed') {
      for (const id of ids) {
        const old = await deps.subscriptions.byUser(id)
        if (old) await deps.subscriptions.remove(old.id)
      }
    }
    run.left += await createFor(ids, run)
  }

  /**
   * Graph can drop a subscription without a lifecycle event: whatever it no longer lists is
   * forgotten here and created again later in the run (else the user would get no notifications
   * until the renewal's 404, half a lifetime later). One GET per 100 subscriptions.
   */
  const forgetVanished = async (run: Run): Promise<void> => {
    let vanished = 0
    try {
      const inGraph = new Set((await run.listExisting()).map((x) => x.id))
      for (const id of (await deps.subscriptions.expiringBefore(EVERY, ALL)).filter((x) => !inGraph.has(x))) {
        await deps.subscriptions.remove(id)
        vanished += 1
      }
    } catch (err) {
      fail(run, 'listing subscriptions', err)
    }
    if (vanished > 0) deps.log.warn({ vanished }, 'subscriptions Graph no longer has; creating new ones')
  }

  /** Users who left or opted out lose their subscription. */
  const deleteOrphans = async (held: Map<string, StoredSubscription>, enrolled: Set<string>, run: Run): Promise<void> => {
    const orphans = [...held.values()].filter((s) => !enrolled.has(s.mmUserId))
    await inPool(orphans, opts.concurrency, async (s) => {
      try {
        await deps.api.delete(s.id)
        await deps.subscriptions.remove(s.id)
        run.counts.deleted += 1
      } catch (err) {
        fail(run, s.id, err)
      }
    })
  }

  /**
   * Creates for the enrolled users with a mailbox and no subscription, until the run's deadline.
   * Records are read 2,000 at a time as the creations go: on a first start at 100,000 users,
   * reading every record at once held them all in memory.
   */
  const createMissing = async (held: Map<string, StoredSubscription>, enrolled: Set<string>, run: Run): Promise<void> => {
    const withSub = new Set([...held.values()].map((s) => s.mmUserId))
    const candidates = [...enrolled].filter((id) => !withSub.has(id))
    for (let checked = 0; checked < candidates.length; checked += READ_CHUNK) {
      if (now() >= run.deadline) {
        run.left += candidates.length - checked
        break
      }
      const records = await deps.users.getMany(candidates.slice(checked, checked + READ_CHUNK))
      const eligible = [...records.values()].filter((u) => u.graphUserId && u.mailbox === 'ok').map((u) => u.mmUserId)
      run.left += await createFor(eligible, run)
    }
    if (run.left > 0) deps.log.info({ left: run.left }, 'more subscriptions to create in the next run')
  }

  /** The periodic upkeep: forget vanished ones, delete orphans, renew the due, create the missing. */
  const upkeep = async (run: Run): Promise<void> => {
    const enrolled = new Set(await deps.users.enrolledIds())
    await forgetVanished(run)
    const held = await deps.subscriptions.getMany(await deps.subscriptions.expiringBefore(EVERY, ALL))
    await deleteOrphans(held, enrolled, run)
    const due = await deps.subscriptions.expiringBefore(now() + renewWindowMs, ALL)
    const dueLive = due.filter((id) => enrolled.has(held.get(id)?.mmUserId ?? ''))
    await inPool(dueLive, opts.concurrency, async (id) => tally(run, await renew(id, run)))
    await createMissing(held, enrolled, run)
  }

  const report = async (run: Run): Promise<Outcome> => {
    const total = await deps.subscriptions.count()
    gauges.active.set(total)
    gauges.expiring.set((await deps.subscriptions.expiringBefore(now() + 24 * 3600_000, ALL)).length)
    gauges.failed.set(run.failures.length)
    if (run.failures.length > 0) deps.log.warn({ failures: run.failures.slice(0, 20), count: run.failures.length }, 'subscription upkeep had failures')
    if (run.subscribed.length > 0 && deps.onSubscribed) await deps.onSubscribed(run.subscribed)
    return { outcome: 'done', detail: { ...run.counts, failed: run.failures.length, left: run.left, total } }
  }

  const newRun = (): Run => {
    let listed: Promise<Subscription[]> | null = null
    return {
      failures: [],
      // One listing of Graph's subscriptions per run, shared by every 409 in that run.
      listExisting: () => (listed ??= deps.api.list()),
      subscribed: [],
      counts: { created: 0, renewed: 0, deleted: 0, throttled: 0 },
      deadline: now() + opts.runBudgetMs,
      left: 0
    }
  }

  return async (work) => {
    const many = work.reason === 'upkeep' || (work.mmUserIds ?? []).length > FEW
    if (!many) {
      const run = newRun()
      await targeted(work, run)
      return report(run)
    }
    // One run for many at a time in the cluster, at the pace; the lock outlives the budget by
    // the renewals and deletions that come first.
    const locked = await deps.locks.run(LOCK, opts.runBudgetMs + 5 * 60_000, async () => {
      const run = newRun()
      if (work.reason === 'upkeep') await upkeep(run)
      else await targeted(work, run)
      return report(run)
    })
    if (!locked.ran) {
      if (work.reason === 'upkeep') return { outcome: 'skipped', reason: 'another subscription run is in progress' }
      // Newcomers the running upkeep may have listed before they were enrolled: try again after it.
      throw new RetryLater('another subscription run is in progress', 60_000)
    }
    const result = locked.value
    if (result.outcome === 'done' && Number(result.detail?.['left'] ?? 0) > 0) await deps.continueLater()
    return result
  }
}
