import { SUB_COMMANDS } from './command'
import type { Command, InvalidInput, SubCommand, TimedCommand } from './command'
import { MAX_DURATION_DAYS } from './command'
import { parseDuration } from './parse-duration'
import { suggestCommand } from './suggest-command'

// `/calstatus <text>` read into a Command (issue 16). Mattermost sends the text after the
// command, up to about 4,000 characters of anything: this never throws, and anything it cannot
// read becomes `invalid` with what to suggest.

export interface ParseContext {
  /** epoch ms */
  now: number
  /** the person's IANA time zone, for `until` times */
  zone: string
}

/**
 * Words, lower case: NFKC folds full-width digits and letters to plain ones; any Unicode space
 * separates.
 */
function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/\s+/u)
    .filter((w) => w !== '')
}

const invalid = (problem: InvalidInput): Command => ({ kind: 'invalid', problem })

export function parseCommand(text: string, ctx: ParseContext): Command {
  const all = words(typeof text === 'string' ? text : '')
  const [head, ...args] = all
  if (head === undefined) return { kind: 'status' }
  if (!(SUB_COMMANDS as readonly string[]).includes(head)) return unknown(head, args)
  const sub = head as SubCommand
  if (sub === 'pause' || sub === 'autopilot') return timed(sub, args, ctx)
  if (args.length > 0) return invalid({ reason: 'extra-words', command: sub, input: all.join(' ') })
  return { kind: sub }
}

function unknown(head: string, args: readonly string[]): Command {
  const input = [head, ...args].join(' ')
  const near = suggestCommand(head)
  return invalid({ reason: 'unknown-command', input, suggestion: near === null ? null : [near, ...args].join(' ') })
}

function timed(sub: TimedCommand, args: readonly string[], ctx: ParseContext): Command {
  if (sub === 'autopilot' && args.length === 1 && args[0] === 'off') return { kind: 'autopilot-off' }
  if (args.length === 0) return invalid({ reason: 'missing-duration', command: sub })
  const input = [sub, ...args].join(' ')
  const r = parseDuration(args, ctx.now, ctx.zone)
  if (r.ok) return { kind: sub, untilMs: r.untilMs }
  switch (r.reason) {
    case 'no-unit':
      return invalid({ reason: 'no-unit', command: sub, input, amount: r.amount })
    case 'too-long':
      return invalid({ reason: 'too-long', command: sub, input, maxDays: MAX_DURATION_DAYS })
    case 'too-short':
    case 'past':
      return invalid({ reason: r.reason, command: sub, input })
    default:
      return invalid({ reason: 'bad-duration', command: sub, input })
  }
}
