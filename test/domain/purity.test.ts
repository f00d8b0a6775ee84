// src/domain is pure: no I/O, no clock, nothing from outside src/domain but luxon.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(__dirname, '..', '..', 'src', 'domain')
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))

t.test('imports: only luxon and files of src/domain', async (t) => {
  t.ok(files.length >= 10)
  let imports = 0
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8')
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      imports++
      const spec = m[1] as string
      t.ok(spec === 'luxon' || /^\.\/[a-z0-9-]+$/.test(spec), `${f} imports ${spec}`)
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
