import { decodeCustomStatus, preSaveCustomStatus, type StoredCustomStatus } from './custom-status'
import type { Fault, FaultInjector } from './fault-injector'
import type { ButtonPayload, ButtonResult, IntegrationReply, Integrations, SlashCommandFields, SlashCommandResult } from './integrations'
import type { SimChannel, SimPost } from './messaging'
import type { RateLimitSettings } from './rate-limiter'
import type { Permission } from './roles'
import type { SimConfig, SimModel } from './route-table'
import type { MmStatus, MmStatusRecord, PresenceEvent } from './status-model'
import type { NewUser, SimUser, TokenKind } from './user-directory'

// The in-process driver: what a test, a benchmark or the demo does to the simulated server
// from outside the API (people using Mattermost, an admin changing settings, the network
// misbehaving). Returned objects are copies.

export interface MattermostSimDriver {
  addUser(n?: NewUser): SimUser
  /** A bot account (is_bot, roles "system_user" unless given). */
  addBot(n?: NewUser): SimUser
  updateUser(id: string, patch: Partial<Omit<NewUser, 'id' | 'isBot'>>): SimUser
  deactivateUser(id: string): void
  reactivateUser(id: string): void
  /** e.g. setRoles(bot, 'system_user system_admin') */
  setRoles(userId: string, roles: string): void
  /** A custom role, e.g. defineRole('status_manager', ['edit_other_users']). */
  defineRole(name: string, permissions: Permission[]): void
  /** 'session' (a login), 'personal' (needs enablePersonalAccessTokens) or 'bot'. */
  createToken(userId: string, kind?: TokenKind): string
  revokeToken(token: string): void
  user(id: string): SimUser | undefined
  userByEmail(email: string): SimUser | undefined

  /** The stored status, including the hidden prev_status. */
  status(userId: string): MmStatusRecord
  /** The user picks a status in their client (same semantics as the API; who = api:<userId>). */
  setStatus(userId: string, status: MmStatus, dndEndTimeSeconds?: number): MmStatusRecord
  /** Write a status record as is, for test setup (who = 'driver'). */
  seedStatus(userId: string, patch: Partial<Omit<MmStatusRecord, 'user_id'>>): MmStatusRecord
  /** Automatic presence: activity, idle (away after 5 min), disconnect. Never overrides manual. */
  presence(userId: string, event: PresenceEvent): MmStatusRecord

  customStatus(userId: string): StoredCustomStatus | null
  /** The user sets a custom status in their client; the server's validation applies (throws AppError). */
  setCustomStatus(userId: string, cs: { emoji?: string; text?: string; duration?: string; expires_at?: string }): StoredCustomStatus
  clearCustomStatus(userId: string): void
  recentCustomStatuses(userId: string): StoredCustomStatus[]
  addCustomEmoji(name: string): void

  setConfig(patch: Partial<SimConfig>): SimConfig
  /** Turn the server's rate limiter on (settings, defaults 10/s burst 100) or off (false). */
  setRateLimit(settings: Partial<RateLimitSettings> | false): void
  /** Fail the next `count` matching requests. */
  injectFaults(count: number, fault: Fault): void
  /** Injected faults not yet consumed by a request. */
  pendingFaults(): number
  clearFaults(): void
  /** Added to every API request before it is handled. */
  setLatency(ms: number): void

  registerCommand(c: { trigger: string; url: string; method?: 'P' | 'G'; creatorId?: string }): { id: string; token: string; trigger: string }
  /** An admin edits the command's URL (PUT /api/v4/commands/{id}): the token stays. */
  updateCommandUrl(id: string, url: string): void
  /** A user types "/trigger text" in a channel (town-square unless given). */
  executeCommand(a: { userId: string; command: string; channelId?: string }): Promise<SlashCommandResult>
  /** Low level: POST these fields to a URL as Mattermost would. */
  sendSlashCommand(url: string, fields: SlashCommandFields, method?: 'P' | 'G'): Promise<IntegrationReply>
  /** A user clicks a message button of a post. */
  clickButton(a: { userId: string; postId: string; actionId: string }): Promise<ButtonResult>
  /** A user picks `value` in a message menu; like the server, any value, one of the options or not. */
  selectOption(a: { userId: string; postId: string; actionId: string; value: string }): Promise<ButtonResult>
  /** Low level: POST this payload to a URL as Mattermost would. */
  sendButtonCallback(url: string, payload: ButtonPayload): Promise<IntegrationReply>

  post(id: string): SimPost | undefined
  /** Posts of a channel (all when omitted), oldest first. */
  posts(channelId?: string): SimPost[]
  channel(id: string): (Omit<SimChannel, 'members'> & { members: string[] }) | undefined
  /** The DM channel of two users if it exists. */
  directChannelId(a: string, b: string): string | undefined
}

