// What a person asked for with `/calstatus ...` (issue 16). Plain data: the parser reads text into
// it, the use case acts on it, the reply texts explain it.

/** The words after `/calstatus`, as a person types them. */
export const SUB_COMMANDS = ['status', 'help', 'pause', 'resume', 'autopilot', 'on', 'off', 'settings'] as const
export type SubCommand = (typeof SUB_COMMANDS)[number]

/** Sub-commands that take a duration: `pause 30m`, `autopilot until 17:00`. */
export type TimedCommand = 'pause' | 'autopilot'

/** What was wrong with the text, with what to suggest instead. */
export type InvalidInput =
  /** the first word is no sub-command; `suggestion` is the whole corrected command, when one is close */
  | { reason: 'unknown-command'; input: string; suggestion: string | null }
  /** `pause` or `autopilot` without a duration */
  | { reason: 'missing-duration'; command: TimedCommand }
  /** a duration we could not read (`pause banana`, `until 25:99`) */
  | { reason: 'bad-duration'; command: TimedCommand; input: string }
  /** a number without a unit (`pause 30`): we suggest minutes rather than guess */
  | { reason: 'no-unit'; command: TimedCommand; input: string; amount: string }
  /** shorter than a minute, or an explicit `today` time already past */
  | { reason: 'too-short'; command: TimedCommand; input: string }
  /** `until today 9:00` when 9:00 has passed */
  | { reason: 'past'; command: TimedCommand; input: string }
  /** longer than MAX_DURATION_DAYS */
  | { reason: 'too-long'; command: TimedCommand; input: string; maxDays: number }
  /** a sub-command that takes nothing was given more (`resume now please`) */
  | { reason: 'extra-words'; command: Exclude<SubCommand, TimedCommand>; input: string }

export type Command =
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'pause'; untilMs: number }
  | { kind: 'resume' }
  | { kind: 'autopilot'; untilMs: number }
  | { kind: 'autopilot-off' }
  | { kind: 'on' }
  | { kind: 'off' }
  | { kind: 'settings' }
  | { kind: 'invalid'; problem: InvalidInput }

/** A pause or an autopilot lasts at least a minute and at most this many days. */
export const MAX_DURATION_DAYS = 30
export const MIN_DURATION_MS = 60_000
