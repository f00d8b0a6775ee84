// The settings that change the rules: pause, autopilot, notify, offlineUsers, showSubject,
// mapping overrides, customStatus off, mergeGapMinutes.
import t from 'tap'
import { decide } from '../../src/domain'
import { input, item, sec, settings, T, World } from './helpers'

t.test('pause starting mid-block: the owned block is released, not restored; Mattermost restores at the DND end', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.settings = settings({ pausedUntil: T('10:40') })
  const d = w.evaluate(T('10:20'))
  t.same(d.reasons, ['rule-1-paused', 'pause-released'])
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null, 'custom status left as it is too')
  t.match(d.remembered, { released: true, setStatus: null, customReleased: true, setCustomStatus: null })
  t.equal(d.nextWakeAt, T('10:40'))
  w.run(T('10:21'), T('11:10'))
  t.same(w.writes.length, 1, 'after the pause, still nothing in this block')
  t.equal(w.mm.status, 'away', "Mattermost's own restore")
  t.same(w.custom, { emoji: 'calendar', text: 'In a meeting', expiresAt: '2026-03-16T11:00:00.000Z' }, 'ours stays; it has expired, clients hide it')
  const next = decide(w.input(T('12:00')))
  t.equal(next.remembered, null)
  const again = decide({ ...w.input(T('13:00')), items: [item('13:00', '14:00')] })
  t.match(again.customStatus, { action: 'set' }, 'an expired leftover never blocks the next block')
})

t.test('pause while nothing is owned; pause ends the grace wait without restoring', async (t) => {
  const d = decide(
    input({
      now: T('11:00:10'),
      current: { status: 'dnd', manual: true, dndEndTime: sec(T('11:00')) },
      settings: settings({ pausedUntil: T('12:00') }),
      remembered: {
        version: 1,
        blockStart: T('10:00'),
        blockEnd: T('11:00'),
        level: 'busy',
        setStatus: 'dnd',
        statusEnd: T('11:00'),
        setDndEndTime: sec(T('11:00')),
        prevStatus: 'online',
        prevManual: false,
        autopilot: false,
        released: false,
        setCustomStatus: null,
        customReleased: false,
        notified: true,
        asked: false
      }
    })
  )
  t.same(d.statusWrites, [])
  t.equal(d.remembered, null)
  t.equal(d.nextWakeAt, T('12:00'))
})

t.test('autopilot: replaces a manual status at the block start, restores to online, still respects changes during the block', async (t) => {
  const w = new World('away', true)
  w.settings = settings({ autopilotUntil: T('18:00') })
  w.items = [item('10:00', '11:00'), item('14:00', '15:00')]
  const d = w.evaluate(T('10:00'))
  t.equal(d.reason, 'rule-6-entered')
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  t.match(d.remembered, { autopilot: true, prevStatus: 'away', prevManual: true })
  t.match(d.message, { kind: 'daily', text: /goes back to online after each one/ })
  w.items = [item('10:00', '10:30'), item('14:00', '15:00')]
  t.same(w.evaluate(T('10:30')).statusWrites, [{ status: 'online' }], 'ended early: online (automatic)')
  t.equal(w.mm.manual, false)
  w.setByUser('away', true, T('13:00'))
  t.same(w.evaluate(T('14:00')).statusWrites.length, 1, 'the next block replaces the manual away too')
  w.setByUser('online', false, T('14:10'))
  t.equal(w.evaluate(T('14:11')).reason, 'rule-7-released')
  const off = decide(
    input({ items: [item('10:00', '11:00')], current: { status: 'away', manual: true, dndEndTime: 0 }, settings: settings({ autopilotUntil: T('10:00') }) })
  )
  t.equal(off.reason, 'rule-5-manual-respected', 'autopilot over at now: rule 5 again')
})

