import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { Queue } from 'bullmq'
import { startSimulators } from '../../sim/index'
import { createUserStore } from '../../src/store/user-store'
import type { RememberedState, SettingsOverrides } from '../../src/domain'
import { usePrivateRedis } from '../helpers/redis-server'
import { startWebApp } from '../helpers/web-app'
import { freePort } from '../../sim/private-redis'
import { seeded } from '../helpers/seeded-random'

// The `/calstatus` command and the clicks on our messages, as Mattermost sends them: the
// Mattermost simulator calls the web app over real HTTP (form fields, `Authorization: Token`,
// `response_url`; button and menu callbacks with the context we signed), on a real Redis. The
// worker is not running: what a command starts is checked as the jobs it queues.

async function setup(t: Test, env: Record<string, string> = {}) {
  const server = await usePrivateRedis(t)
  const sims = await startSimulators({ mattermost: { config: { allowedUntrustedInternalConnections: ['127.0.0.1'] }, dndExpiryPeriodMs: 0 } })
  t.teardown(() => sims.stop())
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const command = sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: `${publicUrl}/mattermost/command` })
  const prefix = '{cmd}'
  const web = await startWebApp(t, server.url, {
    prefix,
    env: { ...sims.env, MM_COMMAND_TOKEN: command.token, PUBLIC_URL: publicUrl, ...env }
  })
  await web.app.listen({ port, host: '127.0.0.1' })
  const redis = new Redis(server.url)
  const sync = new Queue('sync', { connection: redis, prefix })
  t.teardown(async () => {
    await sync.close()
    redis.disconnect()
  })
  const users = createUserStore<RememberedState, SettingsOverrides>(redis, prefix)
  /** A person the directory run enrolled: in Mattermost, in Microsoft 365, and in the store. */
  const person = async (username: string, timeZone = 'Europe/Berlin') => {
    const ids = sims.addPerson({ username, email: `${username}@example.com`, timeZone })
    await users.upsertFromDirectory([{ mmUserId: ids.mmUserId, email: `${username}@example.com`, username, timeZone, locale: 'en', isSystemAdmin: false }])
    await users.setGraphIdentity(ids.mmUserId, ids.graphUserId, 'ok')
    return ids.mmUserId
  }
  const run = (userId: string, text: string) => sims.mattermost.driver.executeCommand({ userId, command: `/calstatus ${text}` })
  const syncJobsFor = async (userId: string) =>
    (await sync.getJobs(['delayed', 'waiting'])).filter((j) => (j.data as { userId?: string }).userId === userId).map((j) => j.name)
  return { sims, web, command, publicUrl, redis, users, person, run, syncJobsFor }
}

