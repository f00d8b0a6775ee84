import t, { type Test } from 'tap'
import { request } from 'node:https'
import { loadSimTls } from '../../sim/shared/tls'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import { startIdentitySim, type IdentitySim, type IdentitySimOptions } from '../../sim/identity/server'

// The identity simulator's endpoints over raw HTTPS (sim/identity/README.md): tenant and
// instance discovery, and the token endpoint's answers, errors shaped as Microsoft shapes them.

const ca = loadSimTls().ca

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any
}

function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

const form = (fields: Record<string, string>): { method: string; headers: Record<string, string>; body: string } => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8' },
  body: new URLSearchParams(fields).toString()
})

async function start(t: Test, opts: Partial<IdentitySimOptions> = {}): Promise<IdentitySim> {
  const sim = await startIdentitySim({ tokens: createTokenRegistry(), graphUrl: 'https://127.0.0.1:9443', ...opts })
  t.teardown(() => sim.stop())
  return sim
}

t.test('openid configuration by tenant id and by domain: endpoints on this host, with the tenant id', async (t) => {
  const sim = await start(t)
  t.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  for (const segment of [sim.tenantId, 'Contoso.Example']) {
    const res = await call(`${sim.url}/${segment}/v2.0/.well-known/openid-configuration`)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.match(res.json, {
      token_endpoint: `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`,
      authorization_endpoint: `${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${sim.url}/${sim.tenantId}/oauth2/v2.0/logout`,
      jwks_uri: `${sim.url}/${sim.tenantId}/discovery/v2.0/keys`,
      issuer: `${sim.url}/${sim.tenantId}/v2.0`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      msgraph_host: '127.0.0.1:9443'
    })
  }
  const common = await call(`${sim.url}/common/v2.0/.well-known/openid-configuration`)
  t.equal(common.json.issuer, `${sim.url}/{tenantid}/v2.0`, 'common keeps the placeholder')
  t.equal(common.json.token_endpoint, `${sim.url}/common/oauth2/v2.0/token`)
  const keys = await call(`${sim.url}/${sim.tenantId}/discovery/v2.0/keys`)
  t.same(keys.json, { keys: [] })
  t.equal(sim.counters().openIdConfigRequests, 3)
  t.equal(sim.counters().keysRequests, 1)
})

t.test('openid configuration for an unknown tenant: 400 invalid_tenant AADSTS90002, shaped as Microsoft', async (t) => {
  const sim = await start(t, { now: () => Date.UTC(2026, 2, 15, 12, 0, 5) })
  const res = await call(`${sim.url}/fabrikam.example/v2.0/.well-known/openid-configuration`, { headers: { 'client-request-id': 'cid-1' } })
  t.equal(res.status, 400)
  t.match(res.json, { error: 'invalid_tenant', error_codes: [90002], timestamp: '2026-03-15 12:00:05Z', correlation_id: 'cid-1' })
  t.equal(res.json.trace_id, res.headers['x-ms-request-id'], 'trace id is the request id')
  t.equal(res.headers['client-request-id'], 'cid-1', 'the correlation id is echoed')
  t.equal(res.json.error_uri, `${sim.url}/error?code=90002`)
  const lines = (res.json.error_description as string).split('\r\n')
  t.equal(
    lines[0],
    "AADSTS90002: Tenant 'fabrikam.example' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
  )
  t.same(lines.slice(1), [`Trace ID: ${res.json.trace_id}`, 'Correlation ID: cid-1', 'Timestamp: 2026-03-15 12:00:05Z'])

  const guid = await call(`${sim.url}/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration`)
  t.match(guid.json, { error: 'invalid_tenant', error_codes: [90002] })
  const invalid = await call(`${sim.url}/not_a_tenant/v2.0/.well-known/openid-configuration`)
  t.match(invalid.json, {
    error: 'invalid_tenant',
    error_codes: [900023],
    error_description: /^AADSTS900023: Specified tenant identifier 'not_a_tenant' is neither a valid DNS name/
  })
  const noCid = await call(`${sim.url}/fabrikam.example/v2.0/.well-known/openid-configuration`)
  t.match(noCid.json.correlation_id, /^[0-9a-f-]{36}$/, 'a correlation id is made up when none is sent')
})

