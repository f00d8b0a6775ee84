import t, { type Test } from 'tap'
import { request } from 'node:https'
import { loadSimTls } from '../../sim/shared/tls'
import { createTokenRegistry } from '../../sim/shared/token-registry'
import type { SimApp } from '../../sim/identity/directory'
import { startIdentitySim, type IdentitySim, type IdentitySimOptions } from '../../sim/identity/server'

// The admin consent endpoint (v1 and v2) and the HTTP driver under /_sim/ (sim/identity/README.md).

const ca = loadSimTls().ca

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: any
}

function call(url: string, opts: { method?: string; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body)
    const req = request(url, { method: opts.method ?? 'GET', headers: body ? { 'Content-Type': 'application/json' } : {}, ca }, (res) => {
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
    req.end(body)
  })
}

async function start(t: Test, opts: Partial<IdentitySimOptions> = {}): Promise<IdentitySim> {
  const sim = await startIdentitySim({ tokens: createTokenRegistry(), ...opts })
  t.teardown(() => sim.stop())
  return sim
}

const CALLBACK = 'https://calstatus.example/admin/consent/callback'

function location(res: Answer): URL {
  return new URL(res.headers.location as string)
}

t.test('granted: 302 to redirect_uri with admin_consent=True, the tenant id and the state; the app is consented', async (t) => {
  const sim = await start(t, { apps: [{ consented: false }] })
  const res = await call(sim.consentUrl({ clientId: sim.clientId!, redirectUri: CALLBACK, state: 'a b+c/=' }))
  t.equal(res.status, 302)
  const l = location(res)
  t.equal(`${l.origin}${l.pathname}`, CALLBACK)
  t.same(
    [...l.searchParams],
    [
      ['admin_consent', 'True'],
      ['tenant', sim.tenantId],
      ['state', 'a b+c/=']
    ]
  )
  t.equal(sim.driver.app(sim.clientId!)!.consented, true)
  t.match(sim.history.consents, [{ tenant: sim.tenantId, clientId: sim.clientId, redirectUri: CALLBACK, state: 'a b+c/=', outcome: 'granted' }])

  // By domain, without state, with a query on the redirect URI; tenant is always the id.
  const byDomain = await call(`${sim.url}/contoso.example/adminconsent?client_id=${sim.clientId}&redirect_uri=${encodeURIComponent(`${CALLBACK}?x=1`)}`)
  t.same(
    [...location(byDomain).searchParams],
    [
      ['x', '1'],
      ['admin_consent', 'True'],
      ['tenant', sim.tenantId]
    ]
  )
  // common / organizations: the admin's own tenant (the first one).
  const common = await call(`${sim.url}/organizations/adminconsent?client_id=${sim.clientId}&redirect_uri=${encodeURIComponent(CALLBACK)}&state=s`)
  t.equal(location(common).searchParams.get('tenant'), sim.tenantId)
  // v2.0 endpoint: scope required and echoed.
  const v2 = await call(
    `${sim.url}/${sim.tenantId}/v2.0/adminconsent?client_id=${sim.clientId}&scope=${encodeURIComponent('https://graph.microsoft.com/.default')}&redirect_uri=${encodeURIComponent(CALLBACK)}&state=v2`
  )
  t.same(Object.fromEntries(location(v2).searchParams), {
    admin_consent: 'True',
    tenant: sim.tenantId,
    scope: 'https://graph.microsoft.com/.default',
    state: 'v2'
  })
  const v2NoScope = await call(`${sim.url}/${sim.tenantId}/v2.0/adminconsent?client_id=${sim.clientId}&redirect_uri=${encodeURIComponent(CALLBACK)}`)
  t.equal(v2NoScope.status, 400)
  t.match(v2NoScope.text, /AADSTS900144: The request body must contain the following parameter: 'scope'/)
  t.match(sim.counters().adminConsent, { granted: 4, declined: 0, failed: 1 })
})

