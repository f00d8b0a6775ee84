#!/usr/bin/env node
// Writes the configuration docs from the one list of variables (src/config-variables.ts): the
// table of README.md between the config-table markers, and all of docs/configuration.md.
// `npm run docs:config` builds, then runs this on dist/. test/config-docs.test.ts renders the
// same from the TypeScript source and fails while either file is out of date.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const COMMAND = 'npm run docs:config'
const README = 'README.md'
const REFERENCE = 'docs/configuration.md'
const MARKERS = /(<!-- config-table:start -->\n)[\s\S]*?(\n<!-- config-table:end -->)/
// The start-up error shown as an example: the message is the parser's own.
const EXAMPLE_ENV = { PORT: 'eighty' }

const code = (text) => '`' + text + '`'
const cell = (text) => text.replace(/\|/g, '\\|')
const list = (words, last = 'or') => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`)

/** "when `ADMIN_PASSWORD` is set": the other variables of its set, which come with it. */
function requiredWhen(v, variables) {
  const others = variables.filter((o) => o.required && o.required.with === v.required.with && o.name !== v.name).map((o) => code(o.name))
  return `when ${others.length > 1 ? 'any of ' : ''}${list(others)} is set`
}

function defaultText(v, variables) {
  if (v.default !== undefined) return code(v.default)
  if (v.builtIn !== undefined) return `${code(v.builtIn)} (built-in)`
  return v.required ? `required ${requiredWhen(v, variables)}` : '(none)'
}

/** The README's short form: one row per variable. */
function renderTable({ CONFIG_VARIABLES: variables }) {
  const row = (v) => [code(v.name), defaultText(v, variables), v.kind.accepts, v.description + (v.secret ? '; secret, never logged' : '')]
  return ['| variable | default | accepts | meaning |', '|---|---|---|---|', ...variables.map((v) => `| ${row(v).map(cell).join(' | ')} |`)].join('\n')
}

/** The README with its table replaced; an error if the markers are gone. */
function withTable(readme, table) {
  if (!MARKERS.test(readme)) throw new Error(`${README} has no config-table markers`)
  return readme.replace(MARKERS, (_, start, end) => start + table + end)
}

function exampleError(loadConfig) {
  try {
    loadConfig(EXAMPLE_ENV)
  } catch (err) {
    return err.message
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(EXAMPLE_ENV)}: pick another example`)
}

function intro(loadConfig) {
  return [
    '# Configuration reference',
    '',
    `<!-- Generated from src/config-variables.ts by \`${COMMAND}\`: edit the list there, not this file. -->`,
    '',
    'calstatus is configured by environment variables, read once at start-up; nothing else in the service',
    'reads the environment. The names are a contract: outside tools start the service with them.',
    '',
    '## At start-up',
    '',
    '- **Empty values count as unset** (`FOO=` in an env file means "not configured"). Values are trimmed,',
    '  except where *accepts* says "kept as written".',
    '- **A missing or malformed value stops the process** with exit code 1 and one line on standard error',
    '  naming the variable and what is expected, without a stack trace, for example:',
    '',
    '  ```',
    `  calstatus web: configuration error: ${exampleError(loadConfig)}`,
    '  ```',
    '',
    '- **Variables that come together**: *required* names the others of a set; set all of them or none.',
    '- **Warnings**: values that work but deserve attention (see `PUBLIC_URL`) are',
    '  logged once at start-up, and the service runs.',
    '- **Secrets are never logged**: the configuration logged at start-up shows `[redacted]` in their place,',
    '  and in place of a password inside `REDIS_URL`.',
    ''
  ]
}

function renderVariable(v, variables) {
  return [
    `### ${code(v.name)}`,
    '',
    `- **meaning:** ${v.description}`,
    `- **default:** ${v.default !== undefined || v.builtIn !== undefined ? defaultText(v, variables) : '(none)'}`,
    `- **accepts:** ${v.kind.accepts}`,
    `- **required:** ${v.required ? requiredWhen(v, variables) : 'no'}`,
    `- **secret:** ${v.secret ? 'yes, never logged' : 'no'}`,
    ''
  ]
}

function renderGroup(key, group, variables) {
  const members = variables.filter((v) => v.group === key)
  const required = members.filter((v) => v.required).map((v) => code(v.name))
  const only = group.onlyWithRequired
    ? [`The others here are read only when ${required.length > 1 ? 'any of ' : ''}${list(required)} is set; until then they are not even checked.`, '']
    : []
  return [`## ${group.title}`, '', group.intro, '', ...only, ...members.flatMap((v) => renderVariable(v, variables))]
}

/** docs/configuration.md: every variable, by group. */
function renderReference({ CONFIG_VARIABLES: variables, CONFIG_GROUPS: groups, loadConfig }) {
  const sections = Object.entries(groups).flatMap(([key, group]) => renderGroup(key, group, variables))
  return [...intro(loadConfig), ...sections].join('\n').trimEnd() + '\n'
}

function main() {
  const root = path.resolve(__dirname, '..')
  const dist = path.join(root, 'dist', 'src')
  const source = { ...require(path.join(dist, 'config-variables.js')), loadConfig: require(path.join(dist, 'config.js')).loadConfig }
  const readme = path.join(root, README)
  fs.writeFileSync(readme, withTable(fs.readFileSync(readme, 'utf8'), renderTable(source)))
  fs.mkdirSync(path.join(root, path.dirname(REFERENCE)), { recursive: true })
  fs.writeFileSync(path.join(root, REFERENCE), renderReference(source))
  console.log(`${README} and ${REFERENCE}: ${source.CONFIG_VARIABLES.length} variables`)
}

module.exports = { COMMAND, README, REFERENCE, renderTable, renderReference, withTable }

if (require.main === module) main()
