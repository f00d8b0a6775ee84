import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { Queue } from 'bullmq'
import { startSimulators } from '../../sim/index'
import { createProblemStore } from '../../src/store/problem-store'
import { createActivityStore } from '../../src/store/activity-store'
import { createUserStore } from '../../src/store/user-store'
import { usePrivateRedis } from '../helpers/redis-server'
import { startWebApp } from '../helpers/web-app'
import { freePort } from '../../sim/private-redis'
import { launchBrowser, screenshot } from '../helpers/browser'

// The admin pages in a real browser (Debian's chromium through playwright-core) against the real
// web app, the simulators and a private Redis: what an admin sees and does, the CSP and CSRF, and
// a display text with markup shown as text.

const ADMIN = { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'a long admin password' }
const XSS = '<img src=x onerror=alert(1)>'

async function setup(t: Test) {
  const server = await usePrivateRedis(t)
  const sims = await startSimulators()
  t.teardown(() => sims.stop())
  const port = await freePort()
  const prefix = '{adm}'
  const web = await startWebApp(t, server.url, { prefix, env: { ...sims.env, ...ADMIN, PUBLIC_URL: `http://127.0.0.1:${port}` } })
  await web.app.listen({ port, host: '127.0.0.1' })
  const redis = new Redis(server.url)
  const sweep = new Queue('sweep', { connection: redis, prefix })
  t.teardown(async () => {
    await sweep.close()
    redis.disconnect()
  })
  const browser = await launchBrowser(t)
  // The identity simulator speaks https with the simulators' own CA, which the browser does not know.
  const context = await browser.newContext({ httpCredentials: { username: ADMIN.ADMIN_USERNAME, password: ADMIN.ADMIN_PASSWORD }, ignoreHTTPSErrors: true })
  const page = await context.newPage()
  const dialogs: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.dismiss()
  })
  return { base: `http://127.0.0.1:${port}`, page, redis, prefix, sweep, dialogs, web }
}

t.test('overview: problems now, with their text shown as text', async (t) => {
  const { base, page, redis, prefix, dialogs } = await setup(t)
  await createProblemStore(redis, prefix).raise('graph-sign-in', `Sign-in failed ${XSS}: fix MS_CLIENT_SECRET`, Date.now())
  // An hour of activity, as the processes' samplers record it.
  const activity = createActivityStore(redis, prefix)
  for (let i = 0; i < 12; i++)
    await activity.record({
      at: Date.now() - i * 5 * 60_000,
      totals: { statusChanges: 10 + i, notifications: 30 * i },
      maxima: { sweepLongestSeconds: 2 + i / 10, sweepUsers: 500 },
      mattermostRate: 3 + i
    })
  const res = await page.goto(`${base}/admin`)
  t.equal(res?.status(), 200)
  t.match(res?.headers()['content-security-policy'] ?? '', /default-src 'none'/, 'a strict CSP')
  t.match(await page.textContent('main'), /Problems now/)
  t.match(await page.textContent('main'), XSS, 'the markup is shown as text')
  t.equal(await page.locator('main img').count(), 0, 'and never becomes an element')
  t.same(dialogs, [], 'no script ran')
  t.match(await page.getAttribute('link[rel=stylesheet]', 'href'), '/admin/assets/admin.css', 'styles from a file the CSP allows')
  t.ok((await page.locator('.charts svg').count()) >= 6, 'the last 24 hours as inline SVG charts')
  await screenshot(page, 'admin-overview')
})

