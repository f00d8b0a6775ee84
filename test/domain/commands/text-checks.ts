// Checks every reply text of /calstatus must pass (issue 16's tone): no internal names, only
// commands that exist, and an ending the reader can act on.
import type { Test } from 'tap'
import { parseCommand } from '../../../src/domain/commands'

const INTERNAL = /\b(block|rule|rules|sync\w*|sync-user|released|remembered|mapping|enrol\w*)\b/i

export function toneProblems(text: string): string[] {
  const problems: string[] = []
  const internal = INTERNAL.exec(text)
  if (internal) problems.push(`internal name "${internal[0]}"`)
  for (const m of text.matchAll(/`\/calstatus([^`]*)`/g)) {
    const rest = (m[1] as string).trim()
    if (rest.includes('<')) continue
    if (parseCommand(rest, { now: Date.UTC(2026, 2, 16, 10), zone: 'UTC' }).kind === 'invalid') problems.push(`no such command: /calstatus ${rest}`)
  }
  const last = text.trim().split('\n').pop() ?? ''
  if (!/\/calstatus|admins|Learn more/.test(last)) problems.push('ends with nothing to do')
  return problems
}

export function checkTone(t: Test, text: string, what: string): void {
  t.same(toneProblems(text), [], what)
}
