#!/usr/bin/env node
// Runs the whole test suite with tap and ends with the one line CI reads:
// "N passed, N failed" (tap's own closing line is `# { total, pass, ... }`).
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { build } = require('./build')
const { scanForSecrets, listFiles } = require('./scan-logs-for-secrets')

const root = path.resolve(__dirname, '..')
console.log(`tests on Node.js ${process.version}`)
const raw = path.join(root, '.tap', 'raw-output.tap')
// Every started process's output, and the secrets the run used: scanned after tap (below).
const logDir = path.join(root, '.tap', 'logs')
const ledger = path.join(root, '.tap', 'secrets.ledger')
fs.mkdirSync(path.dirname(raw), { recursive: true })
fs.rmSync(raw, { force: true })
fs.rmSync(logDir, { recursive: true, force: true })
fs.mkdirSync(logDir, { recursive: true })
fs.rmSync(ledger, { force: true })

// The end-to-end tests start the built processes (Procfile lines run `node dist/...`):
// build once here rather than once per test file.
if (!build()) {
  console.log('build failed (npm run build): no tests run')
  console.log('0 passed, 1 failed')
  process.exit(1)
}

const tapBin = path.join(root, 'node_modules', '.bin', 'tap')
const reporter = process.env.TAP_REPORTER || (process.stdout.isTTY ? 'base' : 'terse')
const args = ['-R', reporter, '-o', raw, ...process.argv.slice(2)]
const run = spawnSync(tapBin, args, {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, CALSTATUS_TEST_LOG_DIR: logDir, CALSTATUS_SECRETS_LEDGER: ledger }
})

/**
 * One more test: no secret the run used appears in any line it logged (docs/architecture.md#secrets-in-logs).
 * Hits name the file, the line and the kind of secret, never the secret.
 */
function scanLogs() {
  const files = [raw, ...listFiles(logDir)]
  const result = scanForSecrets({ ledger, files })
  for (const h of result.hits) console.log(`secret in the logs: ${path.relative(root, h.file)}:${h.line}: ${h.kind}`)
  if (result.tooShort.length > 0)
    console.log(`secrets scan: ${result.tooShort.length} secrets too short to scan for (${[...new Set(result.tooShort)].join(', ')})`)
  const ok = result.hits.length === 0 && result.secrets > 0
  if (result.secrets === 0) console.log('secrets scan: the ledger is empty, so the scan proves nothing (were the simulators or processes started?)')
  console.log(`${ok ? 'ok' : 'not ok'} - secrets scan: ${result.secrets} secrets, ${result.lines} lines in ${result.files} files, ${result.hits.length} hits`)
  return ok
}

/**
 * Subtests that asserted nothing: tap passes them (their plan is `1..0`), so a subtest whose
 * assertions sit behind a condition that never held would pass unnoticed. Returns "file > name".
 */
function findEmptySubtests(lines) {
  const open = [] // the subtest headers in scope, by indentation
  const found = []
  for (const line of lines) {
    const header = /^(\s*)# Subtest: (.+)$/.exec(line)
    if (header) {
      const depth = header[1].length / 4
      open.length = depth
      open[depth] = header[2]
      continue
    }
    const plan = /^(\s+)1\.\.0\s*$/.exec(line)
    if (plan) found.push(open.slice(0, plan[1].length / 4).join(' > '))
  }
  return found
}

let summary = null
// A test file that registers no test asserts nothing: tap counts it as skipped ("# SKIP no tests
// found"), which would let a file whose tests were lost (a bad import guard, a refactor) pass.
const empty = []
const emptySubtests = []
if (fs.existsSync(raw)) {
  const lines = fs.readFileSync(raw, 'utf8').trimEnd().split('\n')
  for (let i = lines.length - 1; i >= 0 && !summary; i--) {
    const m = /^# (\{ total: .*\})\s*$/.exec(lines[i])
    if (m) summary = Function(`return (${m[1]})`)()
  }
  for (const line of lines) {
    const m = /^(?:not )?ok \d+ - (.+?) # SKIP no tests found\s*$/.exec(line)
    if (m) empty.push(m[1])
  }
  emptySubtests.push(...findEmptySubtests(lines))
}
const code = run.status === null ? 1 : run.status
const scanPassed = scanLogs()
if (!summary) {
  console.log(`tap ended (exit ${code}) without a summary`)
  console.log(`${scanPassed ? 1 : 0} passed, ${scanPassed ? 1 : 2} failed`)
  process.exit(code || 1)
}
for (const file of empty) console.log(`${file}: the file registers no tests (an empty test file fails the run)`)
for (const name of emptySubtests) console.log(`${name}: the subtest asserted nothing (a subtest without assertions fails the run)`)
const failed = (summary.fail || 0) + empty.length + emptySubtests.length + (scanPassed ? 0 : 1)
const skipped = (summary.skip || 0) + (summary.todo || 0) - empty.length
// A failure outside any assertion (coverage under the threshold, a crashed file) still fails the run.
if (code !== 0 && failed === 0) console.log(`tap exited ${code}: see above (coverage threshold or a file that crashed)`)
console.log(
  `${(summary.pass || 0) + (scanPassed ? 1 : 0)} passed, ${failed + (code !== 0 && failed === 0 ? 1 : 0)} failed` + (skipped ? `, ${skipped} skipped` : '')
)
process.exit(code !== 0 ? code : empty.length + emptySubtests.length > 0 || !scanPassed ? 1 : 0)
