import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { MattermostConfig } from '../config'
import { createMattermostHttp, isAmbiguous, type MattermostHttp, type MattermostHttpOptions, type MattermostRequest } from './create-mattermost-http'
import { createMattermostMetrics, type MattermostMetrics } from './mattermost-metrics'
import { createRateCeiling } from './create-rate-ceiling'
import { MattermostError, MattermostOutcomeUnknownError, MattermostPermissionError } from './errors'
import { errorMessage } from '../shared/to-error'

export type MmStatusValue = 'online' | 'away' | 'offline' | 'dnd'

export interface MmUserStatus {
  user_id: string
  status: MmStatusValue
  manual: boolean
  last_activity_at: number
  /** seconds */
  dnd_end_time: number
}

export interface MmCustomStatus {
  emoji: string
  text: string
  duration?: string
  expires_at?: string
}

export interface DirectoryUser {
  id: string
  username: string
  email: string
  /** IANA zone the user sees times in (automatic or manual per their settings), UTC if unset. */
  timeZone: string
  roles: string[]
  isSystemAdmin: boolean
  /**
   * Mattermost vouches for the e-mail: the user signs in through SSO (`auth_service`, shown
   * only to a bot with manage_system) or the address is shown verified (`email_verified`,
   * which Mattermost shows only to the user themself). docs/mattermost.md#who-is-enrolled
   */
  emailTrusted: boolean
  /** Mattermost's language for the user (`en`, `de`, ...): texts and date formats follow it. */
  locale: string
}

/** A write made for a user: `beforeSend` runs before each attempt (the user's lease is checked there). */
export interface WriteOptions {
  beforeSend?: () => Promise<void>
}

/** A write either happened, or was skipped for a reason that is not a failure. */
export type WriteOutcome = { done: true } | { done: false; skipped: 'system-admin'; reason: string }

export interface MattermostAdapter {
  http: MattermostHttp
  metrics: MattermostMetrics
  /** Start-up check: the bot token works; who the bot is. */
  me(): Promise<{ id: string; username: string; roles: string[]; isBot: boolean }>
  getStatuses(userIds: string[]): Promise<Map<string, MmUserStatus>>
  /** What the cluster's ceiling allows now (calls per second, calls that may go at once): a crowded minute's pre-roll is planned with it. */
  allowance(): Promise<{ perSecond: number; burst: number }>
  setStatus(userId: string, status: MmStatusValue, dndEndTimeSeconds?: number, opts?: WriteOptions): Promise<WriteOutcome>
  getCustomStatus(userId: string): Promise<MmCustomStatus | null>
  /** Custom statuses of many users in one call per body-size chunk (POST /users/ids). */
  getCustomStatuses(userIds: string[]): Promise<Map<string, MmCustomStatus | null>>
  setCustomStatus(userId: string, cs: { emoji: string; text: string; expiresAt: string }, opts?: WriteOptions): Promise<WriteOutcome>
  clearCustomStatus(userId: string, opts?: WriteOptions): Promise<WriteOutcome>
  sendDirectMessage(userId: string, message: string, props?: Record<string, unknown>, opts?: WriteOptions): Promise<{ postId: string; channelId: string }>
  /** Active, non-bot users, one page (at most 200) at a time. */
  listUsers(): AsyncGenerator<DirectoryUser[]>
  getUserByEmail(email: string): Promise<DirectoryUser | null>
  /** One active person by id (a `/calstatus on`); null for a bot, a deactivated or unknown user. */
  getUser(userId: string): Promise<DirectoryUser | null>
  /** A DM to each of ADMIN_MM_USERS; how many got it and how many could not be reached. */
  messageAdmins(message: string): Promise<{ sent: number; failed: number }>
}

/** The server's request body limit is 300,000 bytes; stay clear of it (docs/mattermost.md). */
export const STATUS_IDS_BODY_LIMIT = 250_000
export const USERS_PER_PAGE = 200
/** When a DND's answer was lost: read the status back after these pauses before giving up on it. */
const DND_READ_BACK_PAUSES_MS = [0, 1000, 3000]

