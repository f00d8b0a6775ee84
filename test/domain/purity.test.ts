// src/domain is pure: no I/O, no clock, nothing from outside src/domain but luxon. Its folders
// (src/domain/commands) included: one of them may import the domain above it, never beyond.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const dir = join(__dirname, '..', '..', 'src', 'domain')
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))

/** A relative import of a file that is in src/domain itself. */
function insideDomain(file: string, spec: string): boolean {
  if (!/^\.{1,2}\/(?:\.\.\/)*[a-z0-9-]+$/.test(spec)) return false
  const target = relative(dir, resolve(dir, dirname(file), spec))
  return !target.startsWith('..')
}

t.test('imports: only luxon and files of src/domain', async (t) => {
  t.ok(files.length >= 10)
  t.ok(
    files.some((f) => f.startsWith('commands')),
    'the folders are read too'
  )
  let imports = 0
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8')
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      imports++
      const spec = m[1] as string
      t.ok(spec === 'luxon' || insideDomain(f, spec), `${f} imports ${spec}`)
    }
    t.notMatch(src, /\brequire\s*\(/, `${f}: no require`)
  }
  t.ok(imports >= files.length, `${imports} imports read: the pattern finds them`)
})

t.test('no clock, no randomness, no environment', async (t) => {
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8').replace(/\/\/.*$/gm, '')
    t.notMatch(
      src,
      /Date\.now|new Date\(\s*\)|DateTime\.(now|local)\(|Math\.random|process\.|performance\.|setTimeout|setInterval/,
      `${f} reads no clock and no environment`
    )
  }
})
