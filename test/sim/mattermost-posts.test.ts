import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from '../../sim/mattermost/server'

// Direct messages, posts, and Mattermost calling integrations: slash commands and message
// buttons (mattermost.md "Direct messages and buttons", "Custom slash commands").

interface Res {
  status: number
  json: any
}

async function api(sim: MattermostSim, method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Res> {
  const headers: Record<string, string> = { Authorization: `Bearer ${o.token ?? sim.botToken}` }
  if (o.body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(sim.url + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

async function start(t: Test, opts: MattermostSimOptions = {}): Promise<MattermostSim> {
  const sim = await startMattermostSim({ dndExpiryPeriodMs: 0, config: { allowedUntrustedInternalConnections: ['127.0.0.1'] }, ...opts })
  t.teardown(() => sim.stop())
  return sim
}

interface Received {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** A stand-in for the service: records what Mattermost sends and answers with `reply`. */
async function integration(t: Test, reply: (r: Received, res: ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      received.push(r)
      reply(r, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

t.test('POST /channels/direct: 201 every time, the same channel for the same pair', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser()
  const first = await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id] })
  t.equal(first.status, 201)
  t.match(first.json, { type: 'D', team_id: '', name: [sim.botUserId, u.id].sort().join('__') })
  const again = await api(sim, 'POST', '/api/v4/channels/direct', { body: [u.id, sim.botUserId] })
  t.equal(again.status, 201, '201 even when it exists')
  t.equal(again.json.id, first.json.id)

  const v = sim.driver.addUser()
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { body: [u.id, v.id] })).status, 403, 'not one of the two, and no manage_system')
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId] })).status, 400)
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id, v.id] })).status, 400)
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, 'short'] })).status, 400)
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, 'w'.repeat(26)] })).status, 400, 'the other user must exist')
  t.equal((await api(sim, 'POST', '/api/v4/channels/direct', { token: sim.adminToken, body: [u.id, v.id] })).status, 201, 'an admin may create it for others')
})

t.test('POST /posts: 201 for a member; 403 for a channel you are not in or that does not exist', async (t) => {
  const sim = await start(t)
  const u = sim.driver.addUser()
  const v = sim.driver.addUser()
  const dm = (await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id] })).json
  const props = {
    attachments: [
      {
        text: 'Calendar sync',
        actions: [{ id: 'pause', name: 'Pause', integration: { url: 'http://127.0.0.1:1/actions', context: { secret: 's3cret', action: 'pause' } } }]
      }
    ]
  }
  const post = await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: dm.id, message: 'Hello', props } })
  t.equal(post.status, 201)
  t.match(post.json, { channel_id: dm.id, user_id: sim.botUserId, message: 'Hello', props: { from_bot: 'true' } })
  t.notOk('integration' in post.json.props.attachments[0].actions[0], 'clients never see the integration URL and context')
  t.same(sim.driver.post(post.json.id)?.props['attachments'], props.attachments, 'but the server keeps them')
  t.match(sim.history.posts, [{ kind: 'create', postId: post.json.id, channelId: dm.id, userId: sim.botUserId, who: `api:${sim.botUserId}` }])

  const other = (await api(sim, 'POST', '/api/v4/channels/direct', { token: sim.adminToken, body: [u.id, v.id] })).json
  t.equal((await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: other.id, message: 'x' } })).status, 403, 'not a member')
  t.equal((await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: 'c'.repeat(26), message: 'x' } })).status, 403, 'no such channel (non-admin)')
  t.equal((await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: sim.townSquareId, message: 'x' } })).status, 403, 'bots are in no team channel')
  t.equal((await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: dm.id, message: 'x'.repeat(16384) } })).status, 400, 'message too long')
  t.equal((await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: dm.id, message: 42 } })).status, 400, 'message of the wrong type')

  t.equal(sim.driver.status(sim.botUserId).status, 'online', 'posting counts as activity of the poster')

  sim.driver.deactivateUser(u.id)
  t.equal(
    (await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: dm.id, message: 'Hello?' } })).status,
    400,
    'a DM with a deactivated user takes no posts'
  )
})

