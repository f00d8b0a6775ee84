// The README's configuration table and docs/configuration.md are generated from
// src/config-variables.ts: render them here from the TypeScript source and compare.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config'
import * as variables from '../src/config-variables'

interface Source {
  CONFIG_VARIABLES: ReadonlyArray<variables.ConfigVariable>
  CONFIG_GROUPS: typeof variables.CONFIG_GROUPS
  loadConfig: typeof loadConfig
}
interface ConfigDocs {
  COMMAND: string
  README: string
  REFERENCE: string
  renderTable: (source: Source) => string
  renderReference: (source: Source) => string
  withTable: (readme: string, table: string) => string
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JS script (node runs it after the build), no type declarations
const docs = require('../scripts/config-docs.js') as ConfigDocs
const root = join(__dirname, '..')
const source: Source = { CONFIG_VARIABLES: variables.CONFIG_VARIABLES, CONFIG_GROUPS: variables.CONFIG_GROUPS, loadConfig }
const stale = (file: string): string => `${file} is out of date with src/config-variables.ts: run \`${docs.COMMAND}\``

t.test('the README table is up to date', async (t) => {
  const readme = readFileSync(join(root, docs.README), 'utf8')
  t.equal(readme, docs.withTable(readme, docs.renderTable(source)), stale(docs.README))
})

t.test('docs/configuration.md is up to date', async (t) => {
  t.equal(readFileSync(join(root, docs.REFERENCE), 'utf8'), docs.renderReference(source), stale(docs.REFERENCE))
})

t.test('a change to the list changes both documents', async (t) => {
  const changed: Source = {
    ...source,
    CONFIG_VARIABLES: source.CONFIG_VARIABLES.map((v) => (v.name === 'PORT' ? { ...v, kind: variables.wholeNumber(1, 9), default: '8' } : v))
  }
  for (const render of [docs.renderTable, docs.renderReference]) {
    const text = render(changed)
    t.not(text, render(source))
    t.match(text, /`PORT` \| `8` \| whole number, 1\.\.9 \||\*\*default:\*\* `8`\n- \*\*accepts:\*\* whole number, 1\.\.9/)
  }
})

t.test('the reference shows the start-up error line as the parser words it', async (t) => {
  t.match(docs.renderReference(source), 'calstatus web: configuration error: PORT must be a whole number from 0 to 65535, got "eighty"')
})

t.test('a README without the markers is an error, not a silent no-op', async (t) => {
  t.throws(() => docs.withTable('# no table here\n', '| x |'), /config-table markers/)
})
