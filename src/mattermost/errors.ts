// The project's own Mattermost errors: every one carries the HTTP status and the route.
import { RetryLater } from '../shared/retry-later'

export class MattermostError extends Error {
  constructor(
    readonly status: number,
    readonly route: string,
    readonly serverErrorId: string,
    message: string
  ) {
    super(`Mattermost ${status} on ${route}: ${message}${serverErrorId ? ` (${serverErrorId})` : ''}`)
    this.name = 'MattermostError'
  }
}

/** The bot token is refused (401): nothing will work until an admin fixes MM_BOT_TOKEN. */
export class MattermostAuthError extends Error {
  constructor(detail: string) {
    super(`Mattermost refused the bot token (MM_BOT_TOKEN): ${detail}. Create a bot access token in System Console > Integrations > Bot Accounts.`)
    this.name = 'MattermostAuthError'
  }
}

/** A status write refused because the bot's role lacks edit_other_users. */
export class MattermostPermissionError extends Error {
  constructor(readonly route: string) {
    super(
      `Mattermost refused to change another user's status on ${route}: the bot needs a role with the edit_other_users permission (e.g. System Console > User Management > System Roles, or make the bot a system admin)`
    )
    this.name = 'MattermostPermissionError'
  }
}

/**
 * Mattermost asked to wait (429 Retry-After), or the cluster's ceiling is booked, for longer than
 * a process should sleep holding a user's lease: the job runs again later (docs/mattermost.md#rate-limiting).
 */
export class MattermostBusyError extends RetryLater {
  constructor(route: string, afterMs: number, why: string) {
    super(`Mattermost busy on ${route}: ${why}; trying again in ${Math.ceil(afterMs / 1000)} s`, afterMs)
    this.name = 'MattermostBusyError'
  }
}

/**
 * A write that timed out or got an answer that does not say whether it was applied, and did not
 * show up when read back: it may still land. It is never sent again blindly (a second DND would
 * make Mattermost remember `dnd` as the status to restore, docs/mattermost.md#setting-a-status).
 */
export class MattermostOutcomeUnknownError extends MattermostError {
  constructor(route: string, detail: string) {
    super(0, route, 'outcome-unknown', `${detail}; not seen when read back, so it may still land and is not sent again`)
    this.name = 'MattermostOutcomeUnknownError'
  }
}
