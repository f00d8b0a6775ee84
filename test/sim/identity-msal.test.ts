import t, { type Test } from 'tap'
import { ConfidentialClientApplication, type AuthenticationResult } from '@azure/msal-node'
import pino from 'pino'
import { Registry } from 'prom-client'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startIdentitySim, type IdentitySim, type IdentitySimOptions } from '../../sim/identity/server'
import { createTokenProvider } from '../../src/graph/create-token-provider'
import { GraphAuthError } from '../../src/graph/errors'
import { createGraphMetrics } from '../../src/graph/graph-metrics'

// The identity simulator through the real @azure/msal-node client credentials flow, configured
// as src/graph/create-token-provider.ts configures it (authority `${url}/${tenant}`, the host in
// knownAuthorities). msal uses Node's global fetch: the test CA is trusted only through
// NODE_EXTRA_CA_CERTS at process start (.taprc test-env sets it).

const GRAPH = 'https://127.0.0.1:9443'
const SCOPES = [`${GRAPH}/.default`]

if (!process.env.NODE_EXTRA_CA_CERTS) {
  t.fail('NODE_EXTRA_CA_CERTS must point at sim/tls/ca.pem (set in .taprc test-env; or run with NODE_EXTRA_CA_CERTS=sim/tls/ca.pem npx tap ...)')
}

async function start(t: Test, opts: Partial<IdentitySimOptions> = {}): Promise<IdentitySim> {
  const sim = await startIdentitySim({ tokens: createTokenRegistry(), graphUrl: GRAPH, ...opts })
  t.teardown(() => sim.stop())
  return sim
}

function msal(sim: IdentitySim, o: { tenant?: string; clientId?: string; secret?: string } = {}): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: o.clientId ?? sim.clientId!,
      clientSecret: o.secret ?? sim.clientSecret!,
      authority: `${sim.url}/${o.tenant ?? sim.tenantId}`,
      knownAuthorities: [sim.host]
    }
  })
}

async function failure(p: Promise<unknown>): Promise<{ errorCode: string; errorMessage: string; subError: string; name: string; status?: number }> {
  try {
    await p
  } catch (err) {
    return err as { errorCode: string; errorMessage: string; subError: string; name: string; status?: number }
  }
  throw new Error('expected a failure')
}

t.test('a token from msal-node, accepted by the shared registry; the second acquire comes from msal cache', async (t) => {
  const tokens = createTokenRegistry()
  const sim = await start(t, { tokens })
  const app = msal(sim)
  const first = (await app.acquireTokenByClientCredential({ scopes: SCOPES })) as AuthenticationResult
  t.equal(first.fromCache, false)
  t.equal(first.tokenType, 'Bearer')
  const check = tokens.check(`Bearer ${first.accessToken}`)
  t.match(check, { ok: true, issued: { tenant: sim.tenantId, clientId: sim.clientId, scope: SCOPES[0] } })
  t.ok(first.expiresOn && Math.abs(first.expiresOn.getTime() - (Date.now() + 3599_000)) < 5000, 'expiresOn from expires_in')
  t.match(sim.counters(), { openIdConfigRequests: 1, discoveryRequests: 0, tokenRequests: { total: 1, ok: 1 } })

  const before = sim.counters()
  const second = (await app.acquireTokenByClientCredential({ scopes: SCOPES })) as AuthenticationResult
  t.equal(second.fromCache, true)
  t.equal(second.accessToken, first.accessToken)
  t.same(sim.counters(), before, 'no request at all')

  const forced = (await app.acquireTokenByClientCredential({ scopes: SCOPES, skipCache: true })) as AuthenticationResult
  t.not(forced.accessToken, first.accessToken, 'skipCache asks again')
  t.equal(sim.counters().tokenRequests.ok, 2)
  t.equal(sim.counters().openIdConfigRequests, 1, 'the openid configuration stays cached')
})

