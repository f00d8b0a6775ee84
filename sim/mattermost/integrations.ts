import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { newId } from './ids'
import type { SimPost } from './messaging'
import type { SimModel } from './route-table'

// Calls Mattermost makes to integrations: custom slash commands and message-button actions
// (docs/mattermost.md#custom-slash-commands, docs/mattermost.md#direct-messages-and-buttons).
// - Slash command: form-urlencoded POST with `Authorization: Token <token>`, 30 s timeout.
// - Button: JSON POST {user_id, user_name, channel_id, channel_name, team_id, team_domain,
//   post_id, trigger_id, type, data_source, context} with no authentication header.
// - Both go through the "untrusted" HTTP client: a loopback, private or link-local target is
//   refused unless listed in AllowedUntrustedInternalConnections (a service on 127.0.0.1 in
//   tests needs the sim option allowedUntrustedInternalConnections: ['127.0.0.1']).

export class IntegrationError extends Error {
  override readonly name = 'IntegrationError'
  constructor(
    readonly kind: 'blocked' | 'timeout' | 'network' | 'not_found' | 'forbidden' | 'bad_response',
    message: string
  ) {
    super(message)
  }
}

export interface IntegrationReply {
  status: number
  headers: Record<string, string>
  text: string
  /** parsed when the answer was JSON */
  json: unknown
  durationMs: number
}

export interface SlashCommandFields {
  token: string
  team_id: string
  team_domain: string
  channel_id: string
  channel_name: string
  user_id: string
  user_name: string
  command: string
  text: string
  trigger_id: string
  response_url: string
}

/** model.CommandResponse as Mattermost reads an integration's answer. */
export interface CommandResponse {
  response_type?: string
  text?: string
  goto_location?: string
  attachments?: unknown[]
  props?: Record<string, unknown>
}

export interface SlashCommandResult {
  reply: IntegrationReply
  /** how Mattermost read the answer; undefined when the status was not 200 */
  response?: CommandResponse
  /** set when the answer was shown to the user only */
  ephemeralText?: string
  /** set when the answer was posted in the channel */
  postId?: string
}

export interface ButtonPayload {
  user_id: string
  user_name: string
  channel_id: string
  channel_name: string
  team_id: string
  team_domain: string
  post_id: string
  trigger_id: string
  type: string
  data_source: string
  context?: Record<string, unknown>
}

export interface ButtonResult {
  reply: IntegrationReply
  /** the post after the integration's `update`, if it sent one */
  updatedPost?: SimPost
  ephemeralText?: string
}

interface PostActionRequest {
  userId: string
  postId: string
  actionId: string
  /** DoPostActionRequest.selected_option: '' for a button */
  selectedOption: string
}

export interface Integrations {
  sendSlashCommand(url: string, fields: SlashCommandFields, method?: 'P' | 'G'): Promise<IntegrationReply>
  executeCommand(a: { userId: string; command: string; channelId?: string }): Promise<SlashCommandResult>
  sendButtonCallback(url: string, payload: ButtonPayload): Promise<IntegrationReply>
  clickButton(a: { userId: string; postId: string; actionId: string }): Promise<ButtonResult>
  /** A person picks `value` in a message menu (any value: the server does not check it against the options). */
  selectOption(a: { userId: string; postId: string; actionId: string; value: string }): Promise<ButtonResult>
  /** POST {siteUrl}/hooks/commands/{id}: a delayed answer to a slash command. */
  commandWebhook(hookId: string, rawBody: string): { status: number; text: string }
  abortAll(): void
}

// Mattermost's reserved ranges for the untrusted client (IsReservedIP) plus this-host ones.
const RESERVED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16]
] as const)
  RESERVED.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10]
] as const)
  RESERVED.addSubnet(net, prefix, 'ipv6')

function ipFamily(addr: string): 'ipv4' | 'ipv6' {
  return isIP(addr) === 6 ? 'ipv6' : 'ipv4'
}

async function assertAllowed(url: string, allowed: readonly string[]): Promise<void> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new IntegrationError('bad_response', `invalid integration URL ${url}`)
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (allowed.some((a) => a.toLowerCase() === host)) return
  const allowList = new BlockList()
  for (const entry of allowed) {
    const [net, bits] = entry.split('/')
    if (net && isIP(net)) {
      if (bits !== undefined) allowList.addSubnet(net, Number(bits), ipFamily(net))
      else allowList.addAddress(net, ipFamily(net))
    }
  }
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address)
  for (const addr of addresses) {
    const v4mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr)?.[1]
    const a = v4mapped ?? addr
    if (RESERVED.check(a, ipFamily(a)) && !allowList.check(a, ipFamily(a))) {
      throw new IntegrationError(
        'blocked',
        `address forbidden, you may need to set AllowedUntrustedInternalConnections to allow an integration access to your internal network (${a}; sim option allowedUntrustedInternalConnections)`
      )
    }
  }
}