interface RawUser {
  id: string
  username: string
  email: string
  roles?: string
  is_bot?: boolean
  delete_at?: number
  timezone?: { useAutomaticTimezone?: string | boolean; automaticTimezone?: string; manualTimezone?: string }
  props?: Record<string, string>
  email_verified?: boolean
  /** '' (or 'email') for e-mail and password; otherwise the SSO service that owns the e-mail. */
  auth_service?: string
  locale?: string
}

function effectiveTimeZone(tz: RawUser['timezone']): string {
  if (!tz) return 'UTC'
  const automatic = tz.useAutomaticTimezone === true || tz.useAutomaticTimezone === 'true'
  const zone = automatic ? tz.automaticTimezone : tz.manualTimezone
  return zone && zone.trim() !== '' ? zone : 'UTC'
}

/** The custom status lives in props.customStatus as a JSON string (docs/mattermost.md). */
function customStatusOf(u: RawUser): MmCustomStatus | null {
  const raw = u.props?.['customStatus']
  if (!raw) return null
  try {
    const cs = JSON.parse(raw) as MmCustomStatus
    return cs && (cs.emoji || cs.text) ? cs : null
  } catch {
    return null
  }
}

function toDirectoryUser(u: RawUser): DirectoryUser {
  const roles = (u.roles ?? '').split(/\s+/).filter(Boolean)
  const sso = u.auth_service !== undefined && u.auth_service !== '' && u.auth_service !== 'email'
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    timeZone: effectiveTimeZone(u.timezone),
    roles,
    isSystemAdmin: roles.includes('system_admin'),
    emailTrusted: sso || u.email_verified === true,
    locale: u.locale ?? ''
  }
}

