import { appendFileSync } from 'node:fs'

// The secrets a test run handed out or saw, for the scan of every log line the run produced
// (scripts/scan-logs-for-secrets.js, run by `npm test`): the file is named by
// CALSTATUS_SECRETS_LEDGER, one `kind<TAB>value` a line. Unset, nothing is written.

export const SECRETS_LEDGER_ENV = 'CALSTATUS_SECRETS_LEDGER'

const recorded = new Set<string>()

/** Note a secret (a client secret, an issued access token, a clientState, a password). */
export function recordSecret(kind: string, value: string | null | undefined): void {
  const file = process.env[SECRETS_LEDGER_ENV]
  if (!file || !value || recorded.has(value)) return
  recorded.add(value)
  appendFileSync(file, `${kind}\t${value.replace(/[\t\n]/g, ' ')}\n`)
}