t.test('notify: one message per block, at the status change, none at restores; none when off', async (t) => {
  const w = new World('online')
  w.timeZone = 'Europe/Paris'
  w.settings = settings({ notify: 'every' })
  w.items = [item('10:00', '11:00'), item('10:30', '11:30', 'oof'), item('13:00', '14:00', 'tentative')]
  w.run(T('09:55'), T('14:10'))
  t.same(
    w.messages,
    [
      "📅 You're in a meeting until 12:30, so I set your status to Do Not Disturb. It goes back to how it was afterwards. To pause this, type `/calstatus pause 1h`; to change what I do, `/calstatus settings`.",
      '📅 You have a tentative meeting until 15:00, so I set your status to Do Not Disturb. It goes back to how it was afterwards. To pause this, type `/calstatus pause 1h`; to change what I do, `/calstatus settings`.'
    ],
    'the level at the start, the end in Paris time'
  )
  const quiet = new World('online')
  quiet.settings = settings({ notify: 'off' })
  quiet.items = w.items
  quiet.run(T('09:55'), T('14:10'))
  t.same(quiet.messages, [])
  t.equal(quiet.writes.length, w.writes.length, 'same writes')
  const rule3 = decide(input({ items: [item('10:00', '11:00')], current: { status: 'dnd', manual: true, dndEndTime: 0 } }))
  t.equal(rule3.message, null, 'no status change, no message')
})

t.test('offlineUsers: skip leaves offline users alone; apply puts them in DND and Mattermost restores offline', async (t) => {
  const skip = new World('offline', false)
  skip.items = [item('10:00', '11:00')]
  skip.run(T('09:55'), T('11:10'))
  t.same(skip.writes, [])
  const apply = new World('offline', false)
  apply.settings = settings({ offlineUsers: 'apply' })
  apply.items = [item('10:00', '11:00')]
  apply.run(T('09:55'), T('11:10'))
  t.same(
    apply.writes.map((x) => x.status),
    ['dnd']
  )
  t.equal(apply.mm.status, 'offline')
  t.equal(apply.mm.manual, false)
})

t.test('showSubject: the custom status names the meeting, subject by subject', async (t) => {
  const w = new World()
  w.settings = settings({ showSubject: true })
  w.items = [item('10:00', '11:00', 'busy', { subject: 'Planning' }), item('11:00', '12:00', 'busy', { subject: 'Review' })]
  w.run(T('09:55'), T('12:10'))
  t.same(
    w.decisions.filter((d) => d.customStatus?.action === 'set').map((d) => d.customStatus),
    [
      { action: 'set', emoji: 'calendar', text: 'In a meeting: Planning', expiresAt: '2026-03-16T11:00:00.000Z', duration: 'date_and_time' },
      { action: 'set', emoji: 'calendar', text: 'In a meeting: Review', expiresAt: '2026-03-16T12:00:00.000Z', duration: 'date_and_time' }
    ]
  )
  t.same(
    w.writes.map((x) => x.status),
    ['dnd'],
    'one block, one status write'
  )
})

