// The scan of every log line a test run produced for the secrets the run used: client
// secrets, bot and other Mattermost tokens, admin passwords, slash-command tokens, Redis
// passwords, every clientState the Graph simulator saw and every access token the identity
// simulator issued. The simulators and the process harness note them in the ledger
// (sim/shared/secrets-ledger.ts, test/helpers/processes.ts); the logs are every started
// process's output (test/helpers/processes.ts) and tap's own output. `npm test` counts the scan
// as one more test.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

/** Shorter values would match by chance; none of the suite's secrets is this short. */
const MIN_LENGTH = 8
const WINDOW = MIN_LENGTH

/** Map<value, kind> from the ledger's `kind<TAB>value` lines. */
function readLedger(file) {
  const secrets = new Map()
  const tooShort = []
  if (!fs.existsSync(file)) return { secrets, tooShort }
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const tab = line.indexOf('\t')
    if (tab < 0) continue
    const kind = line.slice(0, tab)
    const value = line.slice(tab + 1)
    // Blank values (a test proving a blank ADMIN_PASSWORD is refused) are no secret, and spaces
    // would match every aligned table line.
    if (value.trim().length < MIN_LENGTH) tooShort.push(kind)
    else secrets.set(value, kind)
  }
  return { secrets, tooShort }
}

/** Secrets by their first WINDOW characters: one Map look-up per position of a line. */
function indexByPrefix(secrets) {
  const index = new Map()
  for (const value of secrets.keys()) {
    const prefix = value.slice(0, WINDOW)
    const list = index.get(prefix) ?? []
    list.push(value)
    index.set(prefix, list)
  }
  return index
}

function findIn(line, index) {
  const found = new Set()
  for (let i = 0; i + WINDOW <= line.length; i++) {
    const candidates = index.get(line.slice(i, i + WINDOW))
    if (!candidates) continue
    for (const value of candidates) if (line.startsWith(value, i)) found.add(value)
  }
  return found
}

function listFiles(dir) {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
}

/**
 * Scan `files` for the ledger's secrets. Returns the hits (file, line number, kind; never the
 * value) and what was scanned.
 */
function scanForSecrets({ ledger, files }) {
  const { secrets, tooShort } = readLedger(ledger)
  const index = indexByPrefix(secrets)
  const hits = []
  let lines = 0
  for (const file of files) {
    if (!fs.existsSync(file)) continue
    const text = fs.readFileSync(file, 'utf8').split('\n')
    lines += text.length
    text.forEach((line, i) => {
      for (const value of findIn(line, index)) hits.push({ file, line: i + 1, kind: secrets.get(value) })
    })
  }
  return { hits, secrets: secrets.size, tooShort, files: files.length, lines }
}

module.exports = { scanForSecrets, listFiles }

// `node scripts/scan-logs-for-secrets.js <ledger> <file or folder>...`: the scan alone.
if (require.main === module) {
  const [ledger, ...targets] = process.argv.slice(2)
  const files = targets.flatMap((t) => (fs.existsSync(t) && fs.statSync(t).isDirectory() ? listFiles(t) : [t]))
  const result = scanForSecrets({ ledger, files })
  for (const h of result.hits) console.log(`${h.file}:${h.line}: ${h.kind}`)
  console.log(`${result.hits.length} hits: ${result.secrets} secrets in ${result.lines} lines of ${result.files} files`)
  process.exit(result.hits.length > 0 ? 1 : 0)
}
