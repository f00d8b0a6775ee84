import t from 'tap'
import fc from 'fast-check'
import { DateTime, IANAZone } from 'luxon'
import { parseScheduleItems, parseGraphDateTime, resolveTimeZone, ScheduleParseError, WINDOWS_ZONES } from '../../src/domain'
import type { GraphScheduleItem } from '../../src/domain'

const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone })

t.test('UTC times without offset become epoch ms; status any casing; unknown counts as free', async (t) => {
  const raw: GraphScheduleItem[] = [
    { start: at('2026-03-15T12:00:00.0000000'), end: at('2026-03-15T13:30:00.0000000'), status: 'Busy', subject: '  Weekly   sync ', location: 'Room 1' },
    { start: at('2026-03-15T14:00:00'), end: at('2026-03-15T15:00:00'), status: 'TENTATIVE', isPrivate: true },
    { start: at('2026-03-15T00:00:00'), end: at('2026-03-17T00:00:00'), status: 'oof' },
    { start: at('2026-03-15T09:00:00'), end: at('2026-03-15T17:00:00'), status: 'workingelsewhere' },
    { start: at('2026-03-15T09:00:00'), end: at('2026-03-15T10:00:00'), status: 'Unknown' },
    { start: at('2026-03-15T09:00:00'), end: at('2026-03-15T10:00:00'), status: 'Free' },
    { start: at('2026-03-15T09:00:00'), end: at('2026-03-15T10:00:00'), status: 'somethingNew' },
    { start: at('2026-03-15T09:00:00'), end: at('2026-03-15T10:00:00') }
  ]
  const items = parseScheduleItems(raw)
  t.same(items[0], { startMs: Date.UTC(2026, 2, 15, 12), endMs: Date.UTC(2026, 2, 15, 13, 30), availability: 'busy', isPrivate: false, subject: 'Weekly sync' })
  t.same(items[1], { startMs: Date.UTC(2026, 2, 15, 14), endMs: Date.UTC(2026, 2, 15, 15), availability: 'tentative', isPrivate: true })
  t.equal(items[2]?.availability, 'oof')
  t.equal(items[3]?.availability, 'workingElsewhere')
  t.same(
    items.slice(4).map((i) => i.availability),
    ['free', 'free', 'free', 'free'],
    'unknown, free, unrecognised and missing statuses count as free'
  )
  t.notOk('location' in (items[0] as object), 'location is not carried')
})

t.test('Windows and IANA zone names, DST on both sides of the Atlantic', async (t) => {
  // Paris is UTC+1 in winter, UTC+2 from 29 March 2026.
  t.equal(parseGraphDateTime(at('2026-03-15T12:00:00.0000000', 'Romance Standard Time')), Date.UTC(2026, 2, 15, 11))
  t.equal(parseGraphDateTime(at('2026-04-15T12:00:00.0000000', 'Romance Standard Time')), Date.UTC(2026, 3, 15, 10))
  t.equal(parseGraphDateTime(at('2026-04-15T12:00:00', 'Europe/Paris')), Date.UTC(2026, 3, 15, 10))
  // Los Angeles: PDT (UTC-7) from 8 March 2026.
  t.equal(parseGraphDateTime(at('2026-03-15T09:00:00.0000000', 'Pacific Standard Time')), Date.UTC(2026, 2, 15, 16))
  t.equal(parseGraphDateTime(at('2026-03-01T09:00:00.0000000', 'Pacific Standard Time')), Date.UTC(2026, 2, 1, 17))
  t.equal(parseGraphDateTime(at('2026-03-15T09:00:00', 'India Standard Time')), Date.UTC(2026, 2, 15, 3, 30))
  t.equal(parseGraphDateTime(at('2026-03-15T09:00:00', 'pacific standard time')), Date.UTC(2026, 2, 15, 16), 'Windows names in any casing')
  t.equal(parseGraphDateTime(at('2026-03-15T12:00:00.5000000')), Date.UTC(2026, 2, 15, 12, 0, 0, 500), 'fractions of a second')
  t.equal(parseGraphDateTime({ dateTime: '2026-03-15T12:00:00' }), Date.UTC(2026, 2, 15, 12), 'no zone: Graph default, UTC')
  t.equal(parseGraphDateTime(at('2026-03-15T12:00:00+01:00', 'Pacific Standard Time')), Date.UTC(2026, 2, 15, 11), 'an explicit offset wins')
  t.equal(parseGraphDateTime(at('2026-03-15T12:00:00Z', 'Tokyo Standard Time')), Date.UTC(2026, 2, 15, 12))
  // A wall time inside the spring-forward gap moves forward, like Outlook.
  t.equal(parseGraphDateTime(at('2026-03-29T02:30:00', 'Romance Standard Time')), Date.UTC(2026, 2, 29, 1, 30))
})