t.test('the token: wrong or missing is a 401, right in either place is heard', async (t) => {
  const { command, publicUrl, person } = await setup(t)
  const alice = await person('alice')
  const form = (token?: string) =>
    new URLSearchParams({ ...(token !== undefined ? { token } : {}), user_id: alice, text: 'help', command: '/calstatus' }).toString()
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${publicUrl}/mattermost/command`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })
  t.equal((await post(form('wrong'))).status, 401, 'wrong token in the body')
  t.equal((await post(form(), { authorization: 'Token wrong' })).status, 401, 'wrong token in the header')
  t.equal((await post(form())).status, 401, 'no token at all')
  t.equal((await post(form(command.token), { authorization: 'Token wrong' })).status, 401, 'a right body does not make up for a wrong header')
  const ok = await post(form(command.token))
  t.equal(ok.status, 200, 'the right token in the body')
  t.equal(ok.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(((await ok.json()) as { response_type: string }).response_type, 'ephemeral')
  t.equal((await post(form(), { authorization: `Token ${command.token}` })).status, 200, 'the right token in the header')
  const bad = await post(form(command.token).replace(alice, 'not-an-id'))
  t.equal(bad.status, 400, 'a user id that is not one')
  t.match(((await bad.json()) as { message: string }).message, /user_id/)
})

t.test('without MM_COMMAND_TOKEN the command route is not there; clicks (Ask first) still are', async (t) => {
  const server = await usePrivateRedis(t)
  const sims = await startSimulators()
  t.teardown(() => sims.stop())
  const web = await startWebApp(t, server.url, { env: { ...sims.env } })
  const res = await web.app.inject({
    method: 'POST',
    url: '/mattermost/command',
    payload: 'token=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }
  })
  t.equal(res.statusCode, 404)
  const click = await web.app.inject({ method: 'POST', url: '/mattermost/actions', payload: { user_id: 'x' } })
  t.equal(click.statusCode, 400, 'the actions route answers (a bad click: 400 with the reason)')
})

t.test('help, a misspelling and a bad duration get an answer that says what to type', async (t) => {
  const { person, run, sims } = await setup(t)
  const alice = await person('alice')
  const help = await run(alice, 'help')
  t.equal(help.reply.status, 200)
  for (const sub of ['pause', 'resume', 'autopilot', 'settings', 'on', 'off']) t.match(help.ephemeralText, `/calstatus ${sub}`, `help names ${sub}`)
  const typo = await run(alice, 'paus 1h')
  t.match(typo.ephemeralText, /pause 1h/, 'did you mean')
  const banana = await run(alice, 'pause banana')
  t.match(banana.ephemeralText, /banana/)
  t.match(banana.ephemeralText, /pause 30m|pause 2h|until 17:00/)
  t.equal(sims.mattermost.history.ephemerals.length, 3, 'each shown to the person only')
})

t.test('pause and resume change the person’s settings and queue a sync of them', async (t) => {
  const { person, run, users, syncJobsFor } = await setup(t)
  const alice = await person('alice')
  const before = Date.now()
  const paused = await run(alice, 'pause 2h')
  t.match(paused.ephemeralText, /Paused|paused/)
  const pausedUntil = (await users.get(alice))?.settings?.pausedUntil ?? 0
  t.ok(pausedUntil >= before + 2 * 3600_000 && pausedUntil <= Date.now() + 2 * 3600_000, 'paused for two hours')
  t.same(await syncJobsFor(alice), ['sync-user'], 'a sync of alice is queued')
  const resumed = await run(alice, 'resume')
  t.match(resumed.ephemeralText, /\S/)
  t.equal((await users.get(alice))?.settings?.pausedUntil, undefined, 'the pause is gone')
  await run(alice, 'autopilot until 17:00')
  t.ok(((await users.get(alice))?.settings?.autopilotUntil ?? 0) > Date.now(), 'autopilot on')
  await run(alice, 'autopilot off')
  t.equal((await users.get(alice))?.settings?.autopilotUntil, undefined, 'autopilot off')
})

t.test('settings: a panel in the direct message; each choice updates it in place and cannot be replayed', async (t) => {
  const { person, run, sims, users, syncJobsFor, publicUrl } = await setup(t)
  const alice = await person('alice')
  const bob = await person('bob')
  const answer = await run(alice, 'settings')
  t.match(answer.ephemeralText, /direct message/)
  const dm = sims.mattermost.driver.directChannelId(sims.mattermost.botUserId, alice)
  const panel = sims.mattermost.driver.posts(dm).at(-1)
  t.ok(panel, 'the panel was posted')
  const actions = (panel!.props['attachments'] as Array<{ actions: Array<{ id: string; type: string; name: string }> }>).flatMap((a) => a.actions)
  t.ok(actions.length >= 10, 'a control per setting')
  t.ok(
    actions.every((a) => /^[A-Za-z0-9]+$/.test(a.id)),
    'action ids Mattermost accepts'
  )
  const busy = actions.find((a) => a.type === 'select' && a.id.endsWith('busy'))!
  // What the service signed into the menu (the simulator's stored post keeps it; clients never see it).
  const signed = structuredClone((busy as unknown as { integration: { context: Record<string, unknown> } }).integration.context)
  const picked = await sims.mattermost.driver.selectOption({ userId: alice, postId: panel!.id, actionId: busy.id, value: 'away' })
  t.match(picked.ephemeralText, /Away/)
  t.same((await users.get(alice))?.settings?.mapping?.busy, { status: 'away' }, 'busy → away saved')
  t.ok((await syncJobsFor(alice)).includes('sync-user'), 'and takes effect at once')
  const updated = sims.mattermost.driver.post(panel!.id)!
  t.match(JSON.stringify(updated.props['attachments']), /Away/, 'the message shows the new value')
  // The old context again (a replay): refused, nothing changes.
  const again = await sims.mattermost.driver.sendButtonCallback(`${publicUrl}/mattermost/actions`, {
    user_id: alice,
    user_name: 'alice',
    channel_id: dm!,
    channel_name: '',
    team_id: '',
    team_domain: '',
    post_id: panel!.id,
    trigger_id: '',
    type: 'select',
    data_source: '',
    context: { ...signed, selected_option: 'offline' }
  })
  t.equal(again.status, 200)
  t.match((again.json as { ephemeral_text: string }).ephemeral_text, /already/)
  t.same((await users.get(alice))?.settings?.mapping?.busy, { status: 'away' }, 'a replay changes nothing')
  t.same((await users.get(bob))?.settings, null, "nobody else's settings changed")
})

t.test('forged, expired and foreign contexts change nothing and say why', async (t) => {
  const { person, run, sims, users, publicUrl } = await setup(t)
  const alice = await person('alice')
  const bob = await person('bob')
  await run(alice, 'settings')
  const dm = sims.mattermost.driver.directChannelId(sims.mattermost.botUserId, alice)!
  const panel = sims.mattermost.driver.posts(dm).at(-1)!
  const control = (panel.props['attachments'] as Array<{ actions: Array<{ id: string; type: string; integration: { context: Record<string, unknown> } }> }>)
    .flatMap((a) => a.actions)
    .find((a) => a.type === 'button')!
  const signed = control.integration.context
  const click = (userId: string, context: unknown) =>
    sims.mattermost.driver.sendButtonCallback(`${publicUrl}/mattermost/actions`, {
      user_id: userId,
      user_name: '',
      channel_id: dm,
      channel_name: '',
      team_id: '',
      team_domain: '',
      post_id: panel.id,
      trigger_id: '',
      type: 'button',
      data_source: '',
      ...(context === undefined ? {} : { context: context as Record<string, unknown> })
    })
  const said = async (userId: string, context: unknown) => {
    const r = await click(userId, context)
    t.equal(r.status, 200, 'answered (Mattermost shows only a 200’s text)')
    return (r.json as { ephemeral_text?: string; update?: unknown }) ?? {}
  }
  t.match((await said(alice, { ...signed, v: 'off', k: 'notify' })).ephemeral_text, /isn't one of mine/, 'a changed field')
  t.match((await said(alice, { ...signed, sig: 'A'.repeat(43) })).ephemeral_text, /isn't one of mine/, 'another signature')
  t.match((await said(alice, undefined)).ephemeral_text, /isn't one of mine/, 'no context')
  t.match((await said(alice, { ...signed, exp: Date.now() - 1000 })).ephemeral_text, /isn't one of mine/, 'a changed expiry is a forgery')
  t.match((await said(bob, signed)).ephemeral_text, /someone else/, "alice's button, clicked by bob")
  t.equal((await users.get(alice))?.settings, null, 'alice: nothing changed yet')
  t.equal((await users.get(bob))?.settings, null, 'bob: nothing changed')
  const menu = (panel.props['attachments'] as Array<{ actions: Array<{ type: string; integration: { context: Record<string, unknown> } }> }>)
    .flatMap((a) => a.actions)
    .find((a) => a.type === 'select')!.integration.context
  t.match((await said(alice, { ...menu, selected_option: 'banana' })).ephemeral_text, /isn't a choice I offer/, 'a value the menu never offered')
  t.notMatch((await said(alice, { ...menu, selected_option: 'away' })).ephemeral_text, /isn't/, 'and the menu still works after it')
  t.notOk((await said(alice, signed)).ephemeral_text?.includes("isn't"), 'the genuine context still works once')
  t.match((await said(alice, signed)).ephemeral_text, /already/, 'and only once')
  const bad = await fetch(`${publicUrl}/mattermost/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user_id": 5}' })
  t.equal(bad.status, 400, 'not what Mattermost sends: a 400 with the reason')
})

