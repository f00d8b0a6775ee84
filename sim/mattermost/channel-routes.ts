import { isSystemAdminSession } from './access'
import { AppError, invalidBodyParam, permissionError } from './app-error'
import { decodeOr400, decodeStringArray, decodeStruct } from './go-decode'
import { goParseBool, goMarshal, runeCount } from './go-json'
import { isValidId } from './ids'
import type { SimChannel, SimPost } from './messaging'
import { defineRoute, type ApiRoute, type SimModel } from './route-table'
import type { SimUser } from './user-directory'

// api4/channel.go createDirectChannel and api4/post.go createPost.

const POST_MESSAGE_MAX_RUNES = 16383
const POST_PROPS_MAX_RUNES = 800000

export function channelJson(c: SimChannel): Record<string, unknown> {
  return {
    id: c.id,
    create_at: c.create_at,
    update_at: c.update_at,
    delete_at: c.delete_at,
    team_id: c.team_id,
    type: c.type,
    display_name: c.display_name,
    name: c.name,
    header: c.header,
    purpose: c.purpose,
    last_post_at: c.last_post_at,
    total_msg_count: c.total_msg_count,
    extra_update_at: 0,
    creator_id: c.creator_id,
    scheme_id: null,
    props: null,
    group_constrained: null,
    shared: null,
    total_msg_count_root: c.total_msg_count,
    policy_id: null,
    last_root_post_at: c.last_post_at
  }
}

/**
 * Post.StripActionIntegrations: clients never see an action's integration (URL and context),
 * so the context can carry a secret.
 */
export function postJson(p: SimPost): Record<string, unknown> {
  const props = structuredClone(p.props)
  const attachments = props['attachments']
  if (Array.isArray(attachments)) {
    for (const a of attachments) {
      const actions = a && typeof a === 'object' ? (a as Record<string, unknown>)['actions'] : undefined
      if (Array.isArray(actions))
        for (const action of actions) if (action && typeof action === 'object') delete (action as Record<string, unknown>)['integration']
    }
  }
  return {
    id: p.id,
    create_at: p.create_at,
    update_at: p.update_at,
    edit_at: p.edit_at,
    delete_at: p.delete_at,
    is_pinned: p.is_pinned,
    user_id: p.user_id,
    channel_id: p.channel_id,
    root_id: p.root_id,
    original_id: p.original_id,
    message: p.message,
    type: p.type,
    props,
    hashtags: p.hashtags,
    pending_post_id: p.pending_post_id,
    reply_count: p.reply_count,
    metadata: {}
  }
}

/** Post.GenerateActionIds: actions without an id get one; ids are not otherwise checked here. */
function generateActionIds(props: Record<string, unknown>, newId: () => string): void {
  const attachments = props['attachments']
  if (!Array.isArray(attachments)) return
  for (const a of attachments) {
    const actions = a && typeof a === 'object' ? (a as Record<string, unknown>)['actions'] : undefined
    if (!Array.isArray(actions)) continue
    for (const action of actions) {
      if (action && typeof action === 'object' && !(action as Record<string, unknown>)['id']) (action as Record<string, unknown>)['id'] = newId()
    }
  }
}

/** SessionHasPermissionToChannel(create_post): a member, or a role with create_post system-wide. */
export function canPostIn(sim: SimModel, user: SimUser, channel: SimChannel | undefined): boolean {
  if (isSystemAdminSession(sim, user) || sim.users.hasPermission(user.id, 'create_post')) return true
  return channel !== undefined && channel.delete_at === 0 && channel.members.has(user.id)
}

export function channelRoutes(newId: () => string): ApiRoute[] {
  return [
    // 201 every time; the same channel for the same pair (docs/mattermost.md).
    defineRoute('POST', '/api/v4/channels/direct', {}, (req, sim) => {
      const ids = decodeOr400('user_ids', () => decodeStringArray(req.rawBody))
      if (ids.length !== 2) throw invalidBodyParam('user_ids')
      let allowed = false
      for (const id of ids) {
        if (!isValidId(id)) throw invalidBodyParam('user_id')
        if (id === req.session.id) allowed = true
      }
      if (!sim.users.hasPermission(req.session.id, 'create_direct_channel')) throw permissionError('create_direct_channel')
      if (!allowed && !isSystemAdminSession(sim, req.session)) throw permissionError('manage_system')
      for (const id of ids) {
        if (!sim.users.get(id))
          throw new AppError(400, 'api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user ID for direct channel creation.', `user_id=${id}`)
      }
      const [a, b] = ids as [string, string]
      return { status: 201, json: channelJson(sim.messaging.directChannel(a, b, req.session.id)) }
    }),

    defineRoute('POST', '/api/v4/posts', {}, (req, sim) => {
      const body = decodeOr400('post', () =>
        decodeStruct(req.rawBody, {
          channel_id: 'string',
          message: 'string',
          root_id: 'string',
          props: 'object',
          file_ids: 'string[]',
          type: 'string',
          pending_post_id: 'string',
          metadata: 'object'
        })
      )
      const channelId = (body.channel_id as string | undefined) ?? ''
      const channel = sim.messaging.channels.get(channelId)
      if (!canPostIn(sim, req.session, channel)) throw permissionError('create_post')
      if (!channel) throw new AppError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.')
      if (channel.delete_at > 0) throw new AppError(400, 'api.post.create_post.can_not_post_to_deleted.error', 'Can not post to deleted channel.')
      if (channel.type === 'D') {
        // Interpretation (see README): a DM whose other member is deactivated is archived for
        // posting; the simulator refuses it rather than accept a message nobody will read.
        const other = [...channel.members].find((m) => m !== req.session.id) ?? req.session.id
        if ((sim.users.get(other)?.delete_at ?? 0) > 0)
          throw new AppError(
            400,
            'api.post.create_post.can_not_post_to_deactivated_user.app_error',
            'Can not post to a direct channel with a deactivated user.'
          )
      }
      const message = (body.message as string | undefined) ?? ''
      if (runeCount(message) > POST_MESSAGE_MAX_RUNES)
        throw new AppError(
          400,
          'model.post.is_valid.message_length.app_error',
          `Message property length is greater than the maximum allowed length (${POST_MESSAGE_MAX_RUNES}).`
        )
      const props = structuredClone((body.props as Record<string, unknown> | undefined) ?? {})
      if (runeCount(goMarshal(props)) > POST_PROPS_MAX_RUNES) throw new AppError(400, 'model.post.is_valid.props.app_error', 'Invalid props.')
      const rootId = (body.root_id as string | undefined) ?? ''
      if (rootId !== '' && sim.messaging.posts.get(rootId)?.channel_id !== channelId)
        throw new AppError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.')
      generateActionIds(props, newId)
      if (req.session.is_bot) props['from_bot'] = 'true'
      const post = sim.messaging.createPost({ userId: req.session.id, channelId, message, props, rootId }, `api:${req.session.id}`)
      // set_online defaults to true: posting counts as activity of the poster.
      if (goParseBool(req.query.get('set_online') ?? '') !== false) sim.statuses.presence(req.session.id, 'active')
      return { status: 201, json: postJson(post) }
    })
  ]
}
