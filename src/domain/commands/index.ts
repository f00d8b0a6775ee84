// The `/calstatus` slash command, pure (issue 16): reading the text, and the texts of the replies.
export { parseCommand } from './parse-command'
export type { ParseContext } from './parse-command'
export { MAX_DURATION_DAYS, SUB_COMMANDS } from './command'
export type { Command, InvalidInput, SubCommand, TimedCommand } from './command'