t.test('slash command: form-urlencoded POST with Authorization: Token, fields as Mattermost sends them', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (r, res) => json(res, 200, { response_type: 'ephemeral', text: `You said: ${new URLSearchParams(r.body).get('text')}` }))
  const u = sim.driver.addUser({ username: 'erin' })
  const cmd = sim.driver.registerCommand({ trigger: 'calstatus', url: `${svc.url}/slash` })
  const result = await sim.driver.executeCommand({ userId: u.id, command: '/calstatus settings busy=dnd' })

  t.equal(svc.received.length, 1)
  const req = svc.received[0]!
  t.equal(req.method, 'POST')
  t.equal(req.headers['authorization'], `Token ${cmd.token}`)
  t.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
  const form = Object.fromEntries(new URLSearchParams(req.body))
  t.same(Object.keys(form).sort(), [
    'channel_id',
    'channel_name',
    'command',
    'response_url',
    'team_domain',
    'team_id',
    'text',
    'token',
    'trigger_id',
    'user_id',
    'user_name'
  ])
  t.match(form, {
    token: cmd.token,
    team_id: sim.teamId,
    channel_id: sim.townSquareId,
    channel_name: 'town-square',
    user_id: u.id,
    user_name: 'erin',
    command: '/calstatus',
    text: 'settings busy=dnd'
  })
  t.match(form['response_url'], new RegExp(`^${sim.url}/hooks/commands/[a-z0-9]{26}$`))

  t.equal(result.reply.status, 200)
  t.equal(result.ephemeralText, 'You said: settings busy=dnd')
  t.match(sim.history.ephemerals, [{ userId: u.id, text: 'You said: settings busy=dnd', source: 'slash_command' }])
  t.match(sim.history.integrationCalls, [{ kind: 'slash_command', status: 200 }])

  // A delayed answer through response_url.
  const hook = await fetch(form['response_url']!, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ response_type: 'in_channel', text: 'Done.' })
  })
  t.equal(hook.status, 200)
  t.match(sim.history.posts.at(-1), { channelId: sim.townSquareId, userId: u.id, message: 'Done.', who: 'integration' })
})

t.test('integration calls to private addresses are refused unless allowed, as Mattermost does', async (t) => {
  const sim = await start(t, { config: { allowedUntrustedInternalConnections: [] } })
  const svc = await integration(t, (_r, res) => json(res, 200, { text: 'hi' }))
  const u = sim.driver.addUser()
  sim.driver.registerCommand({ trigger: 'cal', url: `${svc.url}/slash` })
  await t.rejects(sim.driver.executeCommand({ userId: u.id, command: '/cal' }), {
    name: 'IntegrationError',
    kind: 'blocked',
    message: /AllowedUntrustedInternalConnections/
  })
  t.equal(svc.received.length, 0, 'nothing was sent')
  sim.driver.setConfig({ allowedUntrustedInternalConnections: ['127.0.0.0/8'] })
  t.equal((await sim.driver.executeCommand({ userId: u.id, command: '/cal' })).reply.status, 200, 'a CIDR in the list allows it')
  await t.rejects(sim.driver.executeCommand({ userId: u.id, command: '/nope' }), { name: 'IntegrationError', kind: 'not_found' })
})

t.test('a plain-text or failing command answer is read as Mattermost reads it', async (t) => {
  const sim = await start(t)
  let mode = 'text'
  const svc = await integration(t, (_r, res) => {
    if (mode === 'text') {
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.end('plain answer')
    } else if (mode === 'in_channel') json(res, 200, { response_type: 'in_channel', text: 'for everyone' })
    else json(res, 500, { error: 'boom' })
  })
  const u = sim.driver.addUser()
  sim.driver.registerCommand({ trigger: 'cal', url: svc.url })
  t.equal((await sim.driver.executeCommand({ userId: u.id, command: '/cal' })).ephemeralText, 'plain answer')
  mode = 'in_channel'
  const posted = await sim.driver.executeCommand({ userId: u.id, command: '/cal' })
  t.match(sim.driver.post(posted.postId ?? ''), { message: 'for everyone', user_id: u.id, props: { from_webhook: 'true' } })
  mode = 'fail'
  const failed = await sim.driver.executeCommand({ userId: u.id, command: '/cal' })
  t.equal(failed.reply.status, 500)
  t.equal(failed.response, undefined, 'nothing shown to the user')
})

