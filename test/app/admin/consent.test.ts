import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { loadConfig } from '../../../src/config'
import { CONSENT_CALLBACK_PATH, createConsent, type ConsentStart } from '../../../src/app/admin/consent'
import { createConsentStore } from '../../../src/store/consent-store'
import { startSimulators } from '../../../sim/index'
import { usePrivateRedis } from '../../helpers/redis-server'

// The admin consent flow against the identity simulator over real HTTPS: the URL start() gives
// is fetched as the admin's browser would, and the redirect the simulator answers with is what
// the callback gets.

const PUBLIC_URL = 'https://calstatus.example'
const CALLBACK = `${PUBLIC_URL}${CONSENT_CALLBACK_PATH}`

async function setUp(t: Test, env: Record<string, string> = {}, opts: { stateTtlMs?: number } = {}) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const sims = await startSimulators()
  t.teardown(() => sims.stop())
  const { config } = loadConfig({ ...sims.env, PUBLIC_URL, REDIS_URL: server.url, ...env })
  const consents = createConsentStore(redis, '{c}')
  const consent = createConsent({ config, consents }, opts)
  return { sims, consents, consent, redis }
}

function urlOf(started: ConsentStart): URL {
  if (!started.ok) throw new Error(started.message)
  return new URL(started.url)
}

/** The admin's browser at Microsoft: the query of the redirect back to us. */
async function visit(url: string | URL): Promise<Record<string, string>> {
  const res = await fetch(url, { redirect: 'manual' })
  if (res.status !== 302) throw new Error(`expected a redirect, got ${res.status}: ${await res.text()}`)
  const back = new URL(res.headers.get('location')!)
  if (`${back.origin}${back.pathname}` !== CALLBACK) throw new Error(`redirected to ${back.href}`)
  return Object.fromEntries(back.searchParams)
}

t.test('start: the v1 adminconsent URL of the tenant, our callback, a state kept 10 minutes', async (t) => {
  const { sims, consent, redis } = await setUp(t)
  const url = urlOf(await consent.start('root'))
  t.equal(`${url.origin}${url.pathname}`, `${sims.identity.url}/${sims.tenantId}/adminconsent`)
  t.equal(url.searchParams.get('client_id'), sims.clientId)
  t.equal(url.searchParams.get('redirect_uri'), CALLBACK)
  const state = url.searchParams.get('state')!
  t.match(state, /^[A-Za-z0-9_-]{32}$/, 'random, URL-safe')
  const ttl = await redis.pttl(`{c}:consent-state:${state}`)
  t.ok(ttl > 590_000 && ttl <= 600_000, `kept 10 minutes (${ttl} ms)`)
  t.not(urlOf(await consent.start('root')).searchParams.get('state'), state, 'a new state each time')
})

t.test('start without PUBLIC_URL or Microsoft: which variable to set', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const consents = createConsentStore(redis, '{c}')
  const env = { MS_TENANT_ID: randomUUID(), MS_CLIENT_ID: randomUUID(), MS_CLIENT_SECRET: 'x', MM_URL: 'http://127.0.0.1:1', MM_BOT_TOKEN: 'y' }
  const noPublic = createConsent({ config: loadConfig(env).config, consents })
  t.match(await noPublic.start('root'), { ok: false, variable: 'PUBLIC_URL', message: /Set PUBLIC_URL/ })
  const noMs = createConsent({ config: { publicUrl: PUBLIC_URL, microsoft: null }, consents })
  t.match(await noMs.start('root'), { ok: false, variable: 'MS_TENANT_ID', message: /MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET/ })
  t.equal(await redis.dbsize(), 0, 'no state kept')
})

t.test('granted: recorded with who, when and the tenant', async (t) => {
  const { sims, consent, consents } = await setUp(t)
  sims.identity.driver.setConsent(sims.clientId, false)
  const query = await visit(urlOf(await consent.start('root')))
  t.equal(query['admin_consent'], 'True')
  const before = Date.now()
  const outcome = await consent.callback(query, 'root')
  t.match(outcome, { kind: 'granted', record: { admin: 'root', outcome: 'granted', tenant: sims.tenantId, tenantCompared: true } })
  t.match(outcome.message, `Admin consent granted in tenant ${sims.tenantId}.`)
  const last = await consents.last()
  t.same(last, outcome.kind === 'granted' ? outcome.record : null, 'the record kept is the one returned')
  t.ok(last!.at >= before && last!.at <= Date.now(), 'when')
  t.equal(sims.identity.driver.app(sims.clientId)?.consented, true, 'the app is consented at Microsoft')
})