interface CommandHook {
  commandId: string
  userId: string
  channelId: string
  createdAt: number
  uses: number
}

const HOOK_MAX_USES = 5
const HOOK_TTL_MS = 30 * 60_000

export function createIntegrations(sim: SimModel): Integrations {
  const inflight = new Set<AbortController>()
  const hooks = new Map<string, CommandHook>()

  async function call(kind: 'slash_command' | 'button', url: string, init: RequestInit): Promise<IntegrationReply> {
    const started = performance.now()
    const record = (status: number, error?: string): void => {
      sim.history.integrationCalls.push({ time: sim.now(), kind, url, status, durationMs: performance.now() - started, ...(error ? { error } : {}) })
    }
    try {
      await assertAllowed(url, sim.config.allowedUntrustedInternalConnections)
    } catch (err) {
      record(0, (err as Error).message)
      throw err
    }
    const ac = new AbortController()
    inflight.add(ac)
    const timer = setTimeout(
      () => ac.abort(new IntegrationError('timeout', `no answer within ${sim.config.integrationTimeoutMs} ms`)),
      sim.config.integrationTimeoutMs
    )
    try {
      const res = await fetch(url, { ...init, signal: ac.signal, redirect: 'follow' })
      const text = await res.text()
      const headers: Record<string, string> = {}
      res.headers.forEach((v, k) => {
        headers[k] = v
      })
      let json: unknown
      if (/^application\/json\b/i.test(res.headers.get('content-type') ?? '') && text.trim() !== '') {
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
      }
      record(res.status)
      return { status: res.status, headers, text, json, durationMs: performance.now() - started }
    } catch (err) {
      const reason = ac.signal.reason instanceof IntegrationError ? ac.signal.reason : new IntegrationError('network', (err as Error).message)
      record(0, reason.message)
      throw reason
    } finally {
      clearTimeout(timer)
      inflight.delete(ac)
    }
  }

  /** How Mattermost reads a command answer: JSON when the type says so, else plain text. */
  function readCommandResponse(reply: IntegrationReply): CommandResponse {
    const type = (reply.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type === 'application/json') {
      if (reply.json === undefined || typeof reply.json !== 'object' || reply.json === null)
        throw new IntegrationError('bad_response', 'the command answered invalid JSON')
      return reply.json
    }
    return { response_type: 'ephemeral', text: reply.text }
  }

  function applyCommandResponse(
    r: CommandResponse,
    userId: string,
    channelId: string,
    source: 'slash_command' | 'response_url'
  ): { ephemeralText?: string; postId?: string } {
    const text = r.text ?? ''
    const hasAttachments = Array.isArray(r.attachments) && r.attachments.length > 0
    if (text === '' && !hasAttachments) return {}
    if (r.response_type === 'in_channel') {
      const props: Record<string, unknown> = { ...(r.props ?? {}), from_webhook: 'true' }
      if (hasAttachments) props['attachments'] = r.attachments
      return { postId: sim.messaging.createPost({ userId, channelId, message: text, props }, 'integration').id }
    }
    sim.messaging.ephemeral({ userId, channelId, text, source })
    return { ephemeralText: text }
  }

  /**
   * POST /api/v4/posts/{post_id}/actions/{action_id} from the webapp, then DoPostActionWithCookie
   * (server/channels/app/integration_action.go): the context stored in the post goes to the
   * integration, plus `selected_option` for a menu; the answer may update the post and show an
   * ephemeral message.
   */
  async function doPostAction({ userId, postId, actionId, selectedOption }: PostActionRequest): Promise<ButtonResult> {
    // The route is /actions/{action_id:[A-Za-z0-9]+}: an action id with other characters never
    // reaches the server's handler (404), so the button silently does nothing
    // (docs/mattermost.md: "the action id must match [A-Za-z0-9]+").
    if (!/^[A-Za-z0-9]+$/.test(actionId)) throw new IntegrationError('not_found', `404: action id "${actionId}" does not match [A-Za-z0-9]+`)
    const post = sim.messaging.posts.get(postId)
    if (!post) throw new IntegrationError('not_found', `no post ${postId}`)
    const channel = sim.messaging.channels.get(post.channel_id)
    const user = sim.users.get(userId)
    if (!user || !channel || !channel.members.has(userId)) throw new IntegrationError('forbidden', `user ${userId} cannot read the channel of post ${postId}`)
    const action = findAction(post, actionId)
    if (!action) throw new IntegrationError('not_found', `post ${postId} has no action ${actionId}`)
    const integration = action['integration'] as { url?: unknown; context?: unknown } | undefined
    if (!integration || typeof integration.url !== 'string') throw new IntegrationError('bad_response', `action ${actionId} has no integration URL`)
    const type = typeof action['type'] === 'string' ? action['type'] : 'button'
    const stored = integration.context && typeof integration.context === 'object' ? { ...(integration.context as Record<string, unknown>) } : undefined
    // Only a menu with a non-empty choice adds it, and the server does not check that it is one
    // of the menu's options: whoever calls the API may send any value. It overwrites a
    // `selected_option` already in the context.
    const menuChoice = type === 'select' && selectedOption !== ''
    const context = menuChoice ? { ...stored, selected_option: selectedOption } : stored
    const payload: ButtonPayload = {
      user_id: user.id,
      user_name: user.username,
      channel_id: channel.id,
      channel_name: channel.name,
      team_id: channel.team_id,
      team_domain: channel.team_id ? sim.messaging.team.name : '',
      post_id: post.id,
      trigger_id: Buffer.from(`${newId()}:${user.id}:${sim.now()}`).toString('base64'),
      type,
      data_source: menuChoice && typeof action['data_source'] === 'string' ? action['data_source'] : '',
      ...(context ? { context } : {})
    }
    const reply = await integrations.sendButtonCallback(integration.url, payload)
    // Anything but 200 is an error shown to the user who clicked.
    if (reply.status !== 200) throw new IntegrationError('bad_response', `api.post.do_action.action_integration.app_error: status=${reply.status}`)
    const answer = readActionResponse(reply.text)
    const result: ButtonResult = { reply }
    if (answer.update) result.updatedPost = sim.messaging.updatePost(post.id, updatedFields(post, answer.update), 'integration')
    if (answer.ephemeralText !== '') {
      const text = answer.skipSlackParsing ? answer.ephemeralText : slackLinksToMarkdown(answer.ephemeralText)
      sim.messaging.ephemeral({ userId, channelId: channel.id, text, source: 'button' })
      result.ephemeralText = text
    }
    return result
  }

  const integrations: Integrations = {
    sendSlashCommand(url, fields, method = 'P') {
      const form = new URLSearchParams(fields as unknown as Record<string, string>).toString()
      const headers = { Accept: 'application/json', Authorization: `Token ${fields.token}` }
      if (method === 'G') return call('slash_command', `${url}${url.includes('?') ? '&' : '?'}${form}`, { method: 'GET', headers })
      return call('slash_command', url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form })
    },
    async executeCommand({ userId, command, channelId }) {
      const m = /^\/(\S+)\s*([\s\S]*)$/.exec(command)
      if (!m) throw new IntegrationError('not_found', `not a slash command: ${command}`)
      const trigger = m[1] as string
      const cmd = [...sim.messaging.commands.values()].find((c) => c.trigger === trigger)
      if (!cmd) throw new IntegrationError('not_found', `Command with a trigger of '/${trigger}' not found.`)
      const user = sim.users.get(userId)
      if (!user || user.delete_at > 0) throw new IntegrationError('forbidden', `no active user ${userId}`)
      const channel = sim.messaging.channels.get(channelId ?? sim.messaging.townSquare.id)
      if (!channel) throw new IntegrationError('not_found', `no channel ${channelId}`)
      const hookId = newId()
      hooks.set(hookId, { commandId: cmd.id, userId, channelId: channel.id, createdAt: sim.now(), uses: 0 })
      const fields: SlashCommandFields = {
        token: cmd.token,
        team_id: sim.messaging.team.id,
        team_domain: sim.messaging.team.name,
        channel_id: channel.id,
        channel_name: channel.name,
        user_id: user.id,
        user_name: user.username,
        command: `/${trigger}`,
        text: (m[2] ?? '').trim(),
        trigger_id: Buffer.from(`${newId()}:${user.id}:${sim.now()}`).toString('base64'),
        response_url: `${sim.siteUrl()}/hooks/commands/${hookId}`
      }
      const reply = await integrations.sendSlashCommand(cmd.url, fields, cmd.method)
      if (reply.status !== 200) return { reply }
      const response = readCommandResponse(reply)
      return { reply, response, ...applyCommandResponse(response, user.id, channel.id, 'slash_command') }
    },
    sendButtonCallback(url, payload) {
      return call('button', url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(payload) })
    },
    clickButton: (a) => doPostAction({ ...a, selectedOption: '' }),
    selectOption: (a) => doPostAction({ ...a, selectedOption: a.value }),
    commandWebhook(hookId, rawBody) {
      const hook = hooks.get(hookId)
      if (!hook || sim.now() - hook.createdAt > HOOK_TTL_MS) return { status: 400, text: 'Unable to find the command webhook.' }
      if (hook.uses >= HOOK_MAX_USES) return { status: 400, text: 'The command webhook has already been used the maximum number of times.' }
      let r: CommandResponse
      try {
        r = JSON.parse(rawBody) as CommandResponse
      } catch {
        return { status: 400, text: 'Unable to parse the command response.' }
      }
      hook.uses += 1
      applyCommandResponse(r, hook.userId, hook.channelId, 'response_url')
      return { status: 200, text: 'ok' }
    },
    abortAll() {
      for (const ac of inflight) ac.abort(new IntegrationError('network', 'simulator stopped'))
    }
  }
  return integrations
}

