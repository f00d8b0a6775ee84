import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import type { SubscriptionsApi } from '../../graph/subscriptions'
import { SubscriptionGoneError, type Subscription } from '../../graph/subscriptions'
import type { SubscriptionStore } from '../../store/subscription-store'
import type { UserStore } from '../../store/user-store'
import type { JobDataMap, JobResult } from '../jobs'
import { inPool } from '../in-pool'

// Every enrolled user with a mailbox has one live subscription (issue 8, "Subscription upkeep").

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
}

export function createSubscriptionUpkeep(deps: UpkeepDeps, opts: UpkeepOptions) {
  const now = deps.now ?? Date.now
  const gauges = {
    active: new Gauge({ name: 'calstatus_subscriptions_active', help: 'Subscriptions held', registers: [deps.registry] }),
    expiring: new Gauge({ name: 'calstatus_subscriptions_expiring_within_day', help: 'Subscriptions expiring within 24 h', registers: [deps.registry] }),
    failed: new Gauge({
      name: 'calstatus_subscriptions_failed_last_run',
      help: 'Subscription creations or renewals that failed in the last run',
      registers: [deps.registry]
    })
  }
  const lifetimeMs = opts.lifetimeMinutes * 60_000
  // Renew once less than half the lifetime is left: well before expiry, and since creations
  // are spread over runs, renewals spread out the same way.
  const renewWindowMs = lifetimeMs / 2

  /** One listing of Graph's subscriptions per run, shared by every 409 in that run. */
  const listOnce = (): (() => Promise<Subscription[]>) => {
    let listed: Promise<Subscription[]> | null = null
    return () => (listed ??= deps.api.list())
  }

  const create = async (mmUserId: string, run: Run): Promise<void> => {
    const user = await deps.users.get(mmUserId)
    if (!user?.graphUserId || user.mailbox !== 'ok') return
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
    } catch (err) {
      run.failures.push(`${mmUserId}: ${(err as Error).message}`)
      if (existing) await deps.subscriptions.setError(existing.id, (err as Error).message)
    }
  }

  /** 'renewed', 'recreated' (Graph no longer knew it), or 'failed'. */
  const renew = async (subscriptionId: string, run: Run, reauthorize = false): Promise<'renewed' | 'recreated' | 'failed' | 'unknown'> => {
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
        const before = run.failures.length
        await create(sub.mmUserId, run)
        return run.failures.length === before ? 'recreated' : 'failed'
      }
      run.failures.push(`${subscriptionId}: ${(err as Error).message}`)
      await deps.subscriptions.setError(subscriptionId, (err as Error).message)
      return 'failed'
    }
  }

  return async (data: JobDataMap['subscriptions']): Promise<JobResult> => {
    const run: Run = { failures: [], listExisting: listOnce(), subscribed: [] }
    const { failures, listExisting } = run
    const counts = { created: 0, renewed: 0, deleted: 0 }
    const tally = (outcome: 'renewed' | 'recreated' | 'failed' | 'unknown'): void => {
      if (outcome === 'renewed') counts.renewed += 1
      else if (outcome === 'recreated') counts.created += 1
    }
    if (data.reason === 'reauthorize') {
      await inPool(data.subscriptionIds ?? [], opts.concurrency, async (id) => tally(await renew(id, run, true)))
    } else if (data.reason === 'removed' || data.reason === 'enrolment') {
      const ids = (data.mmUserIds ?? []).slice(0, opts.maxCreatesPerRun)
      if (data.reason === 'removed') {
        for (const id of ids) {
          const old = await deps.subscriptions.byUser(id)
          if (old) await deps.subscriptions.remove(old.id)
        }
      }
      await inPool(ids, opts.concurrency, (id) => create(id, run))
      counts.created = ids.length - failures.length
    } else {
      const enrolled = new Set(await deps.users.enrolledIds())
      // 0. Graph can drop a subscription without a lifecycle event: whatever it no longer
      //    lists is forgotten here and created again in step 3 (else the user would get no
      //    notifications until the renewal's 404, half a lifetime later). One GET per 100.
      let vanished = 0
      try {
        const inGraph = new Set((await listExisting()).map((x) => x.id))
        const stored = await deps.subscriptions.expiringBefore(Number.POSITIVE_INFINITY, 1_000_000)
        for (const id of stored.filter((x) => !inGraph.has(x))) {
          await deps.subscriptions.remove(id)
          vanished += 1
        }
      } catch (err) {
        failures.push(`listing subscriptions: ${(err as Error).message}`)
      }
      if (vanished > 0) deps.log.warn({ vanished }, 'subscriptions Graph no longer has; creating new ones')
      // 1. Users who left or opted out lose their subscription.
      const held = await deps.subscriptions.expiringBefore(Number.POSITIVE_INFINITY, 1_000_000)
      const heldSubs = await deps.subscriptions.getMany(held)
      const orphans = [...heldSubs.values()].filter((s) => !enrolled.has(s.mmUserId))
      await inPool(orphans, opts.concurrency, async (s) => {
        try {
          await deps.api.delete(s.id)
          await deps.subscriptions.remove(s.id)
          counts.deleted += 1
        } catch (err) {
          failures.push(`${s.id}: ${(err as Error).message}`)
        }
      })
      // 2. Renew those with less than half their lifetime left.
      const due = await deps.subscriptions.expiringBefore(now() + renewWindowMs, 1_000_000)
      const dueLive = due.filter((id) => heldSubs.get(id) && enrolled.has(heldSubs.get(id)?.mmUserId ?? ''))
      await inPool(dueLive, opts.concurrency, async (id) => tally(await renew(id, run)))
      // 3. Create the missing ones, at most maxCreatesPerRun this run.
      //    Records are read 2,000 at a time and only until the run's batch is full: on a first
      //    start at 100,000 users, reading every record at once held them all in memory.
      const withSub = new Set([...heldSubs.values()].map((s) => s.mmUserId))
      const candidates = [...enrolled].filter((id) => !withSub.has(id))
      const batch: string[] = []
      let checked = 0
      let more = false
      while (checked < candidates.length && batch.length < opts.maxCreatesPerRun) {
        const chunk = candidates.slice(checked, checked + 2000)
        checked += chunk.length
        for (const u of (await deps.users.getMany(chunk)).values()) {
          if (!u.graphUserId || u.mailbox !== 'ok') continue
          if (batch.length < opts.maxCreatesPerRun) batch.push(u.mmUserId)
          else more = true
        }
      }
      const before = failures.length
      await inPool(batch, opts.concurrency, (id) => create(id, run))
      counts.created += batch.length - (failures.length - before)
      if (more || checked < candidates.length) deps.log.info({ notYetChecked: candidates.length - checked }, 'more subscriptions to create in later runs')
    }
    const total = await deps.subscriptions.count()
    gauges.active.set(total)
    gauges.expiring.set((await deps.subscriptions.expiringBefore(now() + 24 * 3600_000, 1_000_000)).length)
    gauges.failed.set(failures.length)
    if (failures.length > 0) deps.log.warn({ failures: failures.slice(0, 20), count: failures.length }, 'subscription upkeep had failures')
    if (run.subscribed.length > 0 && deps.onSubscribed) await deps.onSubscribed(run.subscribed)
    return { outcome: 'done', detail: { ...counts, failed: failures.length, total } }
  }
}
