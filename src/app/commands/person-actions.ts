import type { Logger } from 'pino'
import type { SettingsOverrides } from '../../domain'
import { actionRefusedText, settingChange, type RefusedAction, type ReplyContext } from '../../domain/commands'
import type { ContextSigner } from '../../shared/signed-context'
import type { NonceStore } from '../../store/nonce-store'
import type { JobQueue } from '../job-queue'
import type { SyncedUser, SyncedUserStore } from '../services'
import type { ActionReply, ActionRequest, CommandReply } from './command-port'
import type { ConfirmContext } from './confirmation-post'
import type { SettingsPatch } from './person-settings'

// Clicks on our buttons and menus. Mattermost sends them without authentication, so the signed
// context is the only proof (docs/mattermost.md#direct-messages-and-buttons): a forged, expired or
// replayed one, or one made for somebody else, changes nothing and says why.

export interface PersonActionsDeps {
  signer: ContextSigner
  nonces: NonceStore
  users: Pick<SyncedUserStore, 'get' | 'setAnswer'>
  jobs: Pick<JobQueue, 'syncUsers'>
  /** the person's overrides after the change */
  changeSettings(user: SyncedUser, patch: SettingsPatch, reason: string): Promise<SettingsOverrides>
  settingsPanel(user: SyncedUser, reader: ReplyContext): Promise<CommandReply>
  /** the person's zone, language and date format (a person not synced reads English) */
  reader(user: SyncedUser | null): ReplyContext
  log: Logger
}

export function createPersonActions(deps: PersonActionsDeps) {
  const refuse = (user: SyncedUser | null, why: RefusedAction): ActionReply => ({ ephemeralText: actionRefusedText(deps.reader(user), why) })

  const confirm = async (user: SyncedUser, ctx: ConfirmContext): Promise<ActionReply> => {
    if (!(await deps.users.setAnswer(user.mmUserId, { blockStart: ctx.b, choice: ctx.c }))) return refuse(user, 'not-synced')
    await deps.jobs.syncUsers([user.mmUserId], ctx.c === 'yes' ? 'confirmed' : 'declined')
    // The buttons go: the post now says what was chosen.
    return { update: { message: ctx.r, props: {} } }
  }

  const setting = async (user: SyncedUser, key: string, change: { overrides: SettingsPatch; said: string }): Promise<ActionReply> => {
    const settings = await deps.changeSettings(user, change.overrides, `setting ${key}`)
    const panel = await deps.settingsPanel({ ...user, settings }, deps.reader(user))
    return { update: { message: panel.text, props: { attachments: panel.attachments ?? [] } }, ephemeralText: change.said }
  }

  /** What a genuine context asks for, checked before it is spent: a value the panel never offers keeps the control usable. */
  const intent = (user: SyncedUser, payload: Record<string, unknown>, selected: string | null): (() => Promise<ActionReply>) | RefusedAction => {
    if (payload['t'] === 'confirm' && (payload['c'] === 'yes' || payload['c'] === 'no') && typeof payload['b'] === 'number' && typeof payload['r'] === 'string')
      return () => confirm(user, payload as unknown as ConfirmContext)
    if (payload['t'] !== 'setting' || typeof payload['k'] !== 'string') return 'malformed'
    const key = payload['k']
    const value = typeof payload['v'] === 'string' ? payload['v'] : (selected ?? '')
    // Mattermost never checks a menu's pick against its options (docs/mattermost.md): we do.
    const change = settingChange(key, value, deps.reader(user).language)
    return change ? () => setting(user, key, change) : 'bad-choice'
  }

  return async (req: ActionRequest): Promise<ActionReply> => {
    const verified = deps.signer.verify(req.context)
    const user = await deps.users.get(req.userId)
    if (!verified.ok) return refuse(user, verified.reason)
    const payload = verified.payload as Record<string, unknown>
    if (payload['u'] !== req.userId) return refuse(user, 'not-yours')
    if (!user) return refuse(null, 'not-synced')
    const act = intent(user, payload, verified.selectedOption)
    if (typeof act === 'string') {
      if (act === 'malformed') deps.log.warn({ user: req.userId }, 'a signed action context of an unknown kind')
      return refuse(user, act)
    }
    // One answer per question: the two buttons of a confirmation share it; a panel control is one-time.
    const once = payload['t'] === 'confirm' ? `confirm:${req.userId}:${String(payload['b'])}` : verified.nonce
    if (!(await deps.nonces.useOnce(once, verified.expiresAtMs))) return refuse(user, 'replayed')
    return act()
  }
}
