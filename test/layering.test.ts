// Production code stands on its own: nothing under src/ imports the simulators, the demo, the
// benchmarks or the tests (they are tools around the product, not part of it).
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = resolve(__dirname, '..')

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return tsFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** Every module a file names: import/export ... from, import(), require(). */
function specifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm
  return [...source.matchAll(pattern)].map((m) => m[1] as string)
}

const files = tsFiles(join(root, 'src'))

t.test('src/ imports nothing from sim/, demo/, bench/ or test/', async (t) => {
  t.ok(files.length > 50, `${files.length} files read`)
  let relativeImports = 0
  for (const file of files) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue
      relativeImports += 1
      const target = relative(root, resolve(dirname(file), spec))
      t.ok(target.startsWith('src/'), `${relative(root, file)} imports ${spec}: stays inside src/`)
    }
  }
  t.ok(relativeImports > 100, `${relativeImports} relative imports checked`)
})

t.test('the check sees an import that leaves src/', async (t) => {
  const found = specifiers("import { startSimulators } from '../../sim/index'\nconst x = require('../demo/main')\n")
  t.same(found, ['../../sim/index', '../demo/main'])
})
