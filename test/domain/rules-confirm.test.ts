// "Ask first" (docs/status-rules.md#confirm): where rule 6 would set a status, ask, wait
// untouched, then enter on yes or release the stretch on no.
import t from 'tap'
import { decide } from '../../src/domain'
import type { Decision, Notice } from '../../src/domain'
import { input, item, sec, settings, T, World } from './helpers'

const ask = settings({ confirm: true })

function confirmOf(d: Decision): Extract<Notice, { kind: 'confirm' }> {
  if (d.message?.kind !== 'confirm') throw new Error(`no question: ${JSON.stringify(d.message)}`)
  return d.message
}

function asked(items = [item('10:00', '11:00', 'busy', { subject: 'Design review' })]): World {
  const w = new World('online')
  w.settings = ask
  w.items = items
  return w
}

t.test('asked: no status, no custom status, the block remembered as asked, one question', async (t) => {
  const w = asked()
  const d = w.evaluate(T('10:00'))
  t.equal(d.reason, 'confirm-asked')
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null, 'held back like rule 4')
  t.match(d.remembered, { asked: true, setStatus: null, released: false, blockStart: T('10:00') })
  t.same(confirmOf(d), {
    kind: 'confirm',
    text: '📅 "Design review" starts now (until 11:00). Set Do Not Disturb?',
    blockStart: T('10:00'),
    blockEnd: T('11:00'),
    action: 'dnd',
    statusEnd: T('11:00'),
    acceptLabel: 'Set Do Not Disturb until 11:00',
    declineLabel: 'Not this time',
    acceptedText: '✓ Do Not Disturb until 11:00',
    declinedText: 'Left as it was for this meeting'
  })
})

t.test('the question: private items keep their subject out; the action and the time in the person zone', async (t) => {
  const secret = decide(input({ items: [item('10:00', '11:00', 'busy', { subject: 'Doctor', isPrivate: true })], settings: ask, timeZone: 'Europe/Paris' }))
  t.equal(secret.message?.text, '📅 Your meeting starts now (until 12:00). Set Do Not Disturb?')
  const away = decide(
    input({ now: T('10:20'), items: [item('10:00', '11:00', 'tentative')], settings: settings({ confirm: true, mapping: { tentative: { status: 'away' } } }) })
  )
  t.equal(away.message?.text, '📅 Your tentative meeting is on (until 11:00). Set Away?', 'asked late: "is on"')
  t.match(away.message, { action: 'away', acceptLabel: 'Set Away', acceptedText: '✓ Away until 11:00' })
})

t.test('asked, no answer: nothing happens, the block passes untouched and its end restores nothing', async (t) => {
  const w = asked()
  const first = w.evaluate(T('10:00'))
  const d = w.evaluate(T('10:05'))
  t.equal(d.reason, 'confirm-waiting')
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.message, null, 'asked once')
  t.equal(d.remembered, first.remembered, 'the same remembered object: nothing to store')
  w.run(T('10:05'), T('11:30'))
  t.same(w.writes, [])
  t.equal(w.custom, null)
  t.equal(w.notices.length, 1)
  t.equal(w.remembered, null, 'nothing remembered after the block')
  t.equal(w.mm.status, 'online')
})

t.test('yes: entered as rule 6 does, custom status too, no other notice; Mattermost restores at the end', async (t) => {
  const w = asked()
  w.settings = settings({ confirm: true, notify: 'every' })
  const q = confirmOf(w.evaluate(T('10:00')))
  const d = decide({ ...w.input(T('10:02')), answer: { blockStart: q.blockStart, choice: 'yes' } })
  w.apply(d, T('10:02'))
  t.equal(d.reason, 'confirm-accepted')
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  t.match(d.customStatus, { action: 'set', emoji: 'calendar', text: 'In a meeting' })
  t.equal(d.message, null, 'the post itself changes; no entered or daily notice')
  t.match(d.remembered, { setStatus: 'dnd', prevStatus: 'online', prevManual: false, autopilot: false, asked: false })
  t.equal(w.evaluate(T('10:05')).reason, 'rule-10-no-change', 'an owned block from then on')
  w.run(T('10:05'), T('11:10'))
  t.equal(w.mm.status, 'online')
  t.equal(w.custom, null)
  t.equal(w.remembered, null)
})

t.test('yes over a manual status chosen after the question: entered, and the end restores that manual status', async (t) => {
  const w = asked()
  const q = confirmOf(w.evaluate(T('10:00')))
  w.setByUser('away', true, T('10:01'))
  t.equal(w.evaluate(T('10:02')).reason, 'confirm-waiting', 'the open question, not rule 5, decides')
  const d = decide({ ...w.input(T('10:03')), answer: { blockStart: q.blockStart, choice: 'yes' } })
  w.apply(d, T('10:03'))
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  t.match(d.remembered, { prevStatus: 'away', prevManual: true, autopilot: false })
  w.items = [item('10:00', '10:30', 'busy', { subject: 'Design review' })]
  const end = w.evaluate(T('10:30'))
  t.equal(end.reason, 'rule-13-restored')
  t.same(end.statusWrites, [{ status: 'away' }], 'their manual away back, not online')
})

