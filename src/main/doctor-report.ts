import { SETUP_GROUPS, type SetupCheck } from '../app/admin/setup-check'

// What `npm run doctor` prints (docs/doctor.md), and its exit code.

const MARKS: Record<SetupCheck['state'], string> = { ok: '✓', warn: '!', fail: '✗', skipped: '-' }

/**
 * 0 when nothing failed. A warning works as it is (custom statuses off, snapshots-only Redis)
 * and a skipped line could not be checked yet (nobody enrolled): both are printed, with their
 * fix, and pass; only a failure, which stops calstatus from working, exits 1.
 */
export function doctorExitCode(checks: readonly SetupCheck[]): 0 | 1 {
  return checks.some((c) => c.state === 'fail') ? 1 : 0
}

function summary(checks: readonly SetupCheck[]): string {
  const count = (state: SetupCheck['state']): number => checks.filter((c) => c.state === state).length
  const parts = [`${count('ok')} passed`, `${count('warn')} to look at`, `${count('skipped')} skipped`, `${count('fail')} failed`]
  const verdict = doctorExitCode(checks) === 0 ? 'Nothing stops calstatus from working.' : 'Fix the lines marked ✗, then run the doctor again.'
  return `${parts.join(', ')}. ${verdict}`
}

/** The checklist as text: one line per check (✓ ! ✗ -), its fix under it, grouped as on the admin page. */
export function doctorReport(checks: readonly SetupCheck[]): string {
  const out: string[] = ['calstatus doctor', '']
  for (const [group, label] of SETUP_GROUPS) {
    const lines = checks.filter((c) => c.group === group)
    if (lines.length === 0) continue
    out.push(label)
    for (const c of lines) {
      out.push(`  ${MARKS[c.state]} ${c.title}: ${c.detail}`)
      if (c.state !== 'ok' && c.fix) out.push(`      Fix: ${c.fix}`)
    }
    out.push('')
  }
  out.push(summary(checks))
  return `${out.join('\n')}\n`
}

/** `--json`: every line as the admin page gets it, and whether all passed (the exit code's rule). */
export function doctorJson(checks: readonly SetupCheck[]): string {
  return `${JSON.stringify({ ok: doctorExitCode(checks) === 0, checks }, null, 2)}\n`
}
