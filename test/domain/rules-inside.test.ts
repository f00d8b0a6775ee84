// Rules 7-10: inside a block the service owns.
import t from 'tap'
import { decide } from '../../src/domain'
import { applyDndExpiry, applySetStatus, initialStatus, item, sec, settings, T, World } from './helpers'

t.test('rule 7: the user changes the status during the meeting: released, never set again, nothing restored', async (t) => {
  for (const [status, manual, end] of [
    ['online', false, undefined],
    ['away', true, undefined],
    ['dnd', true, sec(T('12:00'))],
    ['dnd', true, undefined]
  ] as const) {
    const w = new World('online')
    w.items = [item('10:00', '11:00')]
    w.evaluate(T('10:00'))
    w.setByUser(status, manual, T('10:20'), end)
    const d = w.evaluate(T('10:21'))
    t.equal(d.reason, 'rule-7-released', `${status} ${end ?? ''}`)
    t.same(d.statusWrites, [])
    t.match(d.remembered, { released: true, setStatus: null })
    w.presence('active', T('10:30')).presence('idle', T('10:40'))
    w.run(T('10:22'), T('12:30'))
    t.same(w.writes.length, 1, 'only the write at the start')
    t.equal(w.remembered, null)
  }
})

t.test('rule 8: the meeting is extended: Mattermost still restores the pre-meeting status at the new end', async (t) => {
  for (const prev of ['online', 'away', 'offline'] as const) {
    const w = new World(prev, false)
    w.settings = settings({ offlineUsers: 'apply' })
    w.items = [item('10:00', '11:00')]
    w.evaluate(T('10:00'))
    w.items = [item('10:00', '11:30')]
    const d = w.evaluate(T('10:40'))
    t.equal(d.reason, 'rule-8-extended', prev)
    t.same(d.statusWrites, [{ status: prev }, { status: 'dnd', dndEndTime: sec(T('11:30')) }], 'previous status back first, then DND to the new end')
    t.equal(d.message, null, 'no second message')
    t.equal(w.mm.prev_status, prev, "Mattermost's stored previous status is the pre-meeting one")
    t.equal(w.mm.dnd_end_time, sec(T('11:30')))
    w.run(T('10:41'), T('11:35'))
    t.equal(w.mm.status, prev, `back to ${prev}`)
    t.equal(w.mm.manual, false, 'automatic again')
  }
})

t.test('rule 8: why two calls: DND over DND would make Mattermost restore DND (the model shows it)', async (t) => {
  let mm = applySetStatus(initialStatus('u'), 'online', undefined, T('09:00'))
  mm = applySetStatus(mm, 'dnd', sec(T('11:00')), T('10:00'))
  mm = applySetStatus(mm, 'dnd', sec(T('11:30')), T('10:40'))
  t.equal(applyDndExpiry(mm, T('11:30')).status, 'dnd', 'a single DND call would leave the user stuck in DND')
})

t.test('rule 8: a back-to-back meeting added during the meeting extends the same block', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.items = [item('10:00', '11:00'), item('11:00', '12:00', 'tentative')]
  const d = w.evaluate(T('10:50'))
  t.equal(d.reason, 'rule-8-extended')
  t.same(d.statusWrites.at(-1), { status: 'dnd', dndEndTime: sec(T('12:00')) })
  w.run(T('10:51'), T('12:05'))
  t.same(
    w.writes.map((x) => x.status),
    ['dnd', 'online', 'dnd'],
    'no write at 11:00, no flicker between the meetings'
  )
  t.equal(w.messages.length, 1)
  t.equal(w.mm.status, 'online')
})

t.test('rule 8: shortened: no call now, restored at the new end (the DND end is still ahead)', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.items = [item('10:00', '10:30')]
  const d = w.evaluate(T('10:10'))
  t.equal(d.reason, 'rule-8-shortened')
  t.same(d.statusWrites, [])
  t.equal(d.nextWakeAt, T('10:30'))
  t.match(d.remembered, { statusEnd: T('10:30'), setDndEndTime: sec(T('11:00')) })
  const end = w.evaluate(T('10:30'))
  t.equal(end.reason, 'rule-13-restored')
  t.same(end.statusWrites, [{ status: 'online' }], 'automatic away handed back to presence as online, not restored as manual away')
  t.equal(w.mm.manual, false)
})