t.test('declined: 302 with error=access_denied, AADSTS65004 and the state; only the next one; consent unchanged', async (t) => {
  const sim = await start(t, { apps: [{ consented: false }] })
  sim.driver.declineNextConsent()
  const res = await call(sim.consentUrl({ clientId: sim.clientId!, redirectUri: CALLBACK, state: 'xyz' }))
  t.equal(res.status, 302)
  const l = location(res)
  t.equal(l.searchParams.get('error'), 'access_denied')
  t.equal(l.searchParams.get('error_subcode'), 'cancel')
  t.equal(l.searchParams.get('state'), 'xyz')
  t.match(
    l.searchParams.get('error_description'),
    /^AADSTS65004: User declined to consent to access the app\.\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: /
  )
  t.notOk(l.searchParams.has('admin_consent'))
  t.notOk(l.searchParams.has('tenant'))
  t.equal(sim.driver.app(sim.clientId!)!.consented, false)
  const next = await call(sim.consentUrl({ clientId: sim.clientId!, redirectUri: CALLBACK, state: 'again' }))
  t.equal(location(next).searchParams.get('admin_consent'), 'True')
  t.match(sim.counters().adminConsent, { granted: 1, declined: 1 })
})

t.test("Entra's own error page (400 HTML, no redirect): unknown app, tenant, redirect URI problems", async (t) => {
  const sim = await start(t, { apps: [{ redirectUris: [CALLBACK, 'https://other.example/cb'] }, { consented: false }] })
  const [noRedirect, bareApp] = sim.driver.apps() as [SimApp, SimApp]
  t.same(noRedirect.redirectUris, [CALLBACK, 'https://other.example/cb'])
  t.equal(bareApp.redirectUris, undefined, 'no redirect URIs registered: any is accepted')
  const page = async (url: string, code: number): Promise<void> => {
    const res = await call(url)
    t.equal(res.status, 400, `AADSTS${code}: 400`)
    t.match(res.headers['content-type'], /^text\/html/)
    t.notOk(res.headers.location, 'no redirect')
    t.match(res.text, new RegExp(`AADSTS${code}: `))
  }
  await page(sim.consentUrl({ clientId: '99999999-9999-9999-9999-999999999999', redirectUri: CALLBACK }), 700016)
  await page(`${sim.url}/${sim.tenantId}/adminconsent?redirect_uri=${encodeURIComponent(CALLBACK)}`, 900144)
  await page(sim.consentUrl({ clientId: sim.clientId!, redirectUri: 'https://evil.example/cb' }), 50011)
  await page(sim.consentUrl({ clientId: sim.clientId!, redirectUri: CALLBACK, tenant: 'fabrikam.example' }), 90002)
  await page(sim.consentUrl({ clientId: sim.clientId!, redirectUri: CALLBACK, tenant: 'bad_tenant' }), 900023)
  await page(`${sim.url}/${sim.tenantId}/adminconsent?client_id=${bareApp.clientId}`, 500113)
  await page(sim.consentUrl({ clientId: bareApp.clientId, redirectUri: 'not a uri' }), 90102)
  // Without redirect_uri, the first registered one.
  const dflt = await call(`${sim.url}/${sim.tenantId}/adminconsent?client_id=${noRedirect.clientId}&state=1`)
  t.equal(`${location(dflt).origin}${location(dflt).pathname}`, CALLBACK)
  t.match(sim.counters().adminConsent, { granted: 1, failed: 7 })
  t.equal(
    sim.history.consents
      .filter((c) => c.outcome === 'error')
      .map((c) => c.code)
      .join(','),
    '700016,900144,50011,90002,900023,500113,90102'
  )

  sim.driver.failNext(1, 503, { route: 'consent', html: true })
  const down = await call(sim.consentUrl({ clientId: noRedirect.clientId, redirectUri: CALLBACK }))
  t.equal(down.status, 503)
  t.equal(sim.counters().tokenRequests.total, 0)
})