t.test('instance discovery: this host only; another host is invalid_instance', async (t) => {
  const sim = await start(t)
  const authz = encodeURIComponent(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize`)
  const res = await call(`${sim.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authz}`)
  t.equal(res.status, 200)
  t.same(res.json, {
    tenant_discovery_endpoint: `${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: sim.host, preferred_cache: sim.host, aliases: [sim.host] }]
  })
  const other = await call(
    `${sim.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent('https://login.example.net/x/oauth2/v2.0/authorize')}`
  )
  t.equal(other.status, 400)
  t.match(other.json, { error: 'invalid_instance', error_codes: [50049] })
  t.equal(sim.counters().discoveryRequests, 2)
})

t.test('client credentials: a token for the Graph host, recorded in the shared registry', async (t) => {
  const tokens = createTokenRegistry()
  const sim = await start(t, { tokens, expiresInSeconds: 3599 })
  const res = await call(
    `${sim.url}/${sim.tenantId}/oauth2/v2.0/token?client-request-id=abc`,
    form({ grant_type: 'client_credentials', client_id: sim.clientId!, client_secret: sim.clientSecret!, scope: 'https://127.0.0.1:9443/.default' })
  )
  t.equal(res.status, 200)
  t.same(Object.keys(res.json), ['token_type', 'expires_in', 'ext_expires_in', 'access_token'])
  t.match(res.json, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/ })
  t.equal(res.headers['cache-control'], 'no-store, no-cache')
  const check = tokens.check(`Bearer ${res.json.access_token}`)
  t.match(check, { ok: true, issued: { tenant: sim.tenantId, clientId: sim.clientId, scope: 'https://127.0.0.1:9443/.default' } })
  t.equal(sim.history.tokenRequests[0]!.token, res.json.access_token)

  // Microsoft's own Graph resource, by URL (any case, a doubled slash) or by app id; by domain; Basic auth.
  for (const scope of ['https://graph.microsoft.com/.default', 'https://GRAPH.microsoft.com//.default', '00000003-0000-0000-c000-000000000000/.default']) {
    t.equal(
      (
        await call(
          `${sim.url}/contoso.example/oauth2/v2.0/token`,
          form({ grant_type: 'client_credentials', client_id: sim.clientId!, client_secret: sim.clientSecret!, scope })
        )
      ).status,
      200,
      scope
    )
  }
  const basic = Buffer.from(`${encodeURIComponent(sim.clientId!)}:${encodeURIComponent(sim.clientSecret!)}`).toString('base64')
  const viaBasic = await call(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    ...form({ grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` }
  })
  t.equal(viaBasic.status, 200, 'client_secret_basic')
  t.equal(tokens.count(), 5)

  sim.driver.setExpiresIn(120)
  const short = await call(
    `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`,
    form({ grant_type: 'client_credentials', client_id: sim.clientId!, client_secret: sim.clientSecret!, scope: 'https://graph.microsoft.com/.default' })
  )
  t.match(short.json, { expires_in: 120, ext_expires_in: 120 })
  const issued = tokens.check(`Bearer ${short.json.access_token}`)
  t.ok(issued.ok && issued.issued.expiresAt - issued.issued.issuedAt === 120_000)
  t.match(sim.counters().tokenRequests, { total: 6, ok: 6, byError: {} })
})

t.test('token endpoint errors, as Microsoft answers them', async (t) => {
  const sim = await start(t)
  const app = sim.driver.addApp({ secret: 'right~secret', consented: false, name: 'calstatus-test' })
  const expired = sim.driver.addApp({ secret: 'old~secret', secretExpired: true })
  const good = { grant_type: 'client_credentials', client_id: sim.clientId!, client_secret: sim.clientSecret!, scope: 'https://graph.microsoft.com/.default' }
  const cases: Array<{
    name: string
    path?: string
    fields: Record<string, string>
    status: number
    error: string
    code: number
    text: RegExp
    suberror?: string
  }> = [
    {
      name: 'unknown tenant',
      path: 'fabrikam.example',
      fields: good,
      status: 400,
      error: 'invalid_request',
      code: 90002,
      text: /Tenant 'fabrikam.example' not found/
    },
    { name: 'invalid tenant', path: 'x_y', fields: good, status: 400, error: 'invalid_request', code: 900023, text: /neither a valid DNS name/ },
    { name: 'common', path: 'common', fields: good, status: 400, error: 'invalid_request', code: 50059, text: /No tenant-identifying information/ },
    { name: 'no grant_type', fields: { ...good, grant_type: '' }, status: 400, error: 'invalid_request', code: 900144, text: /'grant_type'/ },
    {
      name: 'wrong grant_type',
      fields: { ...good, grant_type: 'password' },
      status: 400,
      error: 'unsupported_grant_type',
      code: 70003,
      text: /unsupported grant type 'password'/
    },
    { name: 'no client_id', fields: { ...good, client_id: '' }, status: 400, error: 'invalid_request', code: 900144, text: /'client_id'/ },
    {
      name: 'unknown client',
      fields: { ...good, client_id: '99999999-9999-9999-9999-999999999999' },
      status: 400,
      error: 'unauthorized_client',
      code: 700016,
      text: /Application with identifier '99999999-9999-9999-9999-999999999999' was not found in the directory 'Contoso'/
    },
    {
      name: 'no secret',
      fields: { ...good, client_secret: '' },
      status: 401,
      error: 'invalid_client',
      code: 7000218,
      text: /'client_assertion' or 'client_secret'/
    },
    {
      name: 'bad secret',
      fields: { ...good, client_secret: 'nope' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
      text: /^AADSTS7000215: Invalid client secret provided\. Ensure the secret being sent in the request is the client secret value, not the client secret ID/
    },
    {
      name: 'expired secret',
      fields: { ...good, client_id: expired.clientId, client_secret: 'old~secret' },
      status: 401,
      error: 'invalid_client',
      code: 7000222,
      text: /client secret keys for app '.*' are expired/
    },
    {
      name: 'wrong secret of an expired app',
      fields: { ...good, client_id: expired.clientId, client_secret: 'nope' },
      status: 401,
      error: 'invalid_client',
      code: 7000215,
      text: /Invalid client secret/
    },
    { name: 'no scope', fields: { ...good, scope: '' }, status: 400, error: 'invalid_request', code: 900144, text: /'scope'/ },
    {
      name: 'scope without /.default',
      fields: { ...good, scope: 'https://graph.microsoft.com/Calendars.Read' },
      status: 400,
      error: 'invalid_scope',
      code: 1002012,
      text: /must have a scope value with \/\.default suffixed/
    },
    {
      name: 'two scopes',
      fields: { ...good, scope: 'https://graph.microsoft.com/.default offline_access' },
      status: 400,
      error: 'invalid_scope',
      code: 70011,
      text: /scope.*is not valid/
    },
    {
      name: 'unknown resource',
      fields: { ...good, scope: 'https://other.example/.default' },
      status: 400,
      error: 'invalid_resource',
      code: 500011,
      text: /resource principal named https:\/\/other.example was not found in the tenant named Contoso/
    },
    {
      name: 'consent missing',
      fields: { ...good, client_id: app.clientId, client_secret: 'right~secret' },
      status: 400,
      error: 'invalid_grant',
      code: 65001,
      text: /^AADSTS65001: The user or administrator has not consented to use the application with ID '.*' named 'calstatus-test'/,
      suberror: 'consent_required'
    }
  ]
  for (const c of cases) {
    const fields = Object.fromEntries(Object.entries(c.fields).filter(([, v]) => v !== ''))
    const res = await call(`${sim.url}/${c.path ?? sim.tenantId}/oauth2/v2.0/token`, form(fields))
    t.equal(res.status, c.status, `${c.name}: status`)
    t.match(
      res.json,
      { error: c.error, error_codes: [c.code], error_description: c.text, trace_id: /^[0-9a-f-]{36}$/, correlation_id: /^[0-9a-f-]{36}$/ },
      c.name
    )
    t.match(res.json.error_description, /\r\nTrace ID: .+\r\nCorrelation ID: .+\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/, `${c.name}: description tail`)
    if (c.suberror) t.equal(res.json.suberror, c.suberror)
    else t.notOk('suberror' in res.json, `${c.name}: no suberror`)
  }
  const get = await call(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`)
  t.match(get.json, { error: 'invalid_request', error_codes: [900561] })

  const counters = sim.counters()
  t.equal(counters.tokenRequests.total, cases.length + 1)
  t.equal(counters.tokenRequests.ok, 0)
  t.match(counters.tokenRequests.byError, { AADSTS7000215: 2, AADSTS900144: 3, AADSTS65001: 1, AADSTS900561: 1 })
  t.match(
    sim.history.tokenRequests.find((r) => r.code === 7000222),
    { clientId: expired.clientId, status: 401, error: 'invalid_client' }
  )
})

t.test('driver: secrets, consent, app removal; injected failures', async (t) => {
  const sim = await start(t)
  const url = `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`
  const fields = { grant_type: 'client_credentials', client_id: sim.clientId!, client_secret: sim.clientSecret!, scope: 'https://graph.microsoft.com/.default' }
  sim.driver.expireSecret(sim.clientId!)
  t.equal((await call(url, form(fields))).json.error_codes[0], 7000222)
  sim.driver.setSecret(sim.clientId!, 'new~secret')
  t.equal((await call(url, form(fields))).json.error_codes[0], 7000215, 'the old secret is gone')
  t.equal((await call(url, form({ ...fields, client_secret: 'new~secret' }))).status, 200)
  sim.driver.setConsent(sim.clientId!, false)
  t.equal((await call(url, form({ ...fields, client_secret: 'new~secret' }))).json.error_codes[0], 65001)
  sim.driver.setConsent(sim.clientId!, true)
  const clock = { ms: 1_000_000 }
  const timed = await start(t, { now: () => clock.ms, apps: [{ secret: 's', secretExpiresAt: 2_000_000 }] })
  const timedFields = { ...fields, client_id: timed.clientId!, client_secret: 's' }
  t.equal((await call(`${timed.url}/${timed.tenantId}/oauth2/v2.0/token`, form(timedFields))).status, 200)
  clock.ms = 2_000_000
  t.equal((await call(`${timed.url}/${timed.tenantId}/oauth2/v2.0/token`, form(timedFields))).json.error_codes[0], 7000222, 'secretExpiresAt passed')
  t.ok(sim.driver.removeApp(sim.clientId!))
  t.equal((await call(url, form({ ...fields, client_secret: 'new~secret' }))).json.error_codes[0], 700016)
  t.throws(() => sim.driver.setConsent('nope', true), /no app/)
  t.throws(() => sim.driver.failNext(1, 200), /4xx\/5xx/)
  t.throws(() => sim.driver.setExpiresIn(0), /positive/)

  // failNext: a JSON 503 with Retry-After, an HTML 502, a dropped connection; only the token endpoint by default.
  const app = sim.driver.addApp({ secret: 'z' })
  const ok = { ...fields, client_id: app.clientId, client_secret: 'z' }
  sim.driver.failNext(1, 503, { retryAfterSeconds: 2 })
  sim.driver.failNext(1, 502, { html: true })
  sim.driver.failNext(1, 'reset')
  t.equal((await call(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)).status, 200, 'openid configuration not hit')
  const unavailable = await call(url, form(ok))
  t.equal(unavailable.status, 503)
  t.equal(unavailable.headers['retry-after'], '2')
  t.match(unavailable.json, { error: 'temporarily_unavailable', error_codes: [90033] })
  const gateway = await call(url, form(ok))
  t.equal(gateway.status, 502)
  t.match(gateway.headers['content-type'], /^text\/html/)
  await t.rejects(call(url, form(ok)), 'connection dropped')
  t.equal((await call(url, form(ok))).status, 200, 'then back to normal')
  sim.driver.failNext(2, 500, { route: 'openid' })
  sim.driver.failNext(1, 429, { route: 'any' })
  t.match((await call(url, form(ok))).json, { error: 'temporarily_unavailable', error_codes: [90055] }, "'any' hits the token endpoint")
  t.match((await call(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)).json, { error: 'server_error', error_codes: [50000] })
  sim.driver.clearFaults()
  t.equal((await call(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)).status, 200)
  const c = sim.counters()
  t.match(c.tokenRequests.byError, { 'injected:503': 1, 'injected:502': 1, 'injected:reset': 1, 'injected:429': 1 })
  t.equal(c.injectedFailures, 5)
  t.match(
    sim.history.tokenRequests.filter((r) => r.injected).map((r) => r.status),
    [503, 502, 0, 429]
  )

  const notFound = await call(`${sim.url}/${sim.tenantId}/oauth2/authorize`)
  t.equal(notFound.status, 404)
  t.equal(sim.counters().requestsByRoute.other, 1)
  sim.resetRecords()
  t.same(sim.history.tokenRequests, [])
  t.equal(sim.counters().tokenRequests.total, 0)
})