t.test('rule 9: busy becomes out of office: the custom status changes, the status stays', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00'), item('11:00', '+2 00:00', 'oof')]
  const d0 = w.evaluate(T('10:00'))
  t.same(d0.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('+2 00:00')) }], 'DND until the end of the whole block')
  const d = w.evaluate(T('11:00'))
  t.equal(d.reasons.includes('rule-9-custom-status-changed'), true)
  t.same(d.statusWrites, [])
  t.match(d.customStatus, { action: 'set', emoji: 'palm_tree', text: 'Out of office until Tue 17 Mar', expiresAt: new Date(T('+2 00:00')).toISOString() })
  t.equal(d.remembered?.level, 'oof')
})

t.test('rule 9: a level with another status action applies it', async (t) => {
  const w = new World('online')
  w.settings = settings({ mapping: { tentative: { status: 'away' } } })
  w.items = [item('10:00', '11:00', 'tentative'), item('11:00', '12:00', 'busy')]
  t.same(w.evaluate(T('10:00')).statusWrites, [{ status: 'away' }])
  const d = w.evaluate(T('11:00'))
  t.equal(d.reason, 'rule-9-level-changed')
  t.same(
    d.statusWrites,
    [{ status: 'online' }, { status: 'dnd', dndEndTime: sec(T('12:00')) }],
    "the previous status first, so Mattermost's restore stays exact"
  )
  t.equal(w.mm.prev_status, 'online')
  w.run(T('11:01'), T('12:05'))
  t.equal(w.mm.status, 'online')
})

t.test('rule 9: a meeting inside a day of working elsewhere: DND for the meeting only', async (t) => {
  const w = new World('online')
  w.items = [item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00')]
  w.run(T('08:55'), T('17:10'))
  t.same(
    w.writes.map((x) => [new Date(x.at).toISOString().slice(11, 16), x.status, x.dndEndTime && new Date(x.dndEndTime * 1000).toISOString().slice(11, 16)]),
    [['10:00', 'dnd', '11:00']],
    'DND until 11:00, not 17:00; Mattermost restores it'
  )
  t.equal(w.mm.status, 'online')
  t.equal(w.custom, null)
  t.equal(
    w.decisions
      .filter((d) => d.customStatus?.action === 'set')
      .map((d) => (d.customStatus as { text: string }).text)
      .join(' / '),
    'Working elsewhere / In a meeting / Working elsewhere'
  )
})

t.test('rule 10: nothing changed: no call at all, and the same remembered state', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00')]
  const d0 = w.evaluate(T('10:00'))
  const d = w.evaluate(T('10:30'))
  t.equal(d.reason, 'rule-10-no-change')
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.message, null)
  t.equal(d.remembered, d0.remembered, 'the very same object, so the store can skip the write')
  const again = decide(w.input(T('10:30')))
  t.equal(again.remembered, d0.remembered)
})

t.test('rules 5 and 7 within a day of working elsewhere: a release lasts for one meeting, not the whole day', async (t) => {
  const day = [item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00'), item('14:00', '15:00')]
  const w = new World('online')
  w.items = day
  w.evaluate(T('10:00'))
  w.setByUser('online', false, T('10:20'))
  t.equal(w.evaluate(T('10:21')).reason, 'rule-7-released')
  w.run(T('10:22'), T('15:10'))
  t.same(
    w.writes.map((x) => new Date(x.at).toISOString().slice(11, 16) + ' ' + x.status),
    ['10:00 dnd', '14:00 dnd']
  )
  t.equal(w.messages.length, 2, 'one message per meeting')
  const m = new World('away', true)
  m.items = day
  m.evaluate(T('10:00'))
  m.setByUser('online', false, T('12:00'))
  m.run(T('10:01'), T('15:10'))
  t.same(
    m.writes.map((x) => new Date(x.at).toISOString().slice(11, 16) + ' ' + x.status),
    ['14:00 dnd'],
    'manual away respected at 10:00, online by 14:00'
  )
})
