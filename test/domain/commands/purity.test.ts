// src/domain/commands is part of the pure domain: no I/O, no clock, nothing from outside
// src/domain but luxon (test/domain/purity.test.ts checks the files directly in src/domain).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(__dirname, '..', '..', '..', 'src', 'domain', 'commands')
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'))

t.test('imports: only luxon, this folder and src/domain', async (t) => {
  t.ok(files.length >= 10, `${files.length} files`)
  let imports = 0
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8')
    for (const m of src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      imports++
      const spec = m[1] as string
      t.ok(spec === 'luxon' || /^\.{1,2}\/[a-z0-9-]+$/.test(spec), `${f} imports ${spec}`)
    }
    t.notMatch(src, /\brequire\s*\(/, `${f}: no require`)
    t.notMatch(
      src.replace(/\/\/.*$/gm, ''),
      /Date\.now|new Date\(\s*\)|DateTime\.(now|local)\(|Math\.random|process\.|performance\.|setTimeout|setInterval/,
      `${f} reads no clock and no environment`
    )
  }
  t.ok(imports >= files.length, `${imports} imports read`)
})
