import t from 'tap'
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { engineTexts } from '../../src/domain/engine-texts'
import { enteredMessage } from '../../src/domain/entered-message'
import { customStatusText, localDay, truncate, untilText } from '../../src/domain/texts'
import { T } from './helpers'

const until = engineTexts('en').until
const reader = (zone: string, locale = 'en-GB') => ({ zone, locale, language: 'en' as const })

const tpl = { emoji: 'calendar', text: 'In a meeting' }

t.test('until texts in the user zone and locale', async (t) => {
  t.equal(untilText(T('15:30'), T('10:00'), 'UTC', 'en-GB', until), 'until 15:30')
  t.equal(untilText(T('15:30'), T('10:00'), 'Europe/Paris', 'en-GB', until), 'until 16:30')
  t.equal(untilText(T('15:30'), T('10:00'), 'America/New_York', 'en-US', until), 'until 11:30 AM')
  t.equal(untilText(T('+2 14:00'), T('10:00'), 'UTC', 'en-GB', until), 'until Wed 18 Mar, 14:00')
  t.equal(untilText(T('+3 00:00'), T('10:00'), 'UTC', 'en-GB', until), 'until the end of Wed 18 Mar', 'an all-day end names the last day')
  t.equal(untilText(T('+1 00:00'), T('10:00'), 'UTC', 'en-GB', until), 'until the end of the day')
  t.equal(untilText(T('15:30'), T('10:00'), 'Not/AZone', 'en-GB', until), 'until 15:30', 'an unknown zone falls back to UTC')
})

t.test('custom status text: the date only when the stretch ends on a later local day', async (t) => {
  t.equal(customStatusText(tpl, undefined, T('10:00'), T('11:00'), 'UTC', 'en-GB'), 'In a meeting')
  t.equal(
    customStatusText({ emoji: 'palm_tree', text: 'Out of office' }, undefined, T('00:00'), T('+3 00:00'), 'UTC', 'en-GB'),
    'Out of office until Wed 18 Mar'
  )
  t.equal(
    customStatusText({ emoji: 'palm_tree', text: 'Out of office' }, undefined, T('00:00'), T('+1 00:00'), 'UTC', 'en-GB'),
    'Out of office',
    'a one-day event'
  )
  // 23:00 UTC to 23:00 UTC next day is one local day in Paris (00:00 to 00:00).
  t.equal(customStatusText({ emoji: 'palm_tree', text: 'Out of office' }, undefined, T('-1 23:00'), T('23:00'), 'Europe/Paris', 'en-GB'), 'Out of office')
  t.equal(
    customStatusText({ emoji: 'palm_tree', text: 'Out of office' }, undefined, T('-1 23:00'), T('23:00'), 'UTC', 'en-GB'),
    'Out of office until Mon 16 Mar'
  )
  t.equal(customStatusText(tpl, 'Planning', T('10:00'), T('11:00'), 'UTC', 'en-GB'), 'In a meeting: Planning')
})

t.test('custom status text never exceeds 100 characters', async (t) => {
  const long = 'Quarterly business review with the whole regional leadership team and our partners from overseas offices'
  const text = customStatusText(tpl, long, T('10:00'), T('+2 11:00'), 'UTC', 'en-GB')
  t.ok([...text].length <= 100, text)
  t.match(text, /^In a meeting: Quarterly .*… until Wed 18 Mar$/)
  const longTpl = { emoji: 'x', text: 'y'.repeat(120) }
  t.equal([...customStatusText(longTpl, 'Subject', T('10:00'), T('11:00'), 'UTC', 'en-GB')].length, 100)
  t.equal(truncate('🙂'.repeat(101), 100), '🙂'.repeat(99) + '…', 'counted in characters, not UTF-16 units')
})

t.test('the message names the level, the end in the user zone and how to pause; never a subject', async (t) => {
  const m = enteredMessage('busy', 'dnd', T('15:30'), T('10:00'), reader('Europe/Paris'), false)
  t.equal(
    m,
    "📅 You're in a meeting until 16:30, so I set your status to Do Not Disturb. It goes back to how it was afterwards. To pause this, type `/calstatus pause 1h`; to change what I do, `/calstatus settings`."
  )
  t.match(enteredMessage('busy', 'dnd', T('15:30'), T('10:00'), reader('Asia/Tokyo'), false), /until Tue 17 Mar, 00:30,/, 'past local midnight: the date too')
  t.match(enteredMessage('oof', 'dnd', T('+3 00:00'), T('10:00'), reader('UTC'), true), /out of office until the end of Wed 18 Mar.*back to online/)
  t.match(enteredMessage('tentative', 'away', T('11:00'), T('10:00'), reader('UTC'), false), /tentative meeting until 11:00, so I set your status to Away/)
})

t.test('localDay agrees with luxon in every zone, across DST changes', async (t) => {
  const zones = [
    'UTC',
    'Europe/Paris',
    'America/New_York',
    'America/St_Johns',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Auckland',
    'America/Sao_Paulo'
  ]
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.constantFrom(...zones), (ms, zone) => {
      const dt = DateTime.fromMillis(ms, { zone })
      return localDay(ms, zone) === Math.floor(Date.UTC(dt.year, dt.month - 1, dt.day) / 86_400_000)
    }),
    { numRuns: 3000 }
  )
  t.pass()
})