t.test('authority by domain; Microsoft Graph scope; short lifetimes are never served from cache', async (t) => {
  const tokens = createTokenRegistry()
  const sim = await start(t, { tokens })
  const app = msal(sim, { tenant: 'contoso.example' })
  const r = (await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })) as AuthenticationResult
  t.match(tokens.check(`Bearer ${r.accessToken}`), { ok: true, issued: { tenant: sim.tenantId, scope: 'https://graph.microsoft.com/.default' } })
  t.equal(sim.history.tokenRequests[0]!.tenant, 'contoso.example', 'msal posts to the authority it was given')

  // msal renews 5 minutes before expiry: a token living 4 minutes is fetched every time.
  sim.driver.setExpiresIn(240)
  const app2 = msal(sim)
  await app2.acquireTokenByClientCredential({ scopes: SCOPES })
  await app2.acquireTokenByClientCredential({ scopes: SCOPES })
  t.equal(sim.counters().tokenRequests.ok, 3)
})

t.test('bad secret, expired secret, unknown client: msal errors carry the AADSTS code', async (t) => {
  const sim = await start(t)
  const bad = await failure(msal(sim, { secret: 'wrong' }).acquireTokenByClientCredential({ scopes: SCOPES }))
  t.equal(bad.errorCode, 'invalid_client')
  t.equal(bad.status, 401)
  t.match(bad.errorMessage, /^Error\(s\): 7000215 - Timestamp: .* - Description: AADSTS7000215: Invalid client secret provided\./)

  sim.driver.expireSecret(sim.clientId!)
  const expired = await failure(msal(sim).acquireTokenByClientCredential({ scopes: SCOPES }))
  t.equal(expired.errorCode, 'invalid_client')
  t.match(expired.errorMessage, /AADSTS7000222: The provided client secret keys for app/)

  const unknown = await failure(msal(sim, { clientId: '99999999-9999-9999-9999-999999999999' }).acquireTokenByClientCredential({ scopes: SCOPES }))
  t.equal(unknown.errorCode, 'unauthorized_client')
  t.match(unknown.errorMessage, /AADSTS700016/)
  t.match(sim.counters().tokenRequests.byError, { AADSTS7000215: 1, AADSTS7000222: 1, AADSTS700016: 1 })
})

t.test('unknown tenant: the openid configuration fails, msal never reaches the token endpoint', async (t) => {
  const sim = await start(t)
  const err = await failure(msal(sim, { tenant: 'fabrikam.example' }).acquireTokenByClientCredential({ scopes: SCOPES }))
  // msal-node wraps the failed discovery (openid_config_error) in endpoints_resolution_error.
  t.match(err.errorCode, /^(endpoints_resolution_error|openid_config_error)$/)
  t.equal(sim.counters().openIdConfigRequests, 1)
  t.equal(sim.counters().tokenRequests.total, 0)
})

t.test('consent missing: AADSTS65001 until an admin consents (redirect with state), then a token', async (t) => {
  const sim = await start(t, { apps: [{ secret: 's3cret', consented: false }] })
  const app = msal(sim)
  const err = await failure(app.acquireTokenByClientCredential({ scopes: SCOPES }))
  t.equal(err.errorCode, 'invalid_grant')
  t.equal(err.subError, 'consent_required')
  t.equal(err.name, 'InteractionRequiredAuthError', 'msal treats consent_required as interaction required')
  t.match(err.errorMessage, /AADSTS65001: The user or administrator has not consented to use the application/)

  // The admin declines first, then consents.
  sim.driver.declineNextConsent()
  const declined = await fetch(sim.consentUrl({ clientId: sim.clientId!, redirectUri: 'https://calstatus.example/admin/consent/callback', state: 'st-1' }), {
    redirect: 'manual'
  })
  t.equal(declined.status, 302)
  const dl = new URL(declined.headers.get('location')!)
  t.equal(dl.origin + dl.pathname, 'https://calstatus.example/admin/consent/callback')
  t.equal(dl.searchParams.get('error'), 'access_denied')
  t.equal(dl.searchParams.get('state'), 'st-1')
  t.match(dl.searchParams.get('error_description'), /^AADSTS65004: User declined to consent to access the app\.\r\nTrace ID: /)
  t.equal(sim.driver.app(sim.clientId!)!.consented, false)
  t.equal((await failure(app.acquireTokenByClientCredential({ scopes: SCOPES }))).errorCode, 'invalid_grant')

  const granted = await fetch(sim.consentUrl({ clientId: sim.clientId!, redirectUri: 'https://calstatus.example/admin/consent/callback', state: 'st-2' }), {
    redirect: 'manual'
  })
  t.equal(granted.status, 302)
  const gl = new URL(granted.headers.get('location')!)
  t.same(Object.fromEntries(gl.searchParams), { admin_consent: 'True', tenant: sim.tenantId, state: 'st-2' })
  const ok = (await app.acquireTokenByClientCredential({ scopes: SCOPES })) as AuthenticationResult
  t.ok(sim.tokens.check(`Bearer ${ok.accessToken}`).ok)
  t.match(sim.counters().adminConsent, { granted: 1, declined: 1, failed: 0 })
})