t.test('no: released for the stretch, no status, no custom status; nothing at its end', async (t) => {
  const w = asked()
  const q = confirmOf(w.evaluate(T('10:00')))
  const d = decide({ ...w.input(T('10:02')), answer: { blockStart: q.blockStart, choice: 'no' } })
  w.apply(d, T('10:02'))
  t.equal(d.reason, 'confirm-declined')
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.message, null)
  t.match(d.remembered, { released: true, customReleased: true, asked: false, setStatus: null })
  t.equal(w.evaluate(T('10:10')).reason, 'block-released')
  w.run(T('10:10'), T('11:10'))
  t.same(w.writes, [])
  t.equal(w.custom, null)
  t.equal(w.remembered, null)
})

t.test('an answer for another block is ignored; an answer without confirm changes nothing', async (t) => {
  const w = asked()
  w.evaluate(T('10:00'))
  const other = decide({ ...w.input(T('10:02')), answer: { blockStart: T('09:00'), choice: 'yes' } })
  t.equal(other.reason, 'confirm-waiting')
  t.same(other.statusWrites, [])
  const plain = decide(input({ items: [item('10:00', '11:00')], answer: { blockStart: T('10:00'), choice: 'no' } }))
  t.equal(plain.reason, 'rule-6-entered', 'confirm off: rule 6 as always')
})

t.test('rules 2-5 decide first: nothing is asked where the service would change no status', async (t) => {
  const meeting = [item('10:00', '11:00')]
  const cases = [
    { name: 'rule 2, no status action', over: { items: [item('10:00', '17:00', 'workingElsewhere')] }, reason: 'rule-2-no-status-action' },
    {
      name: 'rule 3, already DND',
      over: { items: meeting, current: { status: 'dnd' as const, manual: true, dndEndTime: 0 } },
      reason: 'rule-3-already-target'
    },
    {
      name: 'rule 4, offline',
      over: { items: meeting, current: { status: 'offline' as const, manual: false, dndEndTime: 0 } },
      reason: 'rule-4-offline-skipped'
    },
    {
      name: 'rule 5, manual away',
      over: { items: meeting, current: { status: 'away' as const, manual: true, dndEndTime: 0 } },
      reason: 'rule-5-manual-respected'
    }
  ]
  for (const c of cases) {
    const d = decide(input({ ...c.over, settings: ask }))
    t.equal(d.reason, c.reason, c.name)
    t.equal(d.message, null, `${c.name}: no question`)
    t.same(d.statusWrites, [], c.name)
  }
  const elsewhere = decide(input({ items: [item('10:00', '17:00', 'workingElsewhere')], settings: ask }))
  t.match(elsewhere.customStatus, { action: 'set', emoji: 'house' }, 'a custom status alone is set without asking')
})

t.test('rule 14: the next block starts while our status is still on: restored as rule 13, and the new block asks again', async (t) => {
  const w = new World('away', false)
  w.settings = ask
  w.items = [item('10:00', '11:00'), item('11:05', '12:00')]
  const q = confirmOf(w.evaluate(T('10:00')))
  w.apply(decide({ ...w.input(T('10:01')), answer: { blockStart: q.blockStart, choice: 'yes' } }), T('10:01'))
  t.equal(w.mm.status, 'dnd')
  // Service down at 11:00, Mattermost's expiry late: at 11:06 the user is still in our DND.
  const d = w.evaluate(T('11:06'))
  t.same(d.reasons, ['confirm-asked', 'rule-13-restored', 'rule-18-custom-status-cleared'], 'and our custom status of the block left is cleared')
  t.same(d.statusWrites, [{ status: 'online' }], 'the automatic away handed back to presence')
  t.match(d.message, { kind: 'confirm', blockStart: T('11:05'), statusEnd: T('12:00') })
  t.match(d.remembered, { blockStart: T('11:05'), asked: true, setStatus: null })
})

t.test('a block with two meetings: each stretch asks on its own', async (t) => {
  const w = asked([item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00'), item('14:00', '15:00')])
  w.run(T('08:55'), T('16:00'))
  t.same(
    w.notices.map((n) => n.kind),
    ['confirm', 'confirm']
  )
  t.same(w.writes, [], 'never a status write without an answer')
  t.match(w.custom, { emoji: 'house' }, 'the custom status of working elsewhere still follows the block')
})

t.test('remembered JSON from before "Ask first" has no asked: read as false', async (t) => {
  const w = asked()
  const d = w.evaluate(T('10:00'))
  const { asked: _asked, ...old } = d.remembered!
  const again = decide(input({ now: T('10:05'), items: w.items, settings: ask, remembered: old as never }))
  t.equal(again.reason, 'confirm-asked', 'no question recorded: asked now')
})

t.test('while a question waits, the person setting DND themselves (rule 3) shows no custom status of ours', async (t) => {
  const w = asked()
  w.evaluate(T('10:00'))
  w.setByUser('dnd', true, T('10:01'))
  const d = w.evaluate(T('10:02'))
  t.equal(d.reason, 'rule-3-already-target')
  t.equal(d.customStatus, null)
  t.match(d.remembered, { asked: true })
})
