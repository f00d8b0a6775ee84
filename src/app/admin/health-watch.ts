import type { SubscriptionStore } from '../../store/subscription-store'
import type { AdminNotices, ProblemKind } from '../admin-notices'
import type { Outcome } from '../outcome'
import { redisChecks, type RedisInfoPort } from './redis-checks'

// The `health` job (docs/architecture.md#failure-notices): what the setup checklist finds wrong
// that lasts — failing calendar subscriptions, Redis without persistence or with eviction — reaches
// the admins as notices (the page's list and a DM), and the all-clear when it is fixed.

export interface HealthWatchDeps {
  subscriptions: Pick<SubscriptionStore, 'health'>
  redis: RedisInfoPort
  notices: Pick<AdminNotices, 'raise' | 'clear'>
  now?: () => number
}

const HOUR_MS = 3600_000

export function createHealthWatch(deps: HealthWatchDeps): () => Promise<Outcome> {
  const now = deps.now ?? Date.now
  const problem = async (kind: ProblemKind, text: string | null): Promise<void> => {
    if (text === null) await deps.notices.clear(kind)
    else await deps.notices.raise(kind, text)
  }

  const subscriptions = async (): Promise<number> => {
    const h = await deps.subscriptions.health(now(), HOUR_MS)
    const failing = h.failing + h.expired
    await problem(
      'subscriptions-failing',
      failing === 0
        ? null
        : `${failing} calendar subscriptions are failing or expired (last error: ${h.lastError ?? 'none recorded'}), so those people's statuses follow their calendars only through sweeps, minutes late. Check that PUBLIC_URL is reachable from the internet over https and answers Graph's validation (the admin page's checklist tests it); the upkeep retries every 15 minutes.`
    )
    return failing
  }

  const redis = async (): Promise<string[]> => {
    const specs = redisChecks(deps.redis).filter((c) => c.id === 'redis-persistence' || c.id === 'redis-eviction')
    const raised: string[] = []
    for (const spec of specs) {
      const finding = await spec.run().catch(() => null)
      if (finding === null) continue // Redis did not answer: the outage notices say so
      const kind: ProblemKind = spec.id === 'redis-persistence' ? 'redis-persistence' : 'redis-eviction'
      const bad = finding.state === 'fail'
      if (bad) raised.push(kind)
      await problem(kind, bad ? `${finding.detail}. ${finding.fix ?? ''}`.trim() : null)
    }
    return raised
  }

  return async () => {
    const [failing, raised] = await Promise.all([subscriptions(), redis()])
    return { outcome: 'done', detail: { failingSubscriptions: failing, redisProblems: raised.length } }
  }
}
