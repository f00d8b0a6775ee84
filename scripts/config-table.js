#!/usr/bin/env node
// Rewrites the configuration table of README.md (between the config-table markers) from
// src/config.ts's CONFIG_VARIABLES, so the README and the code cannot drift.
// Run after `npm run build`: node scripts/config-table.js
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const root = path.resolve(__dirname, '..')
const { CONFIG_VARIABLES } = require(path.join(root, 'dist', 'src', 'config.js'))
const cell = (d) => (d.startsWith('(') || d === 'required' ? d : '`' + d + '`')
const table = [
  '| variable | default | meaning |',
  '|---|---|---|',
  ...CONFIG_VARIABLES.map((v) => `| \`${v.name}\` | ${cell(v.default)} | ${v.meaning} |`)
].join('\n')
const file = path.join(root, 'README.md')
const readme = fs.readFileSync(file, 'utf8')
const re = /(<!-- config-table:start -->\n)[\s\S]*?(\n<!-- config-table:end -->)/
if (!re.test(readme)) throw new Error('README.md has no config-table markers')
fs.writeFileSync(file, readme.replace(re, `$1${table}$2`))
console.log(`README.md: ${CONFIG_VARIABLES.length} variables`)
