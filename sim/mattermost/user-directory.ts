import { recordSecret } from '../shared/secrets-ledger'
import { isValidId, newId } from './ids'
import { isSystemAdminRoles, rolesGrant, type Permission, type RoleTable } from './roles'

// Users, bots and tokens. Field names and types follow model.User as the server stores it:
// timezone and props are string maps (useAutomaticTimezone is the STRING "true"/"false"),
// emails and usernames are lowercase, delete_at > 0 means deactivated.

export interface SimTimezone {
  useAutomaticTimezone: string
  automaticTimezone: string
  manualTimezone: string
}

export interface SimUser {
  id: string
  create_at: number
  update_at: number
  delete_at: number
  username: string
  email: string
  email_verified: boolean
  nickname: string
  first_name: string
  last_name: string
  position: string
  roles: string
  locale: string
  auth_service: string
  timezone: SimTimezone
  props: Record<string, string>
  notify_props: Record<string, string>
  is_bot: boolean
  bot_description: string
  last_password_update: number
}

export interface NewUser {
  id?: string
  username?: string
  email?: string
  first_name?: string
  last_name?: string
  nickname?: string
  position?: string
  /** space-separated, e.g. "system_user" (default) or "system_user system_admin" */
  roles?: string
  locale?: string
  /** merged over the server default {useAutomaticTimezone: "true", automaticTimezone: "", manualTimezone: ""} */
  timezone?: { useAutomaticTimezone?: boolean | string; automaticTimezone?: string; manualTimezone?: string }
  props?: Record<string, string>
  /** deactivated (delete_at set) */
  deleted?: boolean
  isBot?: boolean
  botDescription?: string
  /**
   * How the user signs in: '' (e-mail and password, the default) or an SSO service ('ldap',
   * 'saml', 'gitlab', 'google', 'office365', 'openid'), which then owns the e-mail.
   */
  authService?: string
  /** Whether the e-mail is verified; default true (a server that does not require verification marks new users verified). */
  emailVerified?: boolean
}

export type TokenKind = 'session' | 'personal' | 'bot'

export interface SimToken {
  token: string
  userId: string
  kind: TokenKind
}

export interface UserDirectory {
  readonly users: Map<string, SimUser>
  readonly roles: RoleTable
  add(n: NewUser): SimUser
  update(id: string, patch: Partial<Omit<NewUser, 'id' | 'isBot'>>): SimUser
  get(id: string): SimUser | undefined
  byEmail(email: string): SimUser | undefined
  byUsername(username: string): SimUser | undefined
  setDeleted(id: string, deleted: boolean): void
  createToken(userId: string, kind?: TokenKind): string
  revokeToken(token: string): void
  /** The token's owner if the token is usable now; null means 401. */
  authenticate(token: string, personalTokensEnabled: boolean): SimUser | null
  hasPermission(userId: string, permission: Permission): boolean
  isSystemAdmin(userId: string): boolean
}

const USERNAME = /^[a-z][a-z0-9.\-_]{2,21}$/

