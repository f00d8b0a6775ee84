import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import { isSignInFailure } from '../graph/errors'
import { SubscriptionGoneError, type Subscription, type SubscriptionsApi } from '../graph/subscriptions'
import { inPool } from '../shared/in-pool'
import { errorMessage } from '../shared/to-error'
import type { StoredSubscription, SubscriptionStore } from '../store/subscription-store'
import type { UserStore } from '../store/user-store'
import type { Outcome } from './outcome'

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
  /** Creations per run: 100,000 users must not hit Graph (and our handshake route) at once. */
  maxCreatesPerRun: number
  /** Graph calls in flight at once. */
  concurrency: number
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
  now?: () => number
}

/** What one run shares: its failures, its one listing of Graph's subscriptions, who got one. */
interface Run {
  failures: string[]
  listExisting: () => Promise<Subscription[]>
  subscribed: string[]
  counts: { created: number; renewed: number; deleted: number }
}

type RenewOutcome = 'renewed' | 'recreated' | 'failed' | 'unknown'

/** Records are read this many at a time when looking for users without a subscription. */
const READ_CHUNK = 2000
const EVERY = Number.POSITIVE_INFINITY
const ALL = 1_000_000

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
  const fail = (run: Run, what: string, err: unknown): void => {
    // No subscription can be made or renewed without a token: end the run, not one failure each.
    if (isSignInFailure(err)) throw err
    run.failures.push(`${what}: ${errorMessage(err)}`)
  }

  const create = async (mmUserId: string, run: Run): Promise<boolean> => {
    const user = await deps.users.get(mmUserId)
    if (!user?.graphUserId || user.mailbox !== 'ok') return true
    const existing = await deps.subscriptions.byUser(mmUserId)
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
      return true
    } catch (err) {
      fail(run, mmUserId, err)
      if (existing) await deps.subscriptions.setError(existing.id, errorMessage(err))
      return false
    }
  }

  const renew = async (subscriptionId: string, run: Run, reauthorize = false): Promise<RenewOutcome> => {
    const sub = await deps.subscriptions.get(subscriptionId)
    if (!sub) return 'unknown'
    try {
      if (reauthorize) await deps.api.reauthorize(subscriptionId)
      const { expirationDateTime } = await deps.api.renew(subscriptionId)
      await deps.subscriptions.save({ ...sub, expiresAt: Date.parse(expirationDateTime), lastRenewedAt: now(), lastError: null })
      return 'renewed'
    } catch (err) {
      if (err instanceof SubscriptionGoneError) {
        // Graph no longer knows it: forget it and make a new one.
        await deps.subscriptions.remove(subscriptionId)
        return (await create(sub.mmUserId, run)) ? 'recreated' : 'failed'
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

  const createFor = async (mmUserIds: string[], run: Run): Promise<void> => {
    await inPool(mmUserIds, opts.concurrency, async (id) => {
      if (await create(id, run)) run.counts.created += 1
    })
  }

  /** Work for a few users or subscriptions, from enrolment or a lifecycle event. */
  const targeted = async (work: SubscriptionWork, run: Run): Promise<void> => {
    if (work.reason === 'reauthorize') {
      await inPool(work.subscriptionIds ?? [], opts.concurrency, async (id) => tally(run, await renew(id, run, true)))
      return
    }
    const ids = (work.mmUserIds ?? []).slice(0, opts.maxCreatesPerRun)
    if (work.reason === 'removed') {
      for (const id of ids) {
        const old = await deps.subscriptions.byUser(id)
        if (old) await deps.subscriptions.remove(old.id)
      }
    }
    await createFor(ids, run)
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
   * The enrolled users with a mailbox and no subscription, at most maxCreatesPerRun. Records are
   * read 2,000 at a time and only until the run's batch is full: on a first start at 100,000
   * users, reading every record at once held them all in memory.
   */
  const missing = async (held: Map<string, StoredSubscription>, enrolled: Set<string>): Promise<string[]> => {
    const withSub = new Set([...held.values()].map((s) => s.mmUserId))
    const candidates = [...enrolled].filter((id) => !withSub.has(id))
    const batch: string[] = []
    let checked = 0
    let more = false
    while (checked < candidates.length && batch.length < opts.maxCreatesPerRun) {
      const chunk = candidates.slice(checked, checked + READ_CHUNK)
      checked += chunk.length
      for (const u of (await deps.users.getMany(chunk)).values()) {
        if (!u.graphUserId || u.mailbox !== 'ok') continue
        if (batch.length < opts.maxCreatesPerRun) batch.push(u.mmUserId)
        else more = true
      }
    }
    if (more || checked < candidates.length) deps.log.info({ notYetChecked: candidates.length - checked }, 'more subscriptions to create in later runs')
    return batch
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
    await createFor(await missing(held, enrolled), run)
  }

  const report = async (run: Run): Promise<Outcome> => {
    const total = await deps.subscriptions.count()
    gauges.active.set(total)
    gauges.expiring.set((await deps.subscriptions.expiringBefore(now() + 24 * 3600_000, ALL)).length)
    gauges.failed.set(run.failures.length)
    if (run.failures.length > 0) deps.log.warn({ failures: run.failures.slice(0, 20), count: run.failures.length }, 'subscription upkeep had failures')
    if (run.subscribed.length > 0 && deps.onSubscribed) await deps.onSubscribed(run.subscribed)
    return { outcome: 'done', detail: { ...run.counts, failed: run.failures.length, total } }
  }

  return async (work) => {
    let listed: Promise<Subscription[]> | null = null
    const run: Run = {
      failures: [],
      // One listing of Graph's subscriptions per run, shared by every 409 in that run.
      listExisting: () => (listed ??= deps.api.list()),
      subscribed: [],
      counts: { created: 0, renewed: 0, deleted: 0 }
    }
    if (work.reason === 'upkeep') await upkeep(run)
    else await targeted(work, run)
    return report(run)
  }
}