t.test('mapping overrides: per availability, status and custom status', async (t) => {
  const s = settings({
    mapping: { busy: { status: 'away', customStatus: { emoji: 'phone', text: 'On a call' } }, tentative: { status: 'none' }, free: { status: 'dnd' } }
  })
  t.same(decide(input({ items: [item('10:00', '11:00')], settings: s })).statusWrites, [{ status: 'away' }])
  t.match(decide(input({ items: [item('10:00', '11:00')], settings: s })).customStatus, { emoji: 'phone', text: 'On a call' })
  t.same(decide(input({ items: [item('10:00', '11:00', 'tentative')], settings: s })).statusWrites, [])
  t.same(decide(input({ items: [item('10:00', '11:00', 'free')], settings: s })).statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  const admin = settings({ mapping: { oof: { customStatus: { emoji: 'airplane', text: 'Away' } } } })
  t.match(decide(input({ items: [item('10:00', '+2 10:00', 'oof')], settings: admin })).customStatus, { emoji: 'airplane', text: 'Away until Wed 18 Mar' })
})

t.test('customStatus off: never a custom status; working elsewhere does nothing at all', async (t) => {
  const s = settings({ customStatus: false })
  const d = decide(input({ items: [item('10:00', '11:00')], settings: s }))
  t.equal(d.customStatus, null)
  t.same(d.statusWrites.length, 1)
  const we = decide(input({ items: [item('10:00', '11:00', 'workingElsewhere')], settings: s }))
  t.equal(we.customStatus, null)
  t.equal(we.remembered, null)
  const w = new World()
  w.items = [item('10:00', '11:00'), item('11:00', '12:00', 'oof')]
  w.evaluate(T('10:00'))
  w.settings = s
  t.same(w.evaluate(T('10:30')).customStatus, { action: 'clear' }, 'switched off mid-block: ours is cleared')
  t.equal(w.evaluate(T('11:00')).customStatus, null)
})

t.test('mergeGapMinutes: meetings a few minutes apart are one block when the gap allows it', async (t) => {
  const items = [item('10:00', '11:00'), item('11:05', '12:00')]
  const merged = new World()
  merged.settings = settings({ mergeGapMinutes: 5 })
  merged.items = items
  merged.run(T('09:55'), T('12:10'))
  t.same(
    merged.writes.map((x) => [x.status, x.dndEndTime]),
    [['dnd', sec(T('12:00'))]]
  )
  t.equal(merged.messages.length, 1)
  const apart = new World()
  apart.items = items
  apart.run(T('09:55'), T('12:10'))
  t.same(
    apart.writes.map((x) => [x.status, x.dndEndTime]),
    [
      ['dnd', sec(T('11:00'))],
      ['dnd', sec(T('12:00'))]
    ]
  )
  t.equal(apart.messages.length, 2)
})

t.test('mergeGapMinutes: the gap holds even when the meeting before it has left the schedule window', async (t) => {
  // getSchedule covers [now - 1 min, now + 24 h]: at 11:03 the 10:00-11:00 item is gone.
  const all = [item('10:00', '11:00'), item('11:05', '12:00')]
  const windowed = (now: number) => all.filter((it) => it.endMs > now - 60_000 && it.startMs < now + 24 * 3_600_000)
  const w = new World()
  w.settings = settings({ mergeGapMinutes: 10 })
  for (const at of [T('10:00'), T('11:00'), T('11:03'), T('11:05'), T('11:30'), T('12:00')]) {
    w.items = windowed(at)
    w.expire(at)
    w.evaluate(at)
  }
  t.equal(w.decisions[2]?.reason, 'rule-10-no-change', 'inside the gap at 11:03: still the same block')
  t.same(
    w.writes.map((x) => [x.status, x.dndEndTime]),
    [['dnd', sec(T('12:00'))]],
    'one DND, no restore in the gap'
  )
  t.equal(w.messages.length, 1)
  t.equal(w.mm.status, 'online')
})

t.test('pause while the service holds an away (no end time): handed back when the meeting is over', async (t) => {
  const w = new World('online')
  w.settings = settings({ mapping: { busy: { status: 'away' } } })
  w.items = [item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00'), item('14:00', '15:00')]
  t.same(w.evaluate(T('10:00')).statusWrites, [{ status: 'away' }])
  w.settings = settings({ mapping: { busy: { status: 'away' } }, pausedUntil: T('10:30') })
  t.same(w.evaluate(T('10:20')).statusWrites, [])
  t.same(w.evaluate(T('10:40')).statusWrites, [], 'released: nothing during the rest of the meeting')
  const end = w.evaluate(T('11:00'))
  t.same(end.statusWrites, [{ status: 'online' }], 'our away is not left behind')
  t.same(w.evaluate(T('14:00')).statusWrites, [{ status: 'away' }], 'a release lasts for the meeting, not for the whole day of working elsewhere')
  // Paused past the block end: handed back once the pause is over.
  const v = new World('online')
  v.settings = settings({ mapping: { busy: { status: 'away' } } })
  v.items = [item('10:00', '11:00')]
  v.evaluate(T('10:00'))
  v.settings = settings({ mapping: { busy: { status: 'away' } }, pausedUntil: T('12:00') })
  t.same(v.evaluate(T('10:30')).statusWrites, [])
  t.same(v.evaluate(T('11:00')).statusWrites, [], 'still paused at the end')
  t.ok(v.remembered, 'kept until the pause is over')
  t.same(v.evaluate(T('12:00')).statusWrites, [{ status: 'online' }])
  t.equal(v.remembered, null)
})