t.test('a 503 with Retry-After: msal fails, refuses locally until Retry-After has passed, then gets a token', async (t) => {
  const sim = await start(t)
  const app = msal(sim)
  sim.driver.failNext(1, 503, { retryAfterSeconds: 1 })
  const err = await failure(app.acquireTokenByClientCredential({ scopes: SCOPES }))
  t.equal(err.errorCode, 'temporarily_unavailable')
  t.equal(err.status, 503)
  t.match(err.errorMessage, /AADSTS90033/)
  const again = await failure(app.acquireTokenByClientCredential({ scopes: SCOPES }))
  t.match(again.errorMessage, /AADSTS90033/, 'msal answers from its throttling cache')
  t.equal(sim.counters().tokenRequests.total, 1, 'without asking the server')
  await new Promise((r) => setTimeout(r, 1200))
  const ok = (await app.acquireTokenByClientCredential({ scopes: SCOPES })) as AuthenticationResult
  t.ok(ok.accessToken)
  t.equal(sim.counters().tokenRequests.total, 2)
})

t.test("the service's token provider classifies the simulator's answers", async (t) => {
  const [a, b, c] = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', 'cccccccc-0000-4000-8000-000000000003']
  const sim = await start(t, {
    apps: [
      { clientId: a, secret: 'a' },
      { clientId: b, secret: 'b', secretExpired: true },
      { clientId: c, secret: 'c', consented: false }
    ]
  })
  const provider = (o: { tenantId?: string; clientId: string; clientSecret: string }) =>
    createTokenProvider(
      {
        tenantId: o.tenantId ?? sim.tenantId,
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        authorityHost: sim.url,
        graphUrl: GRAPH,
        maxConcurrentBatches: 1,
        timeoutSeconds: 10,
        subscriptionLifetimeMinutes: 60,
        subscriptionCreatesPerSecond: 40
      },
      { log: pino({ level: 'silent' }), metrics: createGraphMetrics(new Registry()) }
    )
  const problem = async (p: Promise<string>): Promise<string> => {
    try {
      await p
      return 'ok'
    } catch (err) {
      t.type(err, GraphAuthError)
      return `${(err as GraphAuthError).problem} ${(err as GraphAuthError).detail}`
    }
  }
  t.equal(await problem(provider({ clientId: a, clientSecret: 'a' }).getToken()), 'ok')
  t.equal(await problem(provider({ clientId: a, clientSecret: 'wrong' }).getToken()), 'bad-secret AADSTS7000215')
  t.equal(await problem(provider({ clientId: b, clientSecret: 'b' }).getToken()), 'expired-secret AADSTS7000222')
  t.equal(await problem(provider({ clientId: c, clientSecret: 'c' }).getToken()), 'consent-missing AADSTS65001')
  t.equal(await problem(provider({ clientId: '99999999-9999-9999-9999-999999999999', clientSecret: 'x' }).getToken()), 'bad-client AADSTS700016')
  t.match(await problem(provider({ tenantId: 'fabrikam.example', clientId: a, clientSecret: 'a' }).getToken()), /^tenant-not-found/)
  sim.driver.failNext(1, 503, { retryAfterSeconds: 1 })
  t.match(await problem(provider({ clientId: a, clientSecret: 'a' }).getToken()), /^unavailable/)
})
