// What the HTTP routes hand to the person-facing use cases, and what they get back
// (docs/mattermost.md#custom-slash-commands, docs/mattermost.md#direct-messages-and-buttons).

/** A `/calstatus …` as Mattermost sent it, after the token was checked. */
export interface CommandRequest {
  userId: string
  channelId: string
  /** what the person typed after `/calstatus` */
  text: string
}

/** An ephemeral answer: Markdown, and an interactive message's attachments when there is one. */
export interface CommandReply {
  text: string
  attachments?: unknown[]
}

/** A click on one of our buttons or menus, as Mattermost posts it (no authentication: the context is signed). */
export interface ActionRequest {
  userId: string
  postId: string
  context: unknown
}

/** Mattermost replaces the post with `update` and shows `ephemeralText` to the person who clicked. */
export interface ActionReply {
  update?: { message: string; props: Record<string, unknown> }
  ephemeralText?: string
}

export interface PersonControls {
  command(req: CommandRequest): Promise<CommandReply>
  action(req: ActionRequest): Promise<ActionReply>
}
