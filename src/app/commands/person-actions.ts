import type { Logger } from 'pino'
import { actionRefusedText, settingChange, type RefusedAction, type ReplyContext } from '../../domain/commands'
import type { ContextSigner } from '../../shared/signed-context'
import type { NonceStore } from '../../store/nonce-store'
import type { JobQueue } from '../job-queue'
import type { SyncedUser, SyncedUserStore } from '../services'
import type { ActionReply, ActionRequest, CommandReply } from './command-port'
import type { ConfirmContext } from './confirmation-post'
import type { SettingsPatch } from './person-settings'
import type { SettingContext } from './settings-panel'

// Clicks on our buttons and menus. Mattermost sends them without authentication, so the signed
// context is the only proof (docs/mattermost.md#direct-messages-and-buttons): a forged, expired or
// replayed one, or one made for somebody else, changes nothing and says why.

export interface PersonActionsDeps {
  signer: ContextSigner
  nonces: NonceStore
  users: Pick<SyncedUserStore, 'get' | 'setAnswer'>
  jobs: Pick<JobQueue, 'syncUsers'>
  changeSettings(user: SyncedUser, patch: SettingsPatch, reason: string): Promise<unknown>
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

  const setting = async (user: SyncedUser, ctx: SettingContext, selected: string | null): Promise<ActionReply> => {
    const reader = deps.reader(user)
    // Mattermost never checks a menu's pick against its options (docs/mattermost.md): we do.
    const change = settingChange(ctx.k, ctx.v ?? selected ?? '', reader.language)
    if (!change) return refuse(user, 'bad-choice')
    await deps.changeSettings(user, change.overrides, `setting ${ctx.k}`)
    const fresh = (await deps.users.get(user.mmUserId)) ?? user
    const panel = await deps.settingsPanel(fresh, reader)
    return { update: { message: panel.text, props: { attachments: panel.attachments ?? [] } }, ephemeralText: change.said }
  }

  return async (req: ActionRequest): Promise<ActionReply> => {
    const verified = deps.signer.verify(req.context)
    const user = await deps.users.get(req.userId)
    if (!verified.ok) return refuse(user, verified.reason)
    const payload = verified.payload as Record<string, unknown>
    if (payload['u'] !== req.userId) return refuse(user, 'not-yours')
    if (!user) return refuse(null, 'not-synced')
    // One answer per question: the two buttons of a confirmation share it; a panel control is one-time.
    const once = payload['t'] === 'confirm' ? `confirm:${req.userId}:${String(payload['b'])}` : verified.nonce
    if (!(await deps.nonces.useOnce(once, verified.expiresAtMs))) return refuse(user, 'replayed')
    if (payload['t'] === 'confirm' && (payload['c'] === 'yes' || payload['c'] === 'no') && typeof payload['b'] === 'number')
      return confirm(user, payload as unknown as ConfirmContext)
    if (payload['t'] === 'setting' && typeof payload['k'] === 'string') return setting(user, payload as unknown as SettingContext, verified.selectedOption)
    deps.log.warn({ user: req.userId }, 'a signed action context of an unknown kind')
    return refuse(user, 'malformed')
  }
}
