import { ConfidentialClientApplication, LogLevel as MsalLogLevel } from '@azure/msal-node'
import type { Logger } from 'pino'
import type { MicrosoftConfig } from '../config'
import { GraphAuthError, classifyAuthFailure } from './errors'
import type { GraphMetrics } from './graph-metrics'

export interface TokenProvider {
  /**
   * A valid app-only token for Graph; msal-node caches it and renews it 5 min before expiry.
   * `forceRefresh` skips the cache (Graph refused the token), unless a refresh started after
   * `unlessRefreshedSince` (ms): then that newer token is good enough.
   */
  getToken(opts?: { forceRefresh?: boolean; unlessRefreshedSince?: number }): Promise<string>
}

// Microsoft's own authority hosts need instance discovery; any other host (a sovereign cloud
// or a simulator) must be listed in knownAuthorities or msal-node asks Microsoft about it.
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net'
])

/** What the token provider tells about sign-ins (src/main/create-services.ts turns it into admin notices). */
export interface SignInHooks {
  /** A token was fetched from the identity host (not served from the cache). */
  signedIn?(): void
  /** A sign-in failed in a way only an administrator can fix (`retryable` false). */
  signInFailed?(err: GraphAuthError): void
}

/**
 * After a sign-in failure that needs an administrator, every request for a token fails at once
 * with the same error for this long, without asking the identity host: msal-node remembers only
 * 429 and 5xx answers, and a site's many jobs must not each try the wrong secret again
 * (docs/graph.md#sign-in-failures).
 */
export const SIGN_IN_HOLD_MS = 30_000

export function createTokenProvider(
  config: MicrosoftConfig,
  deps: { log: Logger; metrics: GraphMetrics; hooks?: SignInHooks },
  opts: { holdMs?: number } = {}
): TokenProvider {
  const authorityUrl = new URL(config.authorityHost)
  const known = MICROSOFT_AUTHORITY_HOSTS.has(authorityUrl.hostname.toLowerCase()) ? [] : [authorityUrl.host]
  const app = new ConfidentialClientApplication({
    auth: {
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      authority: `${config.authorityHost}/${config.tenantId}`,
      knownAuthorities: known
    },
    system: {
      loggerOptions: {
        logLevel: MsalLogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (level, message) => {
          if (level <= MsalLogLevel.Warning) deps.log.warn({ msal: message }, 'msal')
        }
      }
    }
  })
  // The scope is the Graph host's own `.default` (a sovereign cloud or a simulator differ).
  const scopes = [`${config.graphUrl}/.default`]
  let inflight: Promise<string> | null = null
  let refreshing: Promise<string> | null = null
  let refreshStartedAt = 0
  const holdMs = opts.holdMs ?? SIGN_IN_HOLD_MS
  let held: { error: GraphAuthError; until: number } | null = null

  const hook = (fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      deps.log.warn({ err }, 'sign-in hook failed')
    }
  }

  const acquire = async (forceRefresh: boolean): Promise<string> => {
    let failure: GraphAuthError
    try {
      const result = await app.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh })
      if (!result?.accessToken) throw new GraphAuthError('unavailable', 'no access token in the answer')
      deps.metrics.tokenRequests.inc({ outcome: result.fromCache ? 'cached' : 'fetched' })
      held = null
      if (!result.fromCache) hook(() => deps.hooks?.signedIn?.())
      return result.accessToken
    } catch (err) {
      if (err instanceof GraphAuthError) failure = err
      else {
        const e = err as { errorCode?: string; errorMessage?: string; message?: string; subError?: string }
        const text = [e.errorCode, e.subError, e.errorMessage, e.message].filter(Boolean).join(' ')
        deps.metrics.tokenRequests.inc({ outcome: 'error' })
        // Keep the AADSTS code for support; drop the rest (trace ids, timestamps).
        const code = /AADSTS\d+/.exec(text)?.[0] ?? e.errorCode ?? ''
        failure = new GraphAuthError(classifyAuthFailure(text), code)
      }
    }
    if (!failure.retryable) {
      held = { error: failure, until: Date.now() + holdMs }
      hook(() => deps.hooks?.signInFailed?.(failure))
    }
    throw failure
  }

  return {
    async getToken(opts) {
      if (held && Date.now() < held.until) {
        deps.metrics.tokenRequests.inc({ outcome: 'held' })
        throw held.error
      }
      const forceRefresh = opts?.forceRefresh ?? false
      if (forceRefresh) {
        if (refreshing) return refreshing
        if (opts?.unlessRefreshedSince !== undefined && refreshStartedAt >= opts.unlessRefreshedSince) return acquire(false)
        refreshStartedAt = Date.now()
        refreshing = acquire(true).finally(() => {
          refreshing = null
        })
        return refreshing
      }
      // Many concurrent batches ask at once on a cold cache: one request to the identity host.
      inflight ??= acquire(false).finally(() => {
        inflight = null
      })
      return inflight
    }
  }
}
