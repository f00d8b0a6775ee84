import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { PersonControls } from '../../app/commands/command-port'
import { timingSafeEqualStrings } from '../timing-safe-equal'
import { HttpError } from '../errors'
import { MATTERMOST_ID } from '../mattermost-id'
import { acceptForms } from '../form-body'

// Mattermost's calls to us: the `/calstatus` slash command and clicks on our message buttons and
// menus (docs/mattermost.md#custom-slash-commands, #direct-messages-and-buttons). Both answer a
// person waiting in their client: an ephemeral reply, never a 5xx (Mattermost would show "command
// failed" with no hint of what to type). The work a command starts runs as jobs.

export interface MattermostIntegrationDeps {
  /** MM_COMMAND_TOKEN: the slash command's token; the command route is off without it (clicks prove themselves) */
  commandToken: string | null
  controls: PersonControls
  log: Logger
}

/** Mattermost caps a message at 16,383 characters; a command's text is far shorter. */
const MAX_TEXT = 16_383

const SORRY = 'Something went wrong on my side, and nothing was changed. Try again in a minute; if it keeps happening, tell your Mattermost admins.'

/** The token Mattermost sends twice: in `Authorization: Token …` and in the form. */
function tokenOk(request: FastifyRequest, body: Record<string, unknown>, expected: string): boolean {
  const header = request.headers.authorization
  const fromHeader = typeof header === 'string' && /^Token\s+/i.test(header) ? header.replace(/^Token\s+/i, '').trim() : undefined
  const fromBody = typeof body['token'] === 'string' ? body['token'] : undefined
  if (fromHeader === undefined && fromBody === undefined) return false
  // Both compared, always: which one is missing must not change the time taken.
  const headerOk = fromHeader === undefined || timingSafeEqualStrings(fromHeader, expected)
  const bodyOk = fromBody === undefined || timingSafeEqualStrings(fromBody, expected)
  return headerOk && bodyOk
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  return typeof v === 'string' ? v : ''
}

function ephemeral(reply: FastifyReply, text: string, attachments?: unknown[]) {
  return reply
    .code(200)
    .type('application/json')
    .send({ response_type: 'ephemeral', text, ...(attachments && attachments.length > 0 ? { attachments } : {}) })
}

export async function mattermostIntegrationRoutes(app: FastifyInstance, deps: MattermostIntegrationDeps): Promise<void> {
  // Slash commands come form-urlencoded; no plugin needed for a flat form.
  acceptForms(app)

  const commandToken = deps.commandToken
  if (commandToken) {
    app.post('/mattermost/command', { bodyLimit: 64 * 1024 }, async (request, reply) => {
      const body = request.body
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new HttpError(400, 'expected a form (application/x-www-form-urlencoded) as Mattermost sends a slash command')
      const form = body as Record<string, unknown>
      if (!tokenOk(request, form, commandToken)) throw new HttpError(401, 'the slash command token does not match MM_COMMAND_TOKEN')
      const userId = field(form, 'user_id')
      if (!MATTERMOST_ID.test(userId)) throw new HttpError(400, 'user_id must be a Mattermost user id (26 characters)')
      const text = field(form, 'text')
      if (text.length > MAX_TEXT) return ephemeral(reply, 'That is longer than any `/calstatus` command. Type `/calstatus help` to see what I understand.')
      try {
        const answer = await deps.controls.command({ userId, channelId: field(form, 'channel_id'), text: text.trim() })
        return ephemeral(reply, answer.text, answer.attachments)
      } catch (err) {
        deps.log.error({ err, user: userId }, 'slash command failed')
        return ephemeral(reply, SORRY)
      }
    })
  }

  app.post('/mattermost/actions', { bodyLimit: 64 * 1024 }, async (request, reply) => {
    const body = request.body
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpError(400, 'expected the JSON Mattermost posts for a message button or menu')
    const payload = body as Record<string, unknown>
    const userId = field(payload, 'user_id')
    const postId = field(payload, 'post_id')
    if (!MATTERMOST_ID.test(userId) || !MATTERMOST_ID.test(postId)) throw new HttpError(400, 'user_id and post_id must be Mattermost ids (26 characters)')
    try {
      const answer = await deps.controls.action({ userId, postId, context: payload['context'] })
      return reply
        .code(200)
        .type('application/json')
        .send({ ...(answer.update ? { update: answer.update } : {}), ...(answer.ephemeralText ? { ephemeral_text: answer.ephemeralText } : {}) })
    } catch (err) {
      deps.log.error({ err, user: userId }, 'message action failed')
      return reply.code(200).type('application/json').send({ ephemeral_text: SORRY })
    }
  })
}
