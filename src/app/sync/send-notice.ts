import type { Logger } from 'pino'
import type { Notice } from '../../domain'
import type { MattermostAdapter, WriteOptions } from '../../mattermost/create-mattermost-adapter'
import type { ContextSigner } from '../../shared/signed-context'
import type { DailyNoticeStore } from '../../store/daily-notice-store'
import { confirmationProps } from '../commands/confirmation-post'

// The rule engine's notices to a person (docs/status-rules.md#notify, #confirm), as direct messages.

export interface SendNoticeDeps {
  mattermost: Pick<MattermostAdapter, 'sendDirectMessage'>
  daily: DailyNoticeStore
  /** where buttons post back, and how their contexts are signed; null without PUBLIC_URL (no "Ask first") */
  actions: { url: string; signer: ContextSigner } | null
  log: Logger
}

/** Sends one notice; false when nothing was sent (a daily plan already sent today, or a failure, logged). */
export type SendNotice = (mmUserId: string, notice: Notice, opts?: WriteOptions) => Promise<boolean>

export function createSendNotice(deps: SendNoticeDeps): SendNotice {
  return async (mmUserId, notice, opts) => {
    if (notice.kind === 'daily' && !(await deps.daily.claim(mmUserId, notice.day))) return false
    try {
      const props = notice.kind === 'confirm' ? confirmProps(deps, mmUserId, notice) : undefined
      await deps.mattermost.sendDirectMessage(mmUserId, notice.text, props, opts)
      return true
    } catch (err) {
      if (notice.kind === 'daily') await deps.daily.unclaim(mmUserId, notice.day).catch(() => undefined)
      deps.log.warn({ user: mmUserId, err, notice: notice.kind }, 'message not sent')
      return false
    }
  }
}

function confirmProps(deps: SendNoticeDeps, mmUserId: string, notice: Extract<Notice, { kind: 'confirm' }>): Record<string, unknown> {
  // The engine asks only when the app allowed it (settings.confirm is off without PUBLIC_URL).
  if (!deps.actions) throw new Error('a confirmation needs PUBLIC_URL for its buttons')
  return confirmationProps(notice, mmUserId, deps.actions.url, deps.actions.signer)
}