t.test('message button: JSON POST without authentication; the context carries the secret; update replaces the post', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (r, res) => {
    const body = JSON.parse(r.body) as { context: { action: string } }
    json(res, 200, { update: { message: `Paused (${body.context.action})` }, ephemeral_text: 'Paused for today.' })
  })
  const u = sim.driver.addUser({ username: 'finn' })
  const dm = (await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id] })).json
  const post = (
    await api(sim, 'POST', '/api/v4/posts', {
      body: {
        channel_id: dm.id,
        message: 'Pause calendar sync?',
        props: {
          attachments: [
            {
              actions: [
                { id: 'pause', name: 'Pause', integration: { url: `${svc.url}/actions`, context: { secret: 's3cret', action: 'pause' } } },
                { id: 'bad_id', name: 'Broken', integration: { url: `${svc.url}/actions`, context: {} } }
              ]
            }
          ]
        }
      }
    })
  ).json

  const result = await sim.driver.clickButton({ userId: u.id, postId: post.id, actionId: 'pause' })
  t.equal(svc.received.length, 1)
  const req = svc.received[0]!
  t.equal(req.headers['authorization'], undefined, 'no authentication header')
  t.equal(req.headers['content-type'], 'application/json')
  t.match(JSON.parse(req.body), {
    user_id: u.id,
    user_name: 'finn',
    post_id: post.id,
    channel_id: dm.id,
    team_id: '',
    trigger_id: /./,
    context: { secret: 's3cret', action: 'pause' }
  })

  t.equal(result.ephemeralText, 'Paused for today.')
  t.equal(result.updatedPost?.message, 'Paused (pause)')
  t.same(Object.keys(result.updatedPost?.props ?? {}).sort(), ['attachments', 'from_bot'], 'an update without props keeps the props, buttons included')
  t.match(sim.history.posts.at(-1), { kind: 'update', postId: post.id, who: 'integration', message: 'Paused (pause)' })

  await t.rejects(
    sim.driver.clickButton({ userId: u.id, postId: post.id, actionId: 'bad_id' }),
    { name: 'IntegrationError', kind: 'not_found', message: /A-Za-z0-9/ },
    'an id outside [A-Za-z0-9]+ cannot be clicked'
  )
  const v = sim.driver.addUser()
  await t.rejects(
    sim.driver.clickButton({ userId: v.id, postId: post.id, actionId: 'pause' }),
    { name: 'IntegrationError', kind: 'forbidden' },
    'only channel members can click'
  )
})

t.test('an action id outside [A-Za-z0-9]+ never reaches the integration', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (_r, res) => json(res, 200, {}))
  const u = sim.driver.addUser()
  const dm = (await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id] })).json
  const post = (
    await api(sim, 'POST', '/api/v4/posts', {
      body: {
        channel_id: dm.id,
        message: 'x',
        props: { attachments: [{ actions: [{ id: 'snooze-1h', name: 'Snooze', integration: { url: svc.url, context: {} } }] }] }
      }
    })
  ).json
  await t.rejects(sim.driver.clickButton({ userId: u.id, postId: post.id, actionId: 'snooze-1h' }), {
    name: 'IntegrationError',
    kind: 'not_found',
    message: /A-Za-z0-9/
  })
  t.equal(svc.received.length, 0)
  const reply = await sim.driver.sendButtonCallback(svc.url, {
    user_id: u.id,
    user_name: 'x',
    channel_id: dm.id,
    channel_name: dm.name,
    team_id: '',
    team_domain: '',
    post_id: post.id,
    trigger_id: 't',
    type: 'button',
    data_source: '',
    context: { a: 1 }
  })
  t.equal(reply.status, 200, 'the low-level callback sends whatever it is given')
  t.equal(svc.received.length, 1)
})

/** A DM from the bot to a new user with one attachment holding `actions`. */
async function postWithActions(sim: MattermostSim, actions: unknown[]): Promise<{ userId: string; postId: string }> {
  const u = sim.driver.addUser()
  const dm = (await api(sim, 'POST', '/api/v4/channels/direct', { body: [sim.botUserId, u.id] })).json
  const post = (await api(sim, 'POST', '/api/v4/posts', { body: { channel_id: dm.id, message: 'Pause for how long?', props: { attachments: [{ actions }] } } }))
    .json
  return { userId: u.id, postId: post.id }
}

const menu = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'pausefor',
  type: 'select',
  name: 'Pause for',
  options: [
    { text: '30 minutes', value: '30' },
    { text: '1 hour', value: '60' }
  ],
  integration: { url, context: { sig: 'signed' } },
  ...extra
})

t.test('message menu: the pick goes to the integration as context.selected_option, whatever it is', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (_r, res) => json(res, 200, {}))
  const { userId, postId } = await postWithActions(sim, [menu(svc.url), menu(svc.url, { id: 'people', data_source: 'users', options: [] })])
  const sent = (): Record<string, any> => JSON.parse(svc.received.at(-1)?.body ?? '{}')

  await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '60' })
  t.match(sent(), { type: 'select', data_source: '', context: { sig: 'signed', selected_option: '60' } })
  t.equal(sim.history.posts.filter((p) => p.kind === 'update').length, 0, 'an empty answer changes no post')

  await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '99999' })
  t.equal(sent()['context']['selected_option'], '99999', 'not one of the options: the server does not check, so neither does the simulator')

  await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '' })
  t.strictSame(sent()['context'], { sig: 'signed' }, 'an empty pick adds nothing')

  await sim.driver.selectOption({ userId, postId, actionId: 'people', value: 'u123' })
  t.match(sent(), { data_source: 'users', context: { selected_option: 'u123' } }, 'data_source only along with a pick')
  t.equal(svc.received.length, 4)
})

