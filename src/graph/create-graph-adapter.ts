import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { MicrosoftConfig } from '../config'
import { createTokenProvider, type SignInHooks, type TokenProvider } from './create-token-provider'
import { createGraphClient, type GraphClient } from './create-graph-client'
import { createGraphMetrics, type GraphMetrics } from './graph-metrics'
import { createMailboxGate } from './mailbox-gate'
import { fetchSchedules, type ScheduleResult, type ScheduleWindow } from './fetch-schedules'
import { resolveUsers, type ResolvedUser } from './resolve-users'
import { createSubscriptionsApi, type SubscriptionsApi } from './subscriptions'
import type { RunBatchesStats } from './run-batches'

export interface GraphAdapter {
  tokens: TokenProvider
  client: GraphClient
  metrics: GraphMetrics
  fetchSchedules(emails: string[], window: ScheduleWindow): Promise<{ results: Map<string, ScheduleResult>; stats: RunBatchesStats }>
  resolveUsers(emails: string[]): Promise<Map<string, ResolvedUser>>
  /** null without PUBLIC_URL: Graph has nowhere to deliver notifications. */
  subscriptions: SubscriptionsApi | null
}

export interface GraphAdapterOptions {
  /** Attempts per batch item before it is reported as failed. */
  maxItemAttempts?: number
  /** Base of the backoff when Graph gives no Retry-After (tests shorten it). */
  backoffBaseMs?: number
  /** How long a sign-in failure an administrator must fix is held (SIGN_IN_HOLD_MS; tests shorten it). */
  signInHoldMs?: number
}

/** Everything the service does with Microsoft, from one configuration. */
export function createGraphAdapter(
  config: MicrosoftConfig,
  deps: {
    log: Logger
    registry: Registry
    publicUrl: string | null
    /** sign-ins that worked or need an administrator (admin notices) */
    signIn?: SignInHooks
    /** whether Graph answers, after every attempt (outage notices) */
    health?: (up: boolean) => void
  },
  opts: GraphAdapterOptions = {}
): GraphAdapter {
  const metrics = createGraphMetrics(deps.registry)
  const tokens = createTokenProvider(
    config,
    { log: deps.log, metrics, ...(deps.signIn ? { hooks: deps.signIn } : {}) },
    opts.signInHoldMs !== undefined ? { holdMs: opts.signInHoldMs } : {}
  )
  const client = createGraphClient(
    config,
    { tokens, metrics, log: deps.log, ...(deps.health ? { health: deps.health } : {}) },
    { timeoutMs: config.timeoutSeconds * 1000, maxRetries: 3 }
  )
  // One per process: every schedule fetch of this process counts against the same mailboxes.
  const gate = createMailboxGate()
  const batchOpts = {
    maxConcurrentBatches: config.maxConcurrentBatches,
    maxAttempts: opts.maxItemAttempts ?? 8,
    ...(opts.backoffBaseMs !== undefined ? { backoffBaseMs: opts.backoffBaseMs } : {})
  }
  return {
    tokens,
    client,
    metrics,
    fetchSchedules: (emails, window) => fetchSchedules(client, metrics, emails, window, { ...batchOpts, gate }),
    resolveUsers: (emails) => resolveUsers(client, metrics, emails, batchOpts),
    subscriptions: deps.publicUrl ? createSubscriptionsApi(client, { publicUrl: deps.publicUrl, lifetimeMinutes: config.subscriptionLifetimeMinutes }) : null
  }
}
