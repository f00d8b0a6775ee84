// Whole scenarios from Graph's answer to Mattermost's state, through the shared model.
import t from 'tap'
import { decide, parseScheduleItems } from '../../src/domain'
import { DAY, HOUR, input, item, sec, settings, T, World } from './helpers'

t.test('overlapping and back-to-back meetings: one DND, one message, Mattermost restores once', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00'), item('10:30', '11:30', 'tentative'), item('11:30', '12:00'), item('11:45', '12:15')]
  w.run(T('09:55'), T('12:30'))
  t.same(
    w.writes.map((x) => [x.status, x.dndEndTime]),
    [['dnd', sec(T('12:15'))]]
  )
  t.equal(w.messages.length, 1)
  t.equal(w.mm.status, 'online')
})

t.test('tentative: DND with its own custom status', async (t) => {
  const d = decide(input({ items: [item('10:00', '11:00', 'tentative')] }))
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  t.match(d.customStatus, { emoji: 'calendar', text: 'In a meeting (tentative)' })
})

t.test('multi-day out of office: DND until the return, the date in the custom status, one message', async (t) => {
  const w = new World('online')
  w.timeZone = 'Europe/Paris'
  w.settings = settings({ notify: 'every' })
  // Monday 00:00 to Thursday 00:00, Paris (all-day events, UTC from Graph).
  const raw = [
    { start: { dateTime: '2026-03-15T23:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2026-03-18T23:00:00.0000000', timeZone: 'UTC' }, status: 'Oof' }
  ]
  w.items = parseScheduleItems(raw)
  const d = w.evaluate(T('08:00'))
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('+2 23:00')) }])
  t.match(d.customStatus, { emoji: 'palm_tree', text: 'Out of office until Wed 18 Mar', expiresAt: '2026-03-18T23:00:00.000Z' })
  t.match(d.message, { kind: 'entered', text: /out of office until the end of Wed 18 Mar/ })
  // Days go by; the window moves; nothing is written again.
  for (let at = T('08:05'); at < T('+2 22:59'); at += 5 * 60_000) {
    const x = w.evaluate(at)
    if (x.statusWrites.length || x.customStatus || x.message) t.fail(`unexpected change at ${new Date(at).toISOString()}`)
  }
  w.run(T('+2 22:55'), T('+2 23:05'))
  t.equal(w.mm.status, 'online')
  t.equal(w.custom, null)
})

t.test('all-day event in the user zone: no date suffix for a single day', async (t) => {
  const items = parseScheduleItems([
    {
      start: { dateTime: '2026-03-16T00:00:00.0000000', timeZone: 'Tokyo Standard Time' },
      end: { dateTime: '2026-03-17T00:00:00.0000000', timeZone: 'Tokyo Standard Time' },
      status: 'oof'
    }
  ])
  t.equal(items[0]?.startMs, Date.UTC(2026, 2, 15, 15))
  const d = decide(input({ now: Date.UTC(2026, 2, 15, 20), items, timeZone: 'Asia/Tokyo', settings: settings({ notify: 'every' }) }))
  t.match(d.customStatus, { text: 'Out of office' })
  t.match(d.message, { kind: 'entered', text: /until the end of the day/ })
})

t.test('DST change inside a meeting: instants in UTC, texts in local time', async (t) => {
  // Paris, Sunday 29 March 2026: 02:00 becomes 03:00. A 01:30-03:30 local meeting lasts 1 hour.
  const items = parseScheduleItems([
    {
      start: { dateTime: '2026-03-29T01:30:00', timeZone: 'Romance Standard Time' },
      end: { dateTime: '2026-03-29T03:30:00', timeZone: 'Romance Standard Time' },
      status: 'busy'
    }
  ])
  t.same([items[0]?.startMs, items[0]?.endMs], [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30)])
  const every = settings({ notify: 'every' })
  const d = decide(input({ now: Date.UTC(2026, 2, 29, 0, 30), items, timeZone: 'Europe/Paris', settings: every }))
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: Date.UTC(2026, 2, 29, 1, 30) / 1000 }])
  t.match(d.message, { text: /until 03:30,/ })
  t.equal(d.nextWakeAt, Date.UTC(2026, 2, 29, 1, 30))
  // Autumn, New York: 1 November 2026, 02:00 EDT becomes 01:00 EST.
  const fall = parseScheduleItems([
    {
      start: { dateTime: '2026-11-01T00:30:00', timeZone: 'Eastern Standard Time' },
      end: { dateTime: '2026-11-01T03:00:00', timeZone: 'Eastern Standard Time' },
      status: 'busy'
    }
  ])
  t.equal((fall[0]!.endMs - fall[0]!.startMs) / HOUR, 3.5, 'three and a half real hours')
  const f = decide(input({ now: fall[0]!.startMs, items: fall, timeZone: 'America/New_York', locale: 'en-US', settings: every }))
  t.match(f.message, { text: /until 03:00 AM,/ })
})

t.test('a realistic day: every status write is a block start or end, and the user ends the day as they began', async (t) => {
  const w = new World('online')
  w.items = [
    item('09:00', '09:15'),
    item('09:15', '09:30'),
    item('10:00', '11:00', 'tentative'),
    item('11:30', '12:30', 'busy', { isPrivate: true, subject: 'Doctor' }),
    item('12:30', '13:30', 'free'),
    item('14:00', '15:00'),
    item('14:30', '15:30'),
    item('16:00', '17:00', 'workingElsewhere')
  ]
  w.presence('idle', T('09:40')).presence('active', T('09:50'))
  w.run(T('08:00'), T('18:00'))
  t.same(
    w.writes.map((x) => new Date(x.at).toISOString().slice(11, 16) + ' ' + x.status),
    ['09:00 dnd', '10:00 dnd', '11:30 dnd', '14:00 dnd']
  )
  t.same(
    w.notices.map((n) => n.kind),
    ['daily', 'daily', 'daily', 'daily'],
    'notify daily by default: the day plan at each stretch the service entered (the caller sends the first of the day)'
  )
  t.equal(w.mm.status, 'online')
  t.equal(w.mm.manual, false)
  t.equal(w.custom, null)
  t.equal(w.remembered, null)
})

t.test('remembered state is plain JSON and survives a round trip through the store', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  const d = w.evaluate(T('10:00'))
  const copy = JSON.parse(JSON.stringify(d.remembered))
  t.same(copy, d.remembered)
  const next = decide({ ...w.input(T('10:30')), remembered: copy })
  t.equal(next.reason, 'rule-10-no-change')
  t.equal(next.remembered, copy)
  t.equal(DAY, T('00:00'))
  t.equal(settings().mergeGapMinutes, 0)
})
