import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { reasonsInWords } from '../../../src/app/admin/reasons-in-words'

// Every reason code the rules document lists (docs/status-rules.md#reason-codes) has words.

const doc = readFileSync(join(__dirname, '../../../docs/status-rules.md'), 'utf8')
const table = doc.slice(doc.indexOf('## Reason codes'), doc.indexOf('## Invariants'))
const codes = [...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1] as string)

t.test('the table of reason codes was read', async (t) => {
  t.ok(codes.length >= 30, `${codes.length} codes`)
  t.ok(codes.includes('rule-6-entered') && codes.includes('no-block'))
})

t.test('every documented code has words of its own, distinct from the others', async (t) => {
  const words = reasonsInWords(codes)
  t.equal(words.length, codes.length)
  codes.forEach((code, i) => t.notMatch(words[i], /another reason/, code))
  t.equal(new Set(words).size, codes.length, 'no two codes read the same')
})

t.test('the status set is named when known; an unknown code is shown as itself', async (t) => {
  t.same(reasonsInWords(['rule-6-entered', 'rule-15-custom-status-set'], { status: 'dnd' }), [
    'a meeting started: set Do Not Disturb',
    'custom status set for the meeting'
  ])
  t.same(reasonsInWords(['rule-6-entered'], { status: 'away' }), ['a meeting started: set Away'])
  t.same(reasonsInWords(['rule-6-entered']), ['a meeting started: set the meeting status'])
  t.same(reasonsInWords(['rule-5-manual-respected']), ['the person set their own status: left alone'])
  t.same(reasonsInWords(['rule-99-new']), ['another reason (rule-99-new)'])
  t.same(reasonsInWords([]), [])
})
