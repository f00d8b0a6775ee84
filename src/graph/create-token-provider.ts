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

export function createTokenProvider(config: MicrosoftConfig, deps: { log: Logger; metrics: GraphMetrics }): TokenProvider {
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

  const acquire = async (forceRefresh: boolean): Promise<string> => {
    try {
      const result = await app.acquireTokenByClientCredential({ scopes, skipCache: forceRefresh })
      if (!result?.accessToken) throw new GraphAuthError('unavailable', 'no access token in the answer')
      deps.metrics.tokenRequests.inc({ outcome: result.fromCache ? 'cached' : 'fetched' })
      return result.accessToken
    } catch (err) {
      if (err instanceof GraphAuthError) throw err
      const e = err as { errorCode?: string; errorMessage?: string; message?: string; subError?: string }
      const text = [e.errorCode, e.subError, e.errorMessage, e.message].filter(Boolean).join(' ')
      const problem = classifyAuthFailure(text)
      deps.metrics.tokenRequests.inc({ outcome: 'error' })
      // Keep the AADSTS code for support; drop the rest (trace ids, timestamps).
      const code = /AADSTS\d+/.exec(text)?.[0] ?? e.errorCode ?? ''
      throw new GraphAuthError(problem, code)
    }
  }

  return {
    async getToken(opts) {
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