export interface DriverControls {
  faults: FaultInjector
  setRateLimit(settings: RateLimitSettings | null): void
  setLatency(ms: number): void
}

export function createDriver(sim: SimModel, integrations: Integrations, controls: DriverControls, defaultCommandCreator: () => string): MattermostSimDriver {
  const copyUser = (u: SimUser | undefined): SimUser | undefined => (u ? structuredClone(u) : undefined)
  const mustUser = (id: string): SimUser => {
    const u = sim.users.get(id)
    if (!u) throw new Error(`mattermost sim: no user ${id}`)
    return u
  }

  return {
    addUser: (n = {}) => structuredClone(sim.users.add(n)),
    addBot: (n = {}) => structuredClone(sim.users.add({ ...n, isBot: true })),
    updateUser: (id, patch) => structuredClone(sim.users.update(id, patch)),
    deactivateUser: (id) => sim.users.setDeleted(id, true),
    reactivateUser: (id) => sim.users.setDeleted(id, false),
    setRoles: (userId, roles) => void sim.users.update(userId, { roles }),
    defineRole: (name, permissions) => void sim.users.roles.set(name, new Set(permissions)),
    createToken: (userId, kind) => sim.users.createToken(userId, kind),
    revokeToken: (token) => sim.users.revokeToken(token),
    user: (id) => copyUser(sim.users.get(id)),
    userByEmail: (email) => copyUser(sim.users.byEmail(email)),

    status: (userId) => sim.statuses.get(userId),
    setStatus: (userId, status, dndEndTimeSeconds) => sim.statuses.set(mustUser(userId).id, status, dndEndTimeSeconds, `api:${userId}`),
    seedStatus: (userId, patch) => sim.statuses.seed(userId, patch),
    presence: (userId, event) => sim.statuses.presence(mustUser(userId).id, event),

    customStatus: (userId) => sim.customStatuses.current(userId),
    setCustomStatus(userId, cs) {
      mustUser(userId)
      const now = sim.now()
      const decoded = decodeCustomStatus(JSON.stringify(cs), now, (name) => sim.customStatuses.emojiExists(name))
      const stored = preSaveCustomStatus(decoded, now)
      sim.customStatuses.set(userId, stored, `api:${userId}`)
      return stored
    },
    clearCustomStatus: (userId) => sim.customStatuses.clear(mustUser(userId).id, `api:${userId}`),
    recentCustomStatuses: (userId) => sim.customStatuses.recent(userId),
    addCustomEmoji: (name) => sim.customStatuses.addCustomEmoji(name),

    setConfig(patch) {
      Object.assign(sim.config, patch)
      return { ...sim.config }
    },
    setRateLimit(settings) {
      controls.setRateLimit(settings === false ? null : { perSec: settings.perSec ?? 10, maxBurst: settings.maxBurst ?? 100 })
    },
    injectFaults: (count, fault) => controls.faults.add(count, fault),
    pendingFaults: () => controls.faults.pending(),
    clearFaults: () => controls.faults.clear(),
    setLatency: (ms) => controls.setLatency(ms),

    registerCommand(c) {
      const cmd = sim.messaging.registerCommand({
        trigger: c.trigger,
        url: c.url,
        creatorId: c.creatorId ?? defaultCommandCreator(),
        ...(c.method ? { method: c.method } : {})
      })
      return { id: cmd.id, token: cmd.token, trigger: cmd.trigger }
    },
    updateCommandUrl(id, url) {
      const cmd = sim.messaging.commands.get(id)
      if (!cmd) throw new Error(`mattermost sim: no command ${id}`)
      cmd.url = url
    },
    executeCommand: (a) => integrations.executeCommand(a),
    sendSlashCommand: (url, fields, method) => integrations.sendSlashCommand(url, fields, method),
    clickButton: (a) => integrations.clickButton(a),
    selectOption: (a) => integrations.selectOption(a),
    sendButtonCallback: (url, payload) => integrations.sendButtonCallback(url, payload),

    post: (id) => {
      const p = sim.messaging.posts.get(id)
      return p ? structuredClone(p) : undefined
    },
    posts: (channelId) => [...sim.messaging.posts.values()].filter((p) => channelId === undefined || p.channel_id === channelId).map((p) => structuredClone(p)),
    channel(id) {
      const c = sim.messaging.channels.get(id)
      return c ? { ...c, members: [...c.members] } : undefined
    },
    directChannelId(a, b) {
      const name = [a, b].sort().join('__')
      for (const c of sim.messaging.channels.values()) if (c.type === 'D' && c.name === name) return c.id
      return undefined
    }
  }
}
