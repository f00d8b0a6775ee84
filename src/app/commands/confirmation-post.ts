import type { Notice } from '../../domain'
import type { ContextSigner } from '../../shared/signed-context'

// "Ask first" (docs/status-rules.md#confirm): the question is a direct message with two buttons.
// Mattermost posts a click back with no authentication (docs/mattermost.md#direct-messages-and-buttons),
// so each button carries a signed context that expires when the meeting ends.

export type ConfirmNotice = Extract<Notice, { kind: 'confirm' }>

/** The signed fields of a confirmation button, as the action handler reads them back. */
export interface ConfirmContext {
  t: 'confirm'
  /** the person it was asked of */
  u: string
  /** the block's start: the answer is for that block only */
  b: number
  c: 'yes' | 'no'
  /** what the post reads after the click */
  r: string
}

export function confirmationProps(notice: ConfirmNotice, mmUserId: string, actionsUrl: string, signer: ContextSigner): Record<string, unknown> {
  const button = (id: string, name: string, choice: 'yes' | 'no', after: string, style?: string) => ({
    id,
    type: 'button',
    name,
    ...(style ? { style } : {}),
    integration: {
      url: actionsUrl,
      context: signer.sign({ t: 'confirm', u: mmUserId, b: notice.blockStart, c: choice, r: after } satisfies ConfirmContext, notice.blockEnd)
    }
  })
  return {
    attachments: [
      {
        actions: [
          button('confirmyes', notice.acceptLabel, 'yes', notice.acceptedText, 'primary'),
          button('confirmno', notice.declineLabel, 'no', notice.declinedText)
        ]
      }
    ]
  }
}