t.test('granted with MS_TENANT_ID a domain: the GUID is recorded, noted as not compared', async (t) => {
  const { sims, consent, consents } = await setUp(t, { MS_TENANT_ID: 'demo.calstatus.example' })
  const url = urlOf(await consent.start('root'))
  t.equal(url.pathname, '/demo.calstatus.example/adminconsent')
  const outcome = await consent.callback(await visit(url), 'root')
  t.match(outcome, { kind: 'granted', record: { tenant: sims.tenantId, tenantCompared: false }, message: /could not be compared/ })
  t.match(await consents.last(), { tenant: sims.tenantId, tenantCompared: false })
})

t.test('declined at Microsoft: recorded with the error, and what to do', async (t) => {
  const { sims, consent, consents, redis } = await setUp(t)
  sims.identity.driver.declineNextConsent()
  const url = urlOf(await consent.start('root'))
  const query = await visit(url)
  t.equal(query['error'], 'access_denied')
  const outcome = await consent.callback(query, 'root')
  t.match(outcome, {
    kind: 'declined',
    record: { admin: 'root', outcome: 'declined', tenant: null, error: 'access_denied', errorDescription: /^AADSTS65004: User declined/ }
  })
  t.notMatch(outcome.message, /Trace ID/, 'the trace ids are left out')
  t.match(outcome.message, /Global Administrator or Privileged Role Administrator/)
  t.match(await consents.last(), { outcome: 'declined', error: 'access_denied' })
  t.equal(await redis.exists(`{c}:consent-state:${url.searchParams.get('state')}`), 0, 'its state is spent')
})

t.test('error=access_denied with no state at all: still declined, error checked first', async (t) => {
  const { consent, consents } = await setUp(t)
  const outcome = await consent.callback({ error: 'access_denied', error_description: 'AADSTS65004: User declined to consent.\r\nTrace ID: 1' }, 'root')
  t.match(outcome, { kind: 'declined', record: { error: 'access_denied', errorDescription: 'AADSTS65004: User declined to consent.' } })
  t.match(await consents.last(), { outcome: 'declined' })
})

t.test('refusals: forged, missing, replayed and expired states; the wrong tenant; no grant', async (t) => {
  const { sims, consent, consents, redis } = await setUp(t, {}, { stateTtlMs: 300 })

  const forged = await visit(sims.identity.consentUrl({ clientId: sims.clientId, redirectUri: CALLBACK, state: 'made-up' }))
  t.match(await consent.callback(forged, 'root'), { kind: 'refused', reason: 'state-unknown', message: /does not match a consent started here/ }, 'forged')
  const { state: _dropped, ...stateless } = forged
  t.match(await consent.callback(stateless, 'root'), { kind: 'refused', reason: 'state-missing' }, 'missing')

  const query = await visit(urlOf(await consent.start('root')))
  t.match(await consent.callback(query, 'root'), { kind: 'granted' })
  t.match(await consent.callback(query, 'root'), { kind: 'refused', reason: 'state-unknown' }, 'replayed')

  const late = await visit(urlOf(await consent.start('root')))
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.match(await consent.callback(late, 'root'), { kind: 'refused', reason: 'state-unknown' }, 'expired')

  // The admin is steered to another tenant with our state.
  const other = sims.identity.driver.addTenant({ domain: 'other.example' })
  const ours = urlOf(await consent.start('root'))
  const elsewhere = await visit(
    sims.identity.consentUrl({
      clientId: sims.clientId,
      redirectUri: ours.searchParams.get('redirect_uri')!,
      state: ours.searchParams.get('state')!,
      tenant: other.id
    })
  )
  t.equal(elsewhere['tenant'], other.id)
  const wrong = await consent.callback(elsewhere, 'root')
  t.match(wrong, { kind: 'refused', reason: 'tenant-mismatch', message: new RegExp(`tenant ${other.id}, but MS_TENANT_ID is ${sims.tenantId}`) })

  const noGrant = urlOf(await consent.start('root')).searchParams.get('state')!
  t.match(await consent.callback({ state: noGrant, tenant: sims.tenantId }, 'root'), { kind: 'refused', reason: 'not-granted' })
  const noTenant = urlOf(await consent.start('root')).searchParams.get('state')!
  t.match(await consent.callback({ state: noTenant, admin_consent: 'True' }, 'root'), { kind: 'refused', reason: 'tenant-missing' })

  t.equal(await redis.llen('{c}:consents'), 1, 'only the one real grant was recorded')
  t.match(await consents.last(), { outcome: 'granted', tenant: sims.tenantId })
})