t.test('the HTTP driver under /_sim/', async (t) => {
  const tokens = createTokenRegistry()
  const sim = await start(t, { tokens, apps: [] })
  t.equal(sim.clientId, undefined)
  const d = (method: string, path: string, body?: unknown): Promise<Answer> => call(`${sim.url}/_sim${path}`, { method, body })
  t.same((await d('GET', '/health')).json, { ok: true })
  const tenant = (await d('POST', '/tenants', { domain: 'fabrikam.example', name: 'Fabrikam' })).json
  t.match(tenant, { id: /^[0-9a-f-]{36}$/, domain: 'fabrikam.example', name: 'Fabrikam' })
  t.equal((await d('GET', '/tenants')).json.length, 2)
  const app = (await d('POST', '/apps', { secret: 'one', consented: false })).json
  t.match(app, { clientId: /^[0-9a-f-]{36}$/, secret: 'one', consented: false })
  t.equal((await d('GET', `/apps/${app.clientId}`)).json.clientId, app.clientId)
  t.same(
    (await d('GET', '/apps')).json.map((a: SimApp) => a.clientId),
    [app.clientId]
  )
  t.equal((await d('GET', '/apps/nope')).status, 404)

  const token = (secret: string, tenantPath = 'fabrikam.example'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: secret,
        scope: 'https://graph.microsoft.com/.default'
      }).toString()
      const req = request(
        `${sim.url}/${tenantPath}/oauth2/v2.0/token`,
        { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, ca },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) })
          })
        }
      )
      req.on('error', reject)
      req.end(body)
    })
  t.equal((await token('one')).json.error_codes[0], 65001)
  t.same((await d('PUT', `/apps/${app.clientId}/consent`, { consented: true })).json, { ok: true })
  t.equal((await d('PUT', `/apps/${app.clientId}/consent`, { consented: 'yes' })).status, 400)
  t.equal((await d('PUT', '/expires-in', { seconds: 600 })).status, 200)
  const ok = await token('one')
  t.equal(ok.json.expires_in, 600)
  t.equal(tokens.check(`Bearer ${ok.json.access_token}`).ok, true)
  t.same((await d('POST', '/tokens/expire-all')).json, { ok: true })
  t.match(tokens.check(`Bearer ${ok.json.access_token}`), { ok: false, reason: 'expired' })

  await d('POST', `/apps/${app.clientId}/expire-secret`)
  t.equal((await token('one')).json.error_codes[0], 7000222)
  t.equal((await d('PUT', `/apps/${app.clientId}/secret`, {})).status, 400)
  await d('PUT', `/apps/${app.clientId}/secret`, { secret: 'two' })
  t.equal((await token('two')).status, 200)

  await d('POST', '/faults', { count: 2, status: 503, retryAfterSeconds: 3 })
  const f = await token('two')
  t.equal(f.status, 503)
  t.equal(f.headers['retry-after'], '3')
  await d('DELETE', '/faults')
  t.equal((await token('two')).status, 200)
  t.equal((await d('POST', '/faults', { status: 200 })).status, 400)

  await d('POST', '/consent/decline-next')
  const declined = await call(sim.consentUrl({ clientId: app.clientId, redirectUri: CALLBACK, state: 's' }))
  t.equal(location(declined).searchParams.get('error'), 'access_denied')

  const counters = (await d('GET', '/counters')).json
  t.match(counters, { tokenRequests: { total: 6, ok: 3, byError: { AADSTS65001: 1, AADSTS7000222: 1, 'injected:503': 1 } }, adminConsent: { declined: 1 } })
  t.equal((await d('GET', '/history')).json.tokenRequests.length, 6)
  await d('DELETE', '/counters')
  t.equal((await d('GET', '/counters')).json.tokenRequests.total, 0)
  t.same((await d('DELETE', `/apps/${app.clientId}`)).json, { ok: true })
  t.equal((await token('two')).json.error_codes[0], 700016)
  t.equal((await d('GET', '/nothing')).status, 404)
  t.equal((await call(`${sim.url}/_sim/apps`, { method: 'POST', body: [1] })).status, 400)
  const notJson = await new Promise<number>((resolve, reject) => {
    const req = request(`${sim.url}/_sim/apps`, { method: 'POST', ca }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end('{nope')
  })
  t.equal(notJson, 400)
})

t.test('options: tenants and apps as given; bad input refused', async (t) => {
  const tenantId = '0f0e0d0c-0b0a-4909-8807-060504030201'
  const clientId = '1a2b3c4d-0000-4000-8000-00000000abcd'
  const sim = await start(t, { tenants: [{ id: tenantId.toUpperCase() }], apps: [{ clientId, secret: 'x' }] })
  t.equal(sim.tenantId, tenantId)
  t.equal(sim.tenantDomain, undefined)
  t.equal(sim.authority, `${sim.url}/${tenantId}`)
  t.equal(sim.clientId, clientId)
  t.equal(sim.clientSecret, 'x')
  t.throws(() => sim.driver.addTenant({ id: 'nope' }), /GUID/)
  t.throws(() => sim.driver.addTenant({ id: tenantId }), /exists/)
  t.throws(() => sim.driver.addApp({ clientId }), /exists/)
  await t.rejects(startIdentitySim({ tokens: createTokenRegistry(), tenants: [] }), /at least one tenant/)
  await t.rejects(startIdentitySim(undefined as unknown as IdentitySimOptions), /tokens/)
  const generated = await start(t)
  t.match(generated.clientSecret, /^.{3}8Q~.{33}$/, 'a secret that looks like an Entra one')
  t.equal(generated.tenantDomain, 'contoso.example')
})