export function createUserDirectory(deps: { now: () => number; roles: RoleTable; onAdd?: (u: SimUser) => void }): UserDirectory {
  const users = new Map<string, SimUser>()
  const tokens = new Map<string, SimToken>()
  let seq = 0

  const must = (id: string): SimUser => {
    const u = users.get(id)
    if (!u) throw new Error(`mattermost sim: no user ${id}`)
    return u
  }

  const timezoneOf = (tz: NewUser['timezone'], base: SimTimezone): SimTimezone => ({
    useAutomaticTimezone: tz?.useAutomaticTimezone === undefined ? base.useAutomaticTimezone : String(tz.useAutomaticTimezone),
    automaticTimezone: tz?.automaticTimezone ?? base.automaticTimezone,
    manualTimezone: tz?.manualTimezone ?? base.manualTimezone
  })

  // Indexes by username and e-mail (users are never removed, only deactivated): 100,000
  // users for the benchmarks must not cost a scan each.
  const byUsernameIndex = new Map<string, string>()
  const byEmailIndex = new Map<string, string>()
  const checkUnique = (u: { id: string; username: string; email: string }): void => {
    if (!USERNAME.test(u.username)) throw new Error(`mattermost sim: invalid username "${u.username}" (3-22 of [a-z0-9._-], starting with a letter)`)
    if (!/^[^\s@]+@[^\s@]+$/.test(u.email)) throw new Error(`mattermost sim: invalid email "${u.email}"`)
    const sameName = byUsernameIndex.get(u.username)
    if (sameName !== undefined && sameName !== u.id) throw new Error(`mattermost sim: username ${u.username} taken`)
    const sameEmail = byEmailIndex.get(u.email)
    if (sameEmail !== undefined && sameEmail !== u.id) throw new Error(`mattermost sim: email ${u.email} taken`)
  }
  const index = (before: SimUser | undefined, after: SimUser): void => {
    if (before) {
      byUsernameIndex.delete(before.username)
      byEmailIndex.delete(before.email)
    }
    byUsernameIndex.set(after.username, after.id)
    byEmailIndex.set(after.email, after.id)
  }

  const dir: UserDirectory = {
    users,
    roles: deps.roles,
    add(n) {
      const now = deps.now()
      seq += 1
      const id = n.id ?? newId()
      if (!isValidId(id)) throw new Error(`mattermost sim: invalid user id ${id}`)
      if (users.has(id)) throw new Error(`mattermost sim: user ${id} exists`)
      const username = (n.username ?? `${n.isBot ? 'bot' : 'user'}${seq}`).toLowerCase()
      const user: SimUser = {
        id,
        create_at: now,
        update_at: now,
        delete_at: n.deleted ? now : 0,
        username,
        // User.PreSave lowercases the email.
        email: (n.email ?? `${username}@${n.isBot ? 'localhost' : 'example.com'}`).toLowerCase(),
        email_verified: n.emailVerified ?? true,
        nickname: n.nickname ?? '',
        first_name: n.first_name ?? '',
        last_name: n.last_name ?? '',
        position: n.position ?? '',
        roles: n.roles ?? 'system_user',
        locale: n.locale ?? 'en',
        auth_service: n.authService ?? '',
        timezone: timezoneOf(n.timezone, { useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' }),
        props: { ...(n.props ?? {}) },
        notify_props: { email: 'true', push: 'mention', desktop: 'mention', channel: 'true', mention_keys: '', first_name: 'false', comments: 'never' },
        is_bot: n.isBot === true,
        bot_description: n.botDescription ?? '',
        last_password_update: n.isBot ? 0 : now
      }
      checkUnique(user)
      users.set(id, user)
      index(undefined, user)
      deps.onAdd?.(user)
      return user
    },
    update(id, patch) {
      const u = must(id)
      const email = patch.email?.toLowerCase() ?? u.email
      const next: SimUser = {
        ...u,
        username: patch.username?.toLowerCase() ?? u.username,
        email,
        // A changed address is unverified until its owner confirms it (the store's Update).
        email_verified: patch.emailVerified ?? (email === u.email ? u.email_verified : false),
        auth_service: patch.authService ?? u.auth_service,
        first_name: patch.first_name ?? u.first_name,
        last_name: patch.last_name ?? u.last_name,
        nickname: patch.nickname ?? u.nickname,
        position: patch.position ?? u.position,
        roles: patch.roles ?? u.roles,
        locale: patch.locale ?? u.locale,
        timezone: patch.timezone ? timezoneOf(patch.timezone, u.timezone) : u.timezone,
        props: patch.props ? { ...patch.props } : u.props,
        bot_description: patch.botDescription ?? u.bot_description,
        delete_at: patch.deleted === undefined ? u.delete_at : patch.deleted ? u.delete_at || deps.now() : 0,
        update_at: deps.now()
      }
      checkUnique(next)
      users.set(id, next)
      index(u, next)
      return next
    },
    get: (id) => users.get(id),
    byEmail(email) {
      const id = byEmailIndex.get(email.toLowerCase())
      return id === undefined ? undefined : users.get(id)
    },
    byUsername(username) {
      const id = byUsernameIndex.get(username.toLowerCase())
      return id === undefined ? undefined : users.get(id)
    },
    setDeleted(id, deleted) {
      dir.update(id, { deleted })
    },
    createToken(userId, kind) {
      const u = must(userId)
      // Session and access tokens are ids too (26 characters).
      const token = newId()
      const tokenKind = kind ?? (u.is_bot ? 'bot' : 'session')
      tokens.set(token, { token, userId, kind: tokenKind })
      recordSecret(`mattermost ${tokenKind} token`, token)
      return token
    },
    revokeToken(token) {
      tokens.delete(token)
    },
    authenticate(token, personalTokensEnabled) {
      const t = tokens.get(token)
      if (!t) return null
      const u = users.get(t.userId)
      // Deactivating a user revokes their sessions and tokens; disabling a bot does the same.
      if (!u || u.delete_at > 0) return null
      // A bot token works even when personal access tokens are disabled (docs/mattermost.md).
      if (t.kind === 'personal' && !personalTokensEnabled) return null
      return u
    },
    hasPermission(userId, permission) {
      const u = users.get(userId)
      return u !== undefined && rolesGrant(deps.roles, u.roles, permission)
    },
    isSystemAdmin(userId) {
      const u = users.get(userId)
      return u !== undefined && isSystemAdminRoles(u.roles)
    }
  }
  return dir
}
