import { newId } from './ids'
import type { EphemeralMessage, PostEvent, SimHistory } from './history'

// One team, its town-square, direct message channels, posts and registered slash commands.
// A direct channel's name is the two user ids sorted and joined by "__"; creating it again
// returns the same channel.

export interface SimTeam {
  id: string
  name: string
  display_name: string
}

export interface SimChannel {
  id: string
  type: 'O' | 'P' | 'D'
  team_id: string
  name: string
  display_name: string
  header: string
  purpose: string
  create_at: number
  update_at: number
  delete_at: number
  creator_id: string
  last_post_at: number
  total_msg_count: number
  members: Set<string>
}

export interface SimPost {
  id: string
  create_at: number
  update_at: number
  edit_at: number
  delete_at: number
  is_pinned: boolean
  user_id: string
  channel_id: string
  root_id: string
  original_id: string
  message: string
  type: string
  props: Record<string, unknown>
  hashtags: string
  pending_post_id: string
  reply_count: number
}

export interface SimCommand {
  id: string
  token: string
  trigger: string
  url: string
  method: 'P' | 'G'
  team_id: string
  creator_id: string
  create_at: number
}

export interface Messaging {
  readonly team: SimTeam
  readonly townSquare: SimChannel
  readonly channels: Map<string, SimChannel>
  readonly posts: Map<string, SimPost>
  readonly commands: Map<string, SimCommand>
  directChannel(a: string, b: string, creatorId: string): SimChannel
  createPost(p: { userId: string; channelId: string; message: string; props?: Record<string, unknown>; rootId?: string }, who: PostEvent['who']): SimPost
  updatePost(postId: string, patch: { message?: string; props?: Record<string, unknown> }, who: PostEvent['who']): SimPost
  ephemeral(e: Omit<EphemeralMessage, 'time'>): void
  registerCommand(c: { trigger: string; url: string; creatorId: string; method?: 'P' | 'G' }): SimCommand
}

export function createMessaging(deps: { now: () => number; history: SimHistory; teamName?: string }): Messaging {
  const now = deps.now()
  const team: SimTeam = { id: newId(), name: deps.teamName ?? 'calstatus', display_name: 'Calstatus' }
  const channels = new Map<string, SimChannel>()
  const posts = new Map<string, SimPost>()
  const commands = new Map<string, SimCommand>()

  const townSquare: SimChannel = {
    id: newId(),
    type: 'O',
    team_id: team.id,
    name: 'town-square',
    display_name: 'Town Square',
    header: '',
    purpose: '',
    create_at: now,
    update_at: now,
    delete_at: 0,
    creator_id: '',
    last_post_at: now,
    total_msg_count: 0,
    members: new Set()
  }
  channels.set(townSquare.id, townSquare)

  const record = (kind: PostEvent['kind'], post: SimPost, who: PostEvent['who']): void => {
    deps.history.posts.push({
      time: deps.now(),
      kind,
      postId: post.id,
      channelId: post.channel_id,
      userId: post.user_id,
      message: post.message,
      props: structuredClone(post.props),
      who
    })
  }

  return {
    team,
    townSquare,
    channels,
    posts,
    commands,
    directChannel(a, b, creatorId) {
      const name = [a, b].sort().join('__')
      for (const c of channels.values()) if (c.type === 'D' && c.name === name) return c
      const t = deps.now()
      const channel: SimChannel = {
        id: newId(),
        type: 'D',
        team_id: '',
        name,
        display_name: '',
        header: '',
        purpose: '',
        create_at: t,
        update_at: t,
        delete_at: 0,
        creator_id: creatorId,
        last_post_at: t,
        total_msg_count: 0,
        members: new Set([a, b])
      }
      channels.set(channel.id, channel)
      return channel
    },
    createPost(p, who) {
      const channel = channels.get(p.channelId)
      if (!channel) throw new Error(`mattermost sim: no channel ${p.channelId}`)
      const t = deps.now()
      const post: SimPost = {
        id: newId(),
        create_at: t,
        update_at: t,
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: p.userId,
        channel_id: p.channelId,
        root_id: p.rootId ?? '',
        original_id: '',
        message: p.message,
        type: '',
        props: structuredClone(p.props ?? {}),
        hashtags: '',
        pending_post_id: '',
        reply_count: 0
      }
      posts.set(post.id, post)
      channel.last_post_at = t
      channel.total_msg_count += 1
      record('create', post, who)
      return post
    },
    updatePost(postId, patch, who) {
      const post = posts.get(postId)
      if (!post) throw new Error(`mattermost sim: no post ${postId}`)
      const t = deps.now()
      if (patch.message !== undefined) post.message = patch.message
      if (patch.props !== undefined) post.props = structuredClone(patch.props)
      post.update_at = t
      post.edit_at = t
      record('update', post, who)
      return post
    },
    ephemeral(e) {
      deps.history.ephemerals.push({ time: deps.now(), ...e })
    },
    registerCommand(c) {
      const trigger = c.trigger.replace(/^\//, '')
      if (!/^[^\s/][^\s]{0,127}$/.test(trigger)) throw new Error(`mattermost sim: invalid trigger "${c.trigger}"`)
      for (const existing of commands.values()) if (existing.trigger === trigger) throw new Error(`mattermost sim: trigger /${trigger} exists`)
      const cmd: SimCommand = {
        id: newId(),
        token: newId(),
        trigger,
        url: c.url,
        method: c.method ?? 'P',
        team_id: team.id,
        creator_id: c.creatorId,
        create_at: deps.now()
      }
      commands.set(cmd.id, cmd)
      return cmd
    }
  }
}