t.test('defaults: change one, see it saved, applied (a sweep) and in the audit list', async (t) => {
  const { base, page, sweep, web } = await setup(t)
  await page.goto(`${base}/admin/defaults`)
  t.equal(await page.inputValue('select[name=busy]'), 'dnd', 'busy meetings: Do Not Disturb by default')
  await page.selectOption('select[name=busy]', 'away')
  await page.click('input[type=submit]')
  await page.waitForURL(/saved=1/)
  t.match(await page.textContent('.flash'), /1 setting/)
  t.equal(await page.inputValue('select[name=busy]'), 'away', 'the form shows the saved value')
  t.match(await page.locator('table').last().textContent(), /When busy: Do Not Disturb → Away/, 'the audit says who changed what')
  t.match(await page.locator('table').last().textContent(), /ops/)
  t.ok(
    (await sweep.getJobs(['waiting', 'prioritized', 'delayed'])).some((j) => j.name === 'sweep'),
    'a sweep applies it to everyone now'
  )
  await screenshot(page, 'admin-defaults')
  // A post without the form's token (another site's form): refused, nothing saved.
  const forged = await web.app.inject({
    method: 'POST',
    url: '/admin/defaults',
    headers: { authorization: `Basic ${Buffer.from('ops:a long admin password').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'busy=offline'
  })
  t.equal(forged.statusCode, 403, 'no CSRF token: 403')
  await page.goto(`${base}/admin/defaults`)
  t.equal(await page.inputValue('select[name=busy]'), 'away', 'nothing changed by it')
})

t.test('setup checklist against the simulators, and admin consent through the identity simulator and back', async (t) => {
  const { base, page, web } = await setup(t)
  await page.goto(`${base}/admin`)
  const line = (id: string) => page.locator(`li[data-check="${id}"] .state`).textContent()
  t.equal(await line('ms-token'), 'OK', 'Microsoft sign-in works against the identity simulator')
  t.equal(await line('mm-bot'), 'OK', 'the bot is known to Mattermost')
  t.equal(await line('webhook-reachable'), 'OK', 'the webhook answers the validation handshake through PUBLIC_URL')
  t.equal(await line('mm-command'), 'Check', 'no slash command token: a line to check, with its fix')
  t.match(await page.locator('li[data-check="mm-command"] .fix').textContent(), /MM_COMMAND_TOKEN/)
  await screenshot(page, 'admin-overview-checklist')
  t.match(await page.locator('main').textContent(), /No admin consent was recorded/)
  await page.click('text=Grant admin consent')
  await page.waitForURL(/\/admin\/consent\/callback/)
  t.match(await page.locator('.flash').textContent(), /Consent granted/, 'back from Microsoft (the simulator): granted')
  await screenshot(page, 'admin-consent-granted')
  await page.goto(`${base}/admin`)
  t.match(await page.locator('main').textContent(), /Granted by ops/, 'the overview says who consented, when, for which tenant')
  // The callback once more with the same state (a replay), and a forged one: refused, nothing recorded.
  const replay = await web.app.inject({
    url: `/admin/consent/callback?admin_consent=True&tenant=x&state=forged`,
    headers: { authorization: `Basic ${Buffer.from('ops:a long admin password').toString('base64')}` }
  })
  t.equal(replay.statusCode, 400, 'a forged state: 400')
  t.match(replay.body, /Nothing was recorded/)
})

t.test('people: find one among 10,000, open the row, sync now and pause', async (t) => {
  const { base, page, redis, prefix } = await setup(t)
  const users = createUserStore(redis, prefix)
  const id = (i: number) => `u${String(i).padStart(25, '0')}`
  const entries = Array.from({ length: 10_000 }, (_, i) => ({
    mmUserId: id(i),
    email: `person${i}@example.com`,
    username: `person${i}`,
    timeZone: 'UTC',
    isSystemAdmin: false
  }))
  for (let i = 0; i < entries.length; i += 1000) await users.upsertFromDirectory(entries.slice(i, i + 1000))
  await users.upsertFromDirectory([{ mmUserId: id(10_001), email: 'zoe@example.com', username: XSS, timeZone: 'UTC', isSystemAdmin: false }])
  await page.goto(`${base}/admin/people`)
  t.match(await page.locator('main').textContent(), /10,?001 people/)
  await screenshot(page, 'admin-people')
  await page.fill('input[name=q]', 'person7777')
  await page.click('input[type=submit]')
  t.equal(await page.locator('tbody tr').count(), 1, 'one match')
  await page.click('tbody a:has-text("person7777")')
  t.match(await page.locator('h1').textContent(), 'person7777')
  await page.click('button:has-text("Sync now")')
  await page.waitForURL(/done=sync/)
  const sync = new Queue('sync', { connection: redis, prefix })
  t.teardown(() => sync.close())
  t.ok(
    (await sync.getJobs(['delayed', 'waiting'])).some((j) => (j.data as { userId?: string }).userId === id(7777)),
    'a sync of that person is queued'
  )
  await page.click('button:has-text("Pause 1 h")')
  await page.waitForURL(/done=pause/)
  t.ok(((await users.get(id(7777)))?.settings as { pausedUntil?: number } | null)?.pausedUntil ?? 0 > Date.now(), 'paused for an hour')
  t.ok(await page.locator('button:has-text("Resume")').count(), 'and the page offers Resume')
  await screenshot(page, 'admin-person')
  await page.goto(`${base}/admin/people?q=${encodeURIComponent('<img')}`)
  t.equal(await page.locator('main img').count(), 0, 'a username with markup is shown as text')
  t.match(await page.locator('tbody').textContent(), XSS)
})