t.test('the 30 most common Windows zones map to zones this runtime knows', async (t) => {
  const common: Record<string, string> = {
    UTC: 'UTC',
    'GMT Standard Time': 'Europe/London',
    'W. Europe Standard Time': 'Europe/Berlin',
    'Central Europe Standard Time': 'Europe/Budapest',
    'Central European Standard Time': 'Europe/Warsaw',
    'Romance Standard Time': 'Europe/Paris',
    'E. Europe Standard Time': 'Europe/Chisinau',
    'FLE Standard Time': 'Europe/Kyiv',
    'GTB Standard Time': 'Europe/Bucharest',
    'Russian Standard Time': 'Europe/Moscow',
    'Eastern Standard Time': 'America/New_York',
    'Central Standard Time': 'America/Chicago',
    'Mountain Standard Time': 'America/Denver',
    'Pacific Standard Time': 'America/Los_Angeles',
    'US Mountain Standard Time': 'America/Phoenix',
    'Alaskan Standard Time': 'America/Anchorage',
    'Hawaiian Standard Time': 'Pacific/Honolulu',
    'Atlantic Standard Time': 'America/Halifax',
    'SA Pacific Standard Time': 'America/Bogota',
    'E. South America Standard Time': 'America/Sao_Paulo',
    'Argentina Standard Time': 'America/Argentina/Buenos_Aires',
    'India Standard Time': 'Asia/Kolkata',
    'China Standard Time': 'Asia/Shanghai',
    'Tokyo Standard Time': 'Asia/Tokyo',
    'Korea Standard Time': 'Asia/Seoul',
    'AUS Eastern Standard Time': 'Australia/Sydney',
    'New Zealand Standard Time': 'Pacific/Auckland',
    'Singapore Standard Time': 'Asia/Singapore',
    'Arabian Standard Time': 'Asia/Dubai',
    'South Africa Standard Time': 'Africa/Johannesburg',
    'Israel Standard Time': 'Asia/Jerusalem',
    'Turkey Standard Time': 'Europe/Istanbul',
    'Central Standard Time (Mexico)': 'America/Mexico_City',
    'Canada Central Standard Time': 'America/Regina'
  }
  for (const [win, iana] of Object.entries(common)) t.equal(resolveTimeZone(win), iana, win)
  const bad = Object.entries(WINDOWS_ZONES).filter(([, iana]) => !IANAZone.isValidZone(iana))
  t.same(bad, [], 'every mapped IANA zone is valid here')
  t.ok(Object.keys(WINDOWS_ZONES).length >= 130, 'the whole CLDR table, not only the common zones')
})

t.test('an unknown zone or an unreadable time is an error the caller sees, never a guess', async (t) => {
  const unknown = () =>
    parseScheduleItems([{ start: at('2026-03-15T12:00:00', 'Mars Standard Time'), end: at('2026-03-15T13:00:00', 'Mars Standard Time'), status: 'busy' }])
  t.throws(unknown, ScheduleParseError)
  try {
    unknown()
  } catch (err) {
    t.match(err, { name: 'ScheduleParseError', code: 'unknown-time-zone', value: 'Mars Standard Time' })
    t.ok(err instanceof Error)
  }
  for (const dateTime of ['2026-02-30T10:00:00', '2026-13-01T10:00:00', '2026-03-15 10:00', 'tomorrow', '', '2026-03-15T24:00:00']) {
    t.throws(() => parseGraphDateTime(at(dateTime)), { code: 'invalid-date-time' }, JSON.stringify(dateTime))
  }
  t.equal(parseGraphDateTime(at('2028-02-29T10:00:00')), Date.UTC(2028, 1, 29, 10), 'leap day')
})

t.test('round trip: any instant written as Graph writes it, in UTC or a Windows zone, reads back', async (t) => {
  const zones = Object.keys(WINDOWS_ZONES)
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }), fc.constantFrom(...zones), fc.boolean(), (ms, win, fraction) => {
      const utc = DateTime.fromMillis(ms, { zone: 'UTC' })
      const text = utc.toFormat("yyyy-LL-dd'T'HH:mm:ss") + (fraction ? `.${String(utc.millisecond).padStart(3, '0')}0000` : '')
      const expectUtc = fraction ? ms : ms - utc.millisecond
      if (parseGraphDateTime({ dateTime: text, timeZone: 'UTC' }) !== expectUtc) return false
      // In a zone: the parsed instant shows the same wall time there (a DST fold has two).
      const iana = resolveTimeZone(win)
      const wall = DateTime.fromMillis(ms, { zone: iana }).toFormat("yyyy-LL-dd'T'HH:mm:ss")
      const back = parseGraphDateTime({ dateTime: `${wall}.0000000`, timeZone: win })
      return DateTime.fromMillis(back, { zone: iana }).toFormat("yyyy-LL-dd'T'HH:mm:ss") === wall
    }),
    { numRuns: 3000 }
  )
  t.pass()
})
