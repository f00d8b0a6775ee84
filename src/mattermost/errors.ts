// The project's own Mattermost errors: every one carries the HTTP status and the route.

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
