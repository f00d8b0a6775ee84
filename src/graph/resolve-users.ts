import type { BatchItemResponse, GraphClient } from './create-graph-client'
import type { GraphMetrics } from './graph-metrics'
import { graphErrorOf, runBatches, transientVerdict, type UnitVerdict } from './run-batches'

export type ResolvedUser =
  { kind: 'found'; id: string; mail: string | null; userPrincipalName: string } | { kind: 'not-found' } | { kind: 'failed'; reason: string }

interface Lookup {
  id: string
  email: string
  /** 'upn': GET /users/{email}; 'mail': the e-mail is not a UPN, so filter on `mail`. */
  by: 'upn' | 'mail'
}

/** OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

/**
 * Graph user ids for Mattermost e-mail addresses, 20 look-ups per $batch. GET /users/{x}
 * takes an id or a userPrincipalName; where the e-mail is not the UPN, a second look-up
 * filters on `mail` before calling the user unknown.
 */
export async function resolveUsers(
  client: GraphClient,
  metrics: GraphMetrics,
  emails: string[],
  opts: { maxConcurrentBatches: number; maxAttempts: number; backoffBaseMs?: number }
): Promise<Map<string, ResolvedUser>> {
  const results = new Map<string, ResolvedUser>()
  const unique = [...new Set(emails.map((e) => e.toLowerCase()))]
  const lookups: Lookup[] = unique.map((email, i) => ({ id: `u${i}`, email, by: 'upn' }))

  const onResponse = (lookup: Lookup, res: BatchItemResponse): UnitVerdict => {
    if (res.status === 200) {
      const body = res.body as {
        id?: string
        mail?: string | null
        userPrincipalName?: string
        value?: Array<{ id: string; mail?: string | null; userPrincipalName: string }>
      }
      const user = lookup.by === 'upn' ? body : body.value?.[0]
      if (user?.id) results.set(lookup.email, { kind: 'found', id: user.id, mail: user.mail ?? null, userPrincipalName: user.userPrincipalName ?? '' })
      else results.set(lookup.email, { kind: 'not-found' })
      return { done: true }
    }
    if (res.status === 404 && lookup.by === 'upn') {
      lookup.by = 'mail'
      return { resend: true }
    }
    if (res.status === 404) {
      results.set(lookup.email, { kind: 'not-found' })
      return { done: true }
    }
    const transient = transientVerdict(res)
    if (transient) return transient
    const { code, message } = graphErrorOf(res)
    results.set(lookup.email, { kind: 'failed', reason: `${res.status} ${code}: ${message}` })
    return { done: true }
  }

  await runBatches(client, metrics, lookups, {
    kind: 'user',
    maxConcurrentBatches: opts.maxConcurrentBatches,
    maxAttempts: opts.maxAttempts,
    ...(opts.backoffBaseMs !== undefined ? { backoffBaseMs: opts.backoffBaseMs } : {}),
    toRequest: (l) => ({
      id: l.id,
      method: 'GET',
      url:
        l.by === 'upn'
          ? `/users/${encodeURIComponent(l.email)}?$select=id,mail,userPrincipalName`
          : `/users?$filter=${encodeURIComponent(`mail eq ${odataString(l.email)}`)}&$select=id,mail,userPrincipalName`
    }),
    onResponse,
    onGiveUp: (l, reason) => results.set(l.email, { kind: 'failed', reason })
  })
  return results
}
