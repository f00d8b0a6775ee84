import { randomBytes } from 'node:crypto'
import type { Config } from '../../config'
import type { SubscriptionStore } from '../../store/subscription-store'
import { errorMessage } from '../../shared/to-error'
import { skipped, type CheckSpec, type Finding } from './setup-check'

// Webhook: Graph must reach PUBLIC_URL/graph/notifications (docs/graph.md#change-notifications),
// and the subscriptions pointing there must be alive.

const SOON_MS = 3_600_000
const NO_PUBLIC_URL = 'Set PUBLIC_URL to the https address Microsoft Graph reaches this service at.'

export interface WebhookCheckDeps {
  config: Pick<Config, 'publicUrl'>
  subscriptions: Pick<SubscriptionStore, 'health'>
  now: () => number
  budgetMs: number
}

/** The connection error's code (ECONNREFUSED, ENOTFOUND, ...) says more than fetch's "fetch failed". */
function whyUnreachable(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? errorMessage(err)
}

/**
 * Graph's validation handshake, sent through PUBLIC_URL as Graph would send it: from here out to
 * the public address (DNS, proxy, load balancer) and back in to a web process, which must echo
 * the token. Our x-request-id coming back says a calstatus web process answered (build-app.ts
 * echoes it), not only something that echoes tokens.
 */
async function handshake(publicUrl: string, budgetMs: number): Promise<Finding> {
  const token = randomBytes(16).toString('hex')
  const requestId = `setup-check-${token.slice(0, 8)}`
  const url = `${publicUrl}/graph/notifications?validationToken=${token}`
  const fix = `Start the web process (Procfile "web:") if it is not running, and make ${publicUrl}/graph/notifications reachable from the internet over https (a reverse proxy or load balancer forwarding to this service's PORT); Graph subscribes only to an address that answers this handshake.`
  const started = Date.now()
  let res: Response
  try {
    res = await fetch(url, { method: 'POST', headers: { 'x-request-id': requestId }, signal: AbortSignal.timeout(budgetMs) })
  } catch (err) {
    return { state: 'fail', detail: `${publicUrl} could not be reached: ${whyUnreachable(err)}`, fix, action: 'test-webhook' }
  }
  const body = await res.text()
  const type = res.headers.get('content-type') ?? ''
  if (res.status === 200 && body === token && type.startsWith('text/plain')) {
    const who = res.headers.get('x-request-id') === requestId ? 'a calstatus web process' : 'something that echoes the token'
    return { state: 'ok', detail: `${publicUrl}/graph/notifications answered the validation handshake (${who}, ${Date.now() - started} ms)` }
  }
  // A proxy's own answer when nothing runs behind it.
  const why = [502, 503, 504].includes(res.status) ? 'the address is reachable but nothing behind it answered' : 'something else answers at that address'
  return {
    state: 'fail',
    detail: `${publicUrl}/graph/notifications answered ${res.status} (${type || 'no type'}) without the token: ${why}`,
    fix,
    action: 'test-webhook'
  }
}

function subscriptionsFinding(h: Awaited<ReturnType<SubscriptionStore['health']>>): Finding {
  const counts = `${h.active} active, ${h.expiringSoon} expiring within an hour`
  if (h.failing > 0 || h.expired > 0) {
    const error = h.lastError ? `; for example: ${h.lastError}` : ''
    return {
      state: 'warn',
      detail: `${counts}, ${h.expired} expired, ${h.failing} failing${error}`,
      fix: 'The upkeep retries every 15 minutes; if the number stays, check the webhook line above and the Graph permissions.'
    }
  }
  return { state: 'ok', detail: `${counts} (renewed by the upkeep every 15 minutes)` }
}

export function webhookChecks(deps: WebhookCheckDeps): CheckSpec[] {
  const publicUrl = deps.config.publicUrl
  return [
    {
      id: 'webhook-reachable',
      group: 'webhook',
      title: 'Change notifications reach the service',
      run: async () =>
        publicUrl
          ? handshake(publicUrl, deps.budgetMs)
          : skipped('PUBLIC_URL is not set: no change notifications; statuses follow calendars through sweeps only', NO_PUBLIC_URL)
    },
    {
      id: 'webhook-subscriptions',
      group: 'webhook',
      title: 'Change-notification subscriptions',
      run: async () =>
        publicUrl
          ? subscriptionsFinding(await deps.subscriptions.health(deps.now(), SOON_MS))
          : skipped('PUBLIC_URL is not set: no subscriptions', NO_PUBLIC_URL)
    }
  ]
}
