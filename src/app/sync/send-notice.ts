import type { Logger } from 'pino'
import type { Notice } from '../../domain'
import type { MattermostAdapter, WriteOptions } from '../../mattermost/create-mattermost-adapter'
import type { ContextSigner } from '../../shared/signed-context'
import type { DailyNoticeStore } from '../../store/daily-notice-store'
import { backoffMs } from '../../shared/backoff'
import { confirmationProps } from '../commands/confirmation-post'

// The rule engine's notices to a person (docs/status-rules.md#notify, #confirm), as direct messages.

const CLAIM_ATTEMPTS = 4

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
  /**
   * Whether today's message is still to be sent. Redis away for a moment (a restart, a failover):
   * asked again for a few seconds, then sent anyway: the state that says "told for this meeting"
   * is already saved, so a message not sent now is never sent, and one day's message twice is the
   * smaller harm (docs/status-rules.md#notify).
   */
  const firstToday = async (mmUserId: string, day: number): Promise<boolean> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await deps.daily.claim(mmUserId, day)
      } catch (err) {
        if (attempt >= CLAIM_ATTEMPTS) {
          deps.log.warn({ user: mmUserId, err }, "could not check whether today's message was sent: sending it")
          return true
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, 500, 4000)))
      }
    }
  }

  return async (mmUserId, notice, opts) => {
    if (notice.kind === 'daily' && !(await firstToday(mmUserId, notice.day))) return false
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