function findAction(post: SimPost, actionId: string): Record<string, unknown> | undefined {
  const attachments = post.props['attachments']
  if (!Array.isArray(attachments)) return undefined
  for (const a of attachments) {
    const actions = a && typeof a === 'object' ? (a as Record<string, unknown>)['actions'] : undefined
    if (!Array.isArray(actions)) continue
    for (const action of actions) {
      if (action && typeof action === 'object' && (action as Record<string, unknown>)['id'] === actionId) return action as Record<string, unknown>
    }
  }
  return undefined
}

/** model.PostActionIntegrationResponse as json.Unmarshal reads it: a wrong type is an error. */
interface ActionResponse {
  update: { message: string; props: Record<string, unknown> | null } | null
  ephemeralText: string
  skipSlackParsing: boolean
}

function badAnswer(why: string): IntegrationError {
  return new IntegrationError('bad_response', `api.post.do_action.action_integration.app_error: ${why}`)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function field<T>(v: unknown, ok: (x: unknown) => x is T, zero: T, name: string): T {
  if (v === undefined || v === null) return zero
  if (!ok(v)) throw badAnswer(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into field ${name}`)
  return v
}
const isString = (v: unknown): v is string => typeof v === 'string'
const isBool = (v: unknown): v is boolean => typeof v === 'boolean'

// An empty body is no answer; anything else must be JSON (whitespace alone is not: Go checks the
// length, then json.Unmarshal fails).
function readActionResponse(text: string): ActionResponse {
  if (text === '') return { update: null, ephemeralText: '', skipSlackParsing: false }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw badAnswer('the answer is not JSON')
  }
  if (body === null) body = {}
  if (!isObject(body)) throw badAnswer('the answer is not a JSON object')
  const update = field(body['update'], isObject, null, 'update')
  return {
    update: update && {
      message: field(update['message'], isString, '', 'update.message'),
      props: field(update['props'], isObject, null, 'update.props')
    },
    ephemeralText: field(body['ephemeral_text'], isString, '', 'ephemeral_text'),
    skipSlackParsing: field(body['skip_slack_parsing'], isBool, false, 'skip_slack_parsing')
  }
}

// model.PostActionRetainPropKeys: kept from the original post (or removed when it had none).
const RETAIN_PROP_KEYS = ['from_webhook', 'override_username', 'override_icon_url']

/**
 * The update replaces the message (absent = empty). Without props (absent or null) the original
 * props stay, buttons included; with props they replace the original ones (from_bot too), except
 * the retained keys.
 */
function updatedFields(post: SimPost, update: NonNullable<ActionResponse['update']>): { message: string; props: Record<string, unknown> } {
  if (update.props === null) return { message: update.message, props: post.props }
  const props = { ...update.props }
  for (const key of RETAIN_PROP_KEYS) {
    if (post.props[key] !== undefined) props[key] = post.props[key]
    else delete props[key]
  }
  return { message: update.message, props }
}

// model.ParseSlackLinksToMarkdown (model/slack_attachment.go): <url|text> becomes [text](url).
function slackLinksToMarkdown(text: string): string {
  return text.replace(/<([^<|]+)\|([^>]+)>/g, '[$2]($1)')
}
