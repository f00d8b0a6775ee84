// `npm run doctor` (docs/doctor.md): checks the setup once and prints a checklist with a fix for
// each problem; exit code 0 when nothing failed, 1 when something did, 2 for a wrong option.
import { parseArgs } from 'node:util'
import { createLogger } from '../observability/create-logger'
import { errorMessage } from '../shared/to-error'
import { doctorExitCode, doctorJson, doctorReport } from './doctor-report'
import { runDoctor } from './run-doctor'

const USAGE = `Usage: npm run doctor -- [--json] [--mailbox someone@your-domain]   (built: node dist/src/main/doctor.js [...])
  --json               the checklist as JSON: { ok, checks: [{ id, group, state, title, detail, fix }] }
  --mailbox <address>  ask Graph for this mailbox's schedule (default: one enrolled person's)
Reads the same environment as the web and worker processes (docs/configuration.md).
`

function options(): { json: boolean; mailbox: string | null } | null {
  try {
    const { values } = parseArgs({
      options: { json: { type: 'boolean', default: false }, mailbox: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }
    })
    if (values.help) return null
    return { json: values.json, mailbox: values.mailbox?.trim() || null }
  } catch (err) {
    process.stderr.write(`calstatus doctor: ${errorMessage(err)}\n`)
    return null
  }
}

/** Exit once the output is written: a pipe may still hold it, and open sockets must not keep the process. */
function finish(text: string, code: number, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(text, () => process.exit(code))
}

const opts = options()
if (opts === null) {
  finish(USAGE, process.argv.includes('--help') || process.argv.includes('-h') ? 0 : 2, process.stderr)
} else {
  // Silent: what the adapters would log is what the checklist says, once and in plain words.
  const log = createLogger({ level: 'silent', name: 'doctor' })
  runDoctor(process.env, log, { mailbox: opts.mailbox }).then(
    (checks) => finish(opts.json ? doctorJson(checks) : doctorReport(checks), doctorExitCode(checks)),
    (err: unknown) => finish(`calstatus doctor: could not run the checks: ${errorMessage(err)}\n`, 1, process.stderr)
  )
}
