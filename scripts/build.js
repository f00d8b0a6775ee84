#!/usr/bin/env node
// `npm run build`: TypeScript to dist/ (tsconfig.build.json), then the files the compiled code
// reads beside itself (the Lua scripts of src/store/lua) copied to the same place under dist/.
// npm test and npm run bench build through here too.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
/** Folders whose non-TypeScript files the code reads at run time, relative to the root. */
const ASSETS = [{ dir: 'src/store/lua', ext: '.lua' }]

function build() {
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit'
  })
  if (tsc.status !== 0) return false
  for (const { dir, ext } of ASSETS) {
    const target = path.join(root, 'dist', dir)
    fs.mkdirSync(target, { recursive: true })
    for (const file of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith(ext))) {
      fs.copyFileSync(path.join(root, dir, file), path.join(target, file))
    }
  }
  return true
}

module.exports = { build }

if (require.main === module) process.exit(build() ? 0 : 1)