t.test('10,000 fuzzed commands and form bodies: never a 5xx, nobody else changes', async (t) => {
  t.setTimeout(300_000)
  const { person, command, publicUrl, users } = await setup(t)
  const alice = await person('alice')
  const bob = await person('bob')
  await users.setSettings(bob, { notify: 'off' })
  const random = seeded(16)
  const pieces = [
    'pause',
    'resume',
    'autopilot',
    'off',
    'on',
    'settings',
    'status',
    'help',
    'until',
    'tomorrow',
    '17:00',
    '25:99',
    '1h',
    '-1h',
    '1e9m',
    '99999999999d',
    '🙂',
    '\u202e',
    '\u0000',
    '%',
    '&token=x',
    'user_id=' + bob,
    ' ',
    '\n'
  ]
  const text = () => {
    const n = Math.floor(random() * 6)
    return Array.from({ length: n }, () =>
      random() < 0.8 ? (pieces[Math.floor(random() * pieces.length)] ?? '') : String.fromCharCode(Math.floor(random() * 0xffff))
    ).join(random() < 0.5 ? ' ' : '')
  }
  const statuses = new Map<number, number>()
  const send = async (body: string, contentType = 'application/x-www-form-urlencoded') => {
    const res = await fetch(`${publicUrl}/mattermost/command`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Token ${command.token}` },
      body
    })
    await res.arrayBuffer()
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
  }
  for (let i = 0; i < 10_000; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => {
        const k = i + j
        if (k % 10 !== 9) return send(new URLSearchParams({ token: command.token, user_id: alice, command: '/calstatus', text: text() }).toString())
        // Every tenth: a body that is not a clean form (raw bytes, JSON, a repeated field, no user).
        const kinds = [
          () => text(),
          () => `user_id=${alice}&user_id=${bob}&text=off`,
          () => JSON.stringify({ user_id: alice, text: 'off' }),
          () => `text=off`,
          () => '%E0%A4%A'
        ]
        const body = kinds[k % kinds.length]!()
        return send(body, k % 20 === 19 ? 'application/json' : 'application/x-www-form-urlencoded')
      })
    )
  }
  const fiveXX = [...statuses].filter(([s]) => s >= 500)
  t.same(fiveXX, [], `no 5xx (${JSON.stringify(Object.fromEntries(statuses))})`)
  t.ok((statuses.get(200) ?? 0) >= 9000, 'the well-formed ones answered')
  t.same((await users.get(bob))?.settings, { notify: 'off' }, "bob's settings untouched")
})
