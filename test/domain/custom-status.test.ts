// Rules 15-18: the custom status.
import t from 'tap'
import { decide } from '../../src/domain'
import { input, item, settings, T, World } from './helpers'

const meeting = [item('10:00', '11:00')]
const lunch = { emoji: 'sandwich', text: 'Lunch' }

t.test('rule 15: never overwrite the user own custom status; an expired one counts as none', async (t) => {
  const kept = decide(input({ items: meeting, customStatus: lunch }))
  t.equal(kept.customStatus, null)
  t.ok(kept.reasons.includes('rule-15-user-custom-status-kept'))
  t.same(kept.statusWrites.length, 1, 'the status rules are independent')
  const noExpiry = decide(input({ items: meeting, customStatus: { ...lunch, expiresAt: '0001-01-01T00:00:00Z' } }))
  t.equal(noExpiry.customStatus, null, "Mattermost's year-1 'no expiry' is not expired")
  const expired = decide(input({ items: meeting, customStatus: { ...lunch, expiresAt: new Date(T('09:30')).toISOString() } }))
  t.match(expired.customStatus, { action: 'set', emoji: 'calendar', text: 'In a meeting' }, 'clients no longer show it: ours may replace it')
  const empty = decide(input({ items: meeting, customStatus: { emoji: '', text: '' } }))
  t.match(empty.customStatus, { action: 'set' }, 'an empty custom status is none')
})

t.test("rule 15: the user's custom status runs out during the meeting: ours is set then", async (t) => {
  const w = new World()
  w.items = meeting
  w.custom = { ...lunch, expiresAt: new Date(T('10:20')).toISOString() }
  const d = w.evaluate(T('10:00'))
  t.equal(d.customStatus, null)
  t.equal(d.nextWakeAt, T('10:20'), 'wake when theirs expires')
  const later = w.evaluate(T('10:20'))
  t.match(later.customStatus, { action: 'set', text: 'In a meeting' })
})

t.test('rule 15: the user replaces or removes ours during the meeting: theirs for the rest of the block', async (t) => {
  for (const action of ['replace', 'remove'] as const) {
    const w = new World()
    w.items = [item('10:00', '11:00'), item('11:00', '12:00', 'oof')]
    w.evaluate(T('10:00'))
    w.custom = action === 'replace' ? lunch : null
    const d = w.evaluate(T('10:30'))
    t.equal(d.customStatus, null, action)
    t.match(d.remembered, { customReleased: true, setCustomStatus: null })
    w.custom = null
    const seen = w.decisions.length
    w.run(T('10:31'), T('12:10'))
    t.notOk(
      w.decisions.slice(seen).some((x) => x.customStatus !== null),
      `${action}: never set again in this block, not even at the level change`
    )
  }
})

t.test('rule 16: expires at the block end with duration date_and_time; at most 100 characters', async (t) => {
  const d = decide(input({ items: [item('10:00', '11:30')] }))
  t.same(d.customStatus, { action: 'set', emoji: 'calendar', text: 'In a meeting', expiresAt: '2026-03-16T11:30:00.000Z', duration: 'date_and_time' })
  const long = decide(input({ items: [item('10:00', '11:30', 'busy', { subject: 'x'.repeat(300) })], settings: settings({ showSubject: true }) }))
  t.equal([...(long.customStatus as { text: string }).text].length, 100)
  const back = decide(input({ items: [item('10:00', '11:00'), item('11:00', '11:30')] }))
  t.match(back.customStatus, { expiresAt: '2026-03-16T11:30:00.000Z' }, 'back-to-back: the merged end')
})

t.test('rule 17: the subject only when opted in and never for a private item', async (t) => {
  const items = [item('10:00', '11:00', 'busy', { subject: 'Planning' })]
  t.match(decide(input({ items })).customStatus, { text: 'In a meeting' }, 'not opted in')
  t.match(decide(input({ items, settings: settings({ showSubject: true }) })).customStatus, { text: 'In a meeting: Planning' })
  const secret = [item('10:00', '11:00', 'busy', { subject: 'Layoffs', isPrivate: true })]
  t.match(decide(input({ items: secret, settings: settings({ showSubject: true }) })).customStatus, { text: 'In a meeting' }, 'private')
  const both = [item('10:00', '11:00', 'busy', { subject: 'Planning' }), item('10:00', '11:00', 'busy', { subject: 'Layoffs', isPrivate: true })]
  const d = decide(input({ items: both, settings: settings({ showSubject: true }) }))
  t.match(d.customStatus, { text: 'In a meeting' }, 'a private item at the same time hides every subject')
  t.equal(d.message?.kind, 'daily')
  t.notMatch(d.message?.text, /Layoffs/, 'the day plan, for its owner, names the subject of what is not private')
  t.match(d.message?.text, /10:00–11:00 Planning · 10:00–11:00 Private appointment/)
  const every = decide(input({ items: both, settings: settings({ showSubject: true, notify: 'every' }) }))
  t.equal(every.message?.kind, 'entered')
  t.notMatch(every.message?.text, /Layoffs|Planning/, 'the message of notify every never names a subject')
})

t.test('rule 18: leaving: clear ours only if it is still exactly ours', async (t) => {
  const w = new World()
  w.items = meeting
  w.evaluate(T('10:00'))
  w.expire(T('11:00'))
  const d = w.evaluate(T('11:00'))
  t.same(d.customStatus, { action: 'clear' }, 'ours, expired or not: cleared (the server keeps expired ones)')
  const w2 = new World()
  w2.items = meeting
  w2.evaluate(T('10:00'))
  w2.custom = { emoji: 'calendar', text: 'In a meeting, call me' }
  w2.evaluate(T('10:30'))
  w2.expire(T('11:00'))
  t.equal(w2.evaluate(T('11:00')).customStatus, null, 'edited by the user: left alone')
  t.same(w2.custom, { emoji: 'calendar', text: 'In a meeting, call me' })
  const w4 = new World()
  w4.items = meeting
  w4.evaluate(T('10:00'))
  w4.custom = lunch // changed after the last evaluation inside the block
  w4.expire(T('11:00'))
  t.equal(w4.evaluate(T('11:00')).customStatus, null, 'replaced just before the end: left alone')
  t.same(w4.custom, lunch)
  const w3 = new World()
  w3.items = meeting
  w3.evaluate(T('10:00'))
  w3.items = []
  t.same(w3.evaluate(T('10:15')).customStatus, { action: 'clear' }, 'cancelled: cleared at once')
})

t.test('rule 18 with the next block: ours is replaced directly, never cleared then set', async (t) => {
  const w = new World()
  w.items = [item('10:00', '11:00'), item('11:30', '12:00', 'oof')]
  w.evaluate(T('10:00'))
  w.expire(T('11:00'))
  const d = w.evaluate(T('11:30'))
  t.match(d.customStatus, { action: 'set', emoji: 'palm_tree' })
})