/** Split ids into the fewest status/ids calls whose JSON body stays under the limit. */
export function chunkIdsByBodySize(ids: string[], limitBytes: number): string[][] {
  const chunks: string[][] = []
  let current: string[] = []
  let size = 2 // []
  for (const id of ids) {
    const add = Buffer.byteLength(JSON.stringify(id)) + (current.length > 0 ? 1 : 0)
    if (size + add > limitBytes && current.length > 0) {
      chunks.push(current)
      current = []
      size = 2
    }
    current.push(id)
    size += Buffer.byteLength(JSON.stringify(id)) + (current.length > 1 ? 1 : 0)
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

export interface MattermostAdapterDeps {
  log: Logger
  registry: Registry
  /** Shared state: the cluster-wide ceiling, the DM channel cache. */
  redis: Redis
  keyPrefix: string
  /** Told when a write is refused for want of edit_other_users, and when one to another user works. */
  permission?: { missing(message: string): Promise<void>; ok(): void }
  /** Told after every call whether Mattermost answered (outage notices, src/app/outage-watch.ts). */
  health?: (up: boolean) => void
}

/** A call that failed because Mattermost was not there: no answer, or a 5xx after the retries. */
function isOutage(err: unknown): boolean {
  return err instanceof MattermostError && (err.status === 0 || err.status >= 500)
}

/** The HTTP client, telling `health` after every call whether Mattermost answered. */
function watched(http: MattermostHttp, health: ((up: boolean) => void) | undefined, log: Logger): MattermostHttp {
  if (!health) return http
  const tell = (up: boolean): void => {
    try {
      health(up)
    } catch (err) {
      log.warn({ err }, 'Mattermost health hook failed')
    }
  }
  return {
    client4: http.client4,
    async call<T>(req: MattermostRequest) {
      try {
        const res = await http.call<T>(req)
        tell(true)
        return res
      } catch (err) {
        tell(!isOutage(err))
        throw err
      }
    }
  }
}

export function createMattermostAdapter(config: MattermostConfig, deps: MattermostAdapterDeps, httpOpts?: Partial<MattermostHttpOptions>): MattermostAdapter {
  const metrics = createMattermostMetrics(deps.registry)
  const ceiling = createRateCeiling(deps.redis, {
    key: `${deps.keyPrefix}:mm:ceiling-state`,
    perSecond: config.maxRequestsPerSecond,
    onRate: (r) => metrics.allowedRate.set(r)
  })
  const http = watched(
    createMattermostHttp(
      config,
      { ceiling, metrics, log: deps.log },
      {
        timeoutMs: 10_000,
        maxAttempts: 4,
        maxThrottledAttempts: 8,
        backoffBaseMs: 500,
        // Sleeping longer than this holds a user's lease for nothing: the job is delayed instead.
        maxWaitMs: 120_000,
        ...httpOpts
      }
    ),
    deps.health,
    deps.log
  )
  const c4 = http.client4
  const dmKey = `${deps.keyPrefix}:mm:dm-channels`
  let botId: string | null = null

  const me: MattermostAdapter['me'] = async () => {
    const res = await http.call<RawUser>({ method: 'GET', url: `${c4.getUsersRoute()}/me`, route: 'GET /users/me' })
    botId = res.body.id
    const roles = (res.body.roles ?? '').split(/\s+/).filter(Boolean)
    return { id: res.body.id, username: res.body.username, roles, isBot: res.body.is_bot === true }
  }

  /**
   * A 403 on a write to another user: a system admin the bot may not edit without
   * manage_system is skipped, not failed; anything else means the bot lacks edit_other_users,
   * which admins hear about (an admin notice, src/app/admin-notices.ts) and every caller sees.
   */
  const onForbidden = async (userId: string, route: string): Promise<WriteOutcome> => {
    const target = await http.call<RawUser>({ method: 'GET', url: c4.getUserRoute(userId), route: 'GET /users/{id}' })
    if (toDirectoryUser(target.body).isSystemAdmin) {
      return { done: false, skipped: 'system-admin', reason: 'a system admin; the bot needs manage_system to change their status' }
    }
    const error = new MattermostPermissionError(route)
    await deps.permission
      ?.missing(`calstatus cannot change statuses: ${error.message}`)
      .catch((err: unknown) => deps.log.warn({ err }, 'could not raise the permission notice'))
    throw error
  }

  const messageAdmins: MattermostAdapter['messageAdmins'] = async (message) => {
    let sent = 0
    let failed = 0
    for (const username of config.adminUsers) {
      try {
        const user = await http.call<RawUser>({
          method: 'GET',
          url: `${c4.getUsersRoute()}/username/${encodeURIComponent(username)}`,
          route: 'GET /users/username/{username}'
        })
        await adapter.sendDirectMessage(user.body.id, message)
        sent += 1
      } catch (err) {
        failed += 1
        deps.log.warn({ username, err }, 'could not send the admin notice')
      }
    }
    return { sent, failed }
  }

  const write = async (userId: string, route: string, req: () => Promise<unknown>): Promise<WriteOutcome> => {
    try {
      await req()
      deps.permission?.ok()
      return { done: true }
    } catch (err) {
      if (err instanceof MattermostError && err.status === 403) return onForbidden(userId, route)
      throw err
    }
  }

  const getStatus = async (userId: string): Promise<MmUserStatus> =>
    (await http.call<MmUserStatus>({ method: 'GET', url: `${c4.getUserRoute(userId)}/status`, route: 'GET /users/{id}/status' })).body

  /** Whether a DND whose answer was lost shows up, read a few times over a few seconds. */
  const dndLanded = async (userId: string, expectedEnd: number): Promise<boolean> => {
    for (const pauseMs of DND_READ_BACK_PAUSES_MS) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
      const now = await getStatus(userId).catch(() => null)
      if (now?.status === 'dnd' && (now.dnd_end_time ?? 0) === expectedEnd) return true
    }
    return false
  }

  const adapter: MattermostAdapter = {
    allowance: () => ceiling.allowance(),
    http,
    metrics,
    me,
    async getStatuses(userIds) {
      const out = new Map<string, MmUserStatus>()
      for (const ids of chunkIdsByBodySize([...new Set(userIds)], STATUS_IDS_BODY_LIMIT)) {
        const res = await http.call<MmUserStatus[]>({ method: 'POST', url: `${c4.getUsersRoute()}/status/ids`, route: 'POST /users/status/ids', body: ids })
        // Order is not guaranteed: key by user_id.
        for (const s of res.body) out.set(s.user_id, s)
      }
      return out
    },
    async setStatus(userId, status, dndEndTimeSeconds, opts) {
      const route = 'PUT /users/{id}/status'
      const body = { user_id: userId, status, ...(status === 'dnd' && dndEndTimeSeconds ? { dnd_end_time: Math.floor(dndEndTimeSeconds) } : {}) }
      return write(userId, route, async () => {
        try {
          await http.call({ method: 'PUT', url: `${c4.getUserRoute(userId)}/status`, route, body, idempotent: status !== 'dnd', beforeSend: opts?.beforeSend })
        } catch (err) {
          if (status !== 'dnd' || !isAmbiguous(err)) throw err
          // The DND may have landed, or may still land: sending it again would make Mattermost
          // remember `dnd` as the status to restore (docs/mattermost.md#setting-a-status). Look.
          const expectedEnd = body.dnd_end_time ? body.dnd_end_time - (body.dnd_end_time % 60) : 0
          if (await dndLanded(userId, expectedEnd)) return
          throw new MattermostOutcomeUnknownError(route, errorMessage(err))
        }
      })
    },
    async getCustomStatus(userId) {
      const res = await http.call<RawUser>({ method: 'GET', url: c4.getUserRoute(userId), route: 'GET /users/{id}' })
      return customStatusOf(res.body)
    },
    async getCustomStatuses(userIds) {
      const out = new Map<string, MmCustomStatus | null>()
      for (const ids of chunkIdsByBodySize([...new Set(userIds)], STATUS_IDS_BODY_LIMIT)) {
        const res = await http.call<RawUser[]>({ method: 'POST', url: `${c4.getUsersRoute()}/ids`, route: 'POST /users/ids', body: ids })
        for (const u of res.body) out.set(u.id, customStatusOf(u))
      }
      return out
    },
    async setCustomStatus(userId, cs, opts) {
      const route = 'PUT /users/{id}/status/custom'
      return write(userId, route, () =>
        http.call({
          method: 'PUT',
          url: `${c4.getUserRoute(userId)}/status/custom`,
          route,
          beforeSend: opts?.beforeSend,
          // `date_and_time` with the block's end: clients hide it on time even if we are down.
          body: { emoji: cs.emoji, text: [...cs.text].slice(0, 100).join(''), duration: 'date_and_time', expires_at: cs.expiresAt }
        })
      )
    },
    async clearCustomStatus(userId, opts) {
      const route = 'DELETE /users/{id}/status/custom'
      return write(userId, route, () => http.call({ method: 'DELETE', url: `${c4.getUserRoute(userId)}/status/custom`, route, beforeSend: opts?.beforeSend }))
    },
    async sendDirectMessage(userId, message, props, opts) {
      const bot = botId ?? (await me()).id
      let channelId = await deps.redis.hget(dmKey, `${bot}:${userId}`)
      if (!channelId) {
        const res = await http.call<{ id: string }>({
          method: 'POST',
          url: `${c4.getChannelsRoute()}/direct`,
          route: 'POST /channels/direct',
          body: [bot, userId]
        })
        channelId = res.body.id
        await deps.redis.hset(dmKey, `${bot}:${userId}`, channelId)
      }
      const post = await http.call<{ id: string }>({
        method: 'POST',
        url: c4.getPostsRoute(),
        route: 'POST /posts',
        body: { channel_id: channelId, message, ...(props ? { props } : {}) },
        idempotent: false,
        beforeSend: opts?.beforeSend
      })
      return { postId: post.body.id, channelId }
    },
    async *listUsers() {
      for (let page = 0; ; page++) {
        const res = await http.call<RawUser[]>({
          method: 'GET',
          url: `${c4.getUsersRoute()}?page=${page}&per_page=${USERS_PER_PAGE}&active=true`,
          route: 'GET /users'
        })
        const users = res.body.filter((u) => !u.is_bot && !u.delete_at && u.email).map(toDirectoryUser)
        if (users.length > 0) yield users
        if (res.body.length < USERS_PER_PAGE) return
      }
    },
    async getUserByEmail(email) {
      // The client does not URL-encode e-mails (docs/mattermost.md): '+' and '/' would break the path.
      const res = await http.call<RawUser>({
        method: 'GET',
        url: `${c4.getUsersRoute()}/email/${encodeURIComponent(email)}`,
        route: 'GET /users/email/{email}',
        accept: [404]
      })
      return res.status === 404 ? null : toDirectoryUser(res.body)
    },
    async getUser(userId) {
      const res = await http.call<RawUser>({ method: 'GET', url: c4.getUserRoute(userId), route: 'GET /users/{id}', accept: [404] })
      const u = res.body
      return res.status === 404 || u.is_bot || u.delete_at || !u.email ? null : toDirectoryUser(u)
    },
    messageAdmins
  }
  return adapter
}