t.test('message menu: a pick overwrites a selected_option in the context; a button never gets one', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (_r, res) => json(res, 200, {}))
  const button = { id: 'go', name: 'Go', integration: { url: svc.url, context: { selected_option: 'planted' } } }
  const { userId, postId } = await postWithActions(sim, [menu(svc.url, { integration: { url: svc.url, context: { selected_option: 'planted' } } }), button])
  const sent = (): Record<string, any> => JSON.parse(svc.received.at(-1)?.body ?? '{}')
  await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' })
  t.equal(sent()['context']['selected_option'], '30')
  await sim.driver.selectOption({ userId, postId, actionId: 'go', value: '30' })
  t.match(sent(), { type: 'button', data_source: '', context: { selected_option: 'planted' } }, 'a button is sent its stored context only')
  const noContext = await postWithActions(sim, [{ id: 'bare', type: 'select', name: 'Bare', options: [], integration: { url: svc.url } }])
  await sim.driver.selectOption({ userId: noContext.userId, postId: noContext.postId, actionId: 'bare', value: 'x' })
  t.strictSame(sent()['context'], { selected_option: 'x' }, 'a menu without a context gets one for the pick')
})

t.test('the answer: update with props replaces them, keeping only the retained keys of the original', async (t) => {
  const sim = await start(t)
  const svc = await integration(t, (_r, res) =>
    json(res, 200, { update: { props: { attachments: [], override_username: 'someone', from_webhook: 'true', mine: 1 } } })
  )
  const { userId, postId } = await postWithActions(sim, [menu(svc.url)])
  t.equal(sim.driver.post(postId)?.props['from_bot'], 'true')
  const result = await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' })
  t.strictSame(result.updatedPost?.props, { attachments: [], mine: 1 }, 'from_bot is not kept; keys the original lacked are removed')
  t.equal(result.updatedPost?.message, '', 'an update without a message empties it')
  t.match(sim.history.posts.at(-1), { kind: 'update', postId, who: 'integration', message: '', props: { attachments: [], mine: 1 } })
  await t.rejects(
    sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' }),
    { name: 'IntegrationError', kind: 'not_found' },
    'the menu is gone'
  )
})

t.test('the answer: ephemeral text with Slack links made Markdown unless skip_slack_parsing', async (t) => {
  const sim = await start(t)
  let skip = false
  const svc = await integration(t, (_r, res) => json(res, 200, { ephemeral_text: 'See <https://example.com/help|help>.', skip_slack_parsing: skip }))
  const { userId, postId } = await postWithActions(sim, [menu(svc.url)])
  t.equal((await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' })).ephemeralText, 'See [help](https://example.com/help).')
  skip = true
  t.equal((await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' })).ephemeralText, 'See <https://example.com/help|help>.')
  t.match(sim.history.ephemerals.slice(-2), [{ userId, text: 'See [help](https://example.com/help).', source: 'button' }, { text: /<https/ }])
})

t.test('the answer: what json.Unmarshal refuses is an error shown to the user, and changes nothing', async (t) => {
  const sim = await start(t)
  let body = ''
  const svc = await integration(t, (_r, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(body)
  })
  const { userId, postId } = await postWithActions(sim, [menu(svc.url)])
  const before = sim.history.posts.length
  for (const bad of [
    ' ',
    'not json',
    '[]',
    '"text"',
    '{"update":"x"}',
    '{"update":{"message":5}}',
    '{"update":{"props":[]}}',
    '{"ephemeral_text":1}',
    '{"skip_slack_parsing":"yes"}'
  ]) {
    body = bad
    await t.rejects(
      sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' }),
      { name: 'IntegrationError', kind: 'bad_response' },
      JSON.stringify(bad)
    )
  }
  for (const fine of ['', 'null', '{}', '{"update":null,"ephemeral_text":null,"unknown":1}']) {
    body = fine
    const result = await sim.driver.selectOption({ userId, postId, actionId: 'pausefor', value: '30' })
    t.equal(result.updatedPost, undefined, JSON.stringify(fine))
  }
  t.equal(sim.history.posts.length, before, 'no post changed')
  t.equal(sim.history.ephemerals.length, 0)
})
