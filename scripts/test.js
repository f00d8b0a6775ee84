#!/usr/bin/env node
// Runs the whole test suite with tap and ends with the one line CI reads:
// "N passed, N failed" (tap's own closing line is `# { total, pass, ... }`).
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { build } = require('./build')

const root = path.resolve(__dirname, '..')
const raw = path.join(root, '.tap', 'raw-output.tap')
fs.mkdirSync(path.dirname(raw), { recursive: true })
fs.rmSync(raw, { force: true })

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
const run = spawnSync(tapBin, args, { cwd: root, stdio: 'inherit', env: process.env })

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
if (!summary) {
  console.log(`tap ended (exit ${code}) without a summary`)
  console.log(`0 passed, 1 failed`)
  process.exit(code || 1)
}
for (const file of empty) console.log(`${file}: the file registers no tests (an empty test file fails the run)`)
for (const name of emptySubtests) console.log(`${name}: the subtest asserted nothing (a subtest without assertions fails the run)`)
const failed = (summary.fail || 0) + empty.length + emptySubtests.length
const skipped = (summary.skip || 0) + (summary.todo || 0) - empty.length
// A failure outside any assertion (coverage under the threshold, a crashed file) still fails the run.
if (code !== 0 && failed === 0) console.log(`tap exited ${code}: see above (coverage threshold or a file that crashed)`)
console.log(`${summary.pass || 0} passed, ${failed + (code !== 0 && failed === 0 ? 1 : 0)} failed` + (skipped ? `, ${skipped} skipped` : ''))
process.exit(code !== 0 ? code : empty.length + emptySubtests.length > 0 ? 1 : 0)
