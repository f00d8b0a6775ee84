// notify `daily` (docs/status-rules.md#notify): the rest of the person's local day, in their
// zone and date locale, words from their language's catalog.
import t from 'tap'
import { dailyMessage, dayPlan, decide, localDay, resolveLocale } from '../../src/domain'
import { input, item, settings, T } from './helpers'

const AFTER = 'Your status comes back on its own after each one. Type `/calstatus pause 1h` to stop for a while, or `/calstatus settings` to change what I do.'
const en = (zone: string, locale = 'en-GB') => ({ zone, locale, language: 'en' as const })
const day = [
  item('09:30', '10:00', 'busy', { subject: 'Stand-up' }),
  item('11:00', '12:00', 'busy', { subject: 'Design review' }),
  item('15:00', '15:30', 'tentative', { subject: '1:1 with Ana' })
]

t.test('the plan of the rest of the day, in the sketch of the design', async (t) => {
  t.equal(
    dailyMessage(day, settings(), T('09:30'), en('UTC'), false),
    `Good morning! I'll set Do Not Disturb during today's meetings:\n09:30–10:00 Stand-up · 11:00–12:00 Design review · 15:00–15:30 1:1 with Ana\n${AFTER}`
  )
  t.match(dailyMessage(day, settings(), T('09:30'), en('UTC'), true), /goes back to online after each one/, 'under autopilot')
})

t.test('only what the service will act on, from now to the end of the local day', async (t) => {
  const items = [
    item('08:00', '09:00', 'busy', { subject: 'Over already' }),
    item('10:00', '11:00', 'busy', { subject: 'On now' }),
    item('09:00', '17:00', 'workingElsewhere', { subject: 'Home' }),
    item('12:00', '13:00', 'free', { subject: 'Lunch' }),
    item('13:00', '14:00', 'busy', { subject: 'Doctor', isPrivate: true }),
    item('14:00', '15:00', 'busy'),
    item('15:00', '16:00', 'oof', { subject: '  ' }),
    item('+1 09:00', '+1 10:00', 'busy', { subject: 'Tomorrow' })
  ]
  t.same(
    dayPlan(items, settings(), T('10:30'), 'UTC').map((e) => e.item.subject ?? '-'),
    ['On now', 'Doctor', '-', '  '],
    'over, free, working elsewhere and tomorrow left out; in order'
  )
  const text = dailyMessage(items, settings(), T('10:30'), en('UTC'), false)
  t.match(text, /^Good morning! /)
  t.match(text, /10:00–11:00 On now · 13:00–14:00 Private appointment · 14:00–15:00 busy · 15:00–16:00 out of office\n/)
  t.notMatch(text, /Doctor|Home|Lunch|Tomorrow|Over already/, 'never a private subject, nothing the service leaves alone')
})

t.test('time zones: the local day, its times and the greeting follow the person', async (t) => {
  // 08:00 UTC is 09:00 in Paris: morning; the plan in Paris time.
  t.match(
    dailyMessage(day, settings(), T('08:00'), en('Europe/Paris'), false),
    /^Good morning! .*\n10:30–11:00 Stand-up · 12:00–13:00 Design review · 16:00–16:30 1:1/
  )
  // 10:00 UTC is 19:00 in Tokyo; 15:00 UTC is already tomorrow there.
  const tokyo = dailyMessage(day, settings(), T('10:00'), en('Asia/Tokyo'), false)
  t.match(tokyo, /^Good evening! .*\n20:00–21:00 Design review\n/, 'the 15:00 UTC meeting falls on the next Tokyo day')
  t.match(dailyMessage(day, settings(), T('13:00'), en('UTC'), false), /^Good afternoon! .*\n15:00–15:30 1:1 with Ana\n/)
  t.match(dailyMessage(day, settings(), T('02:00'), en('UTC'), false), /^Hello! /, 'at night: plain')
  t.equal(localDay(T('10:00'), 'Asia/Tokyo'), localDay(T('14:59'), 'Asia/Tokyo'))
})

t.test('all day, from and until: items beyond the local day', async (t) => {
  const items = [
    item('-1 22:00', '+1 00:00', 'oof', { subject: 'Holiday' }),
    item('-1 23:00', '09:00', 'busy', { subject: 'Night shift' }),
    item('22:00', '+1 02:00', 'busy', { subject: 'Release' })
  ]
  t.match(dailyMessage(items, settings(), T('08:00'), en('UTC'), false), /\nall day Holiday · until 09:00 Night shift · from 22:00 Release\n/)
})

t.test('locale de: 24-hour German dates, English words', async (t) => {
  const de = resolveLocale('de')
  t.equal(de.language, 'en', 'no German catalog yet')
  const text = dailyMessage(day, settings(), T('11:30'), { zone: 'America/New_York', locale: de.dateLocale, language: de.language }, false)
  t.match(text, /^Good morning! I'll set Do Not Disturb during today's meetings:\n07:00–08:00 Design review · 11:00–11:30 1:1 with Ana\n/)
  const us = dailyMessage(day, settings(), T('11:30'), en('America/New_York', 'en-US'), false)
  t.match(us, /07:00 AM–08:00 AM Design review/, 'en-US: a 12-hour clock')
  const d = decide(input({ now: T('11:00'), items: day, timeZone: 'Europe/Berlin', locale: de.dateLocale, language: de.language }))
  t.match(d.message, { kind: 'daily', day: localDay(T('11:00'), 'Europe/Berlin') })
  t.match(d.message?.text, /12:00–13:00 Design review · 16:00–16:30 1:1 with Ana/)
})

t.test('mixed statuses: each entry names its own; a long day is cut', async (t) => {
  const mixed = settings({ mapping: { tentative: { status: 'away' } } })
  t.match(
    dailyMessage(day, mixed, T('09:30'), en('UTC'), false),
    /^Good morning! I'll change your status during today's meetings:\n09:30–10:00 Stand-up \(Do Not Disturb\) · 11:00–12:00 Design review \(Do Not Disturb\) · 15:00–15:30 1:1 with Ana \(Away\)\n/
  )
  const many = Array.from({ length: 11 }, (_, i) =>
    item(T('09:00') + i * 30 * 60_000, T('09:00') + (i + 1) * 30 * 60_000 - 60_000, 'busy', { subject: `M${i}` })
  )
  const text = dailyMessage(many, settings(), T('09:00'), en('UTC'), false)
  t.match(text, /M7 · and 3 more\n/)
  t.notMatch(text, /M8/)
})

t.test('notify modes in decide: every, daily (the day in the person zone), off', async (t) => {
  // 11:00 UTC is midnight in Auckland: the next local day there.
  const at = { now: T('11:00'), items: day, timeZone: 'Pacific/Auckland' }
  const daily = decide(input(at))
  t.equal(daily.reason, 'rule-6-entered')
  t.match(daily.message, { kind: 'daily', day: localDay(T('11:00'), 'Pacific/Auckland') })
  t.match(daily.remembered, { notified: true })
  t.equal(localDay(T('11:00'), 'Pacific/Auckland'), localDay(T('11:00'), 'UTC') + 1, 'the day is the local one')
  const every = decide(input({ ...at, settings: settings({ notify: 'every' }) }))
  t.match(every.message, { kind: 'entered', text: /^📅 You're in a meeting until 01:00, so I set your status to Do Not Disturb/ })
  const off = decide(input({ ...at, settings: settings({ notify: 'off' }) }))
  t.equal(off.message, null)
  t.match(off.remembered, { notified: false })
  t.same(off.statusWrites, daily.statusWrites, 'the mode changes texts, never writes')
})
