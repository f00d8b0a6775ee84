import t from 'tap'
import fc from 'fast-check'
import { DateTime } from 'luxon'
import { parseCommand } from '../../../src/domain/commands'
import type { Command } from '../../../src/domain/commands'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

/** An instant from a local ISO time in a zone. */
const at = (iso: string, zone: string): number => DateTime.fromISO(iso, { zone }).toMillis()

t.test('sub-commands without arguments, any case and spacing', async (t) => {
  const ctx = { now: at('2026-03-16T10:00', 'UTC'), zone: 'UTC' }
  const table: [string, Command][] = [
    ['', { kind: 'status' }],
    ['status', { kind: 'status' }],
    ['  STATUS ', { kind: 'status' }],
    ['help', { kind: 'help' }],
    ['resume', { kind: 'resume' }],
    ['on', { kind: 'on' }],
    ['Off', { kind: 'off' }],
    ['settings', { kind: 'settings' }],
    ['autopilot off', { kind: 'autopilot-off' }],
    ['autopilot\u00a0\u00a0OFF', { kind: 'autopilot-off' }],
    ['ｓｔａｔｕｓ', { kind: 'status' }]
  ]
  for (const [text, expected] of table) t.same(parseCommand(text, ctx), expected, JSON.stringify(text))
})

t.test('lengths are absolute time from now', async (t) => {
  const now = at('2026-03-16T10:00', 'Europe/Berlin')
  const table: [string, number][] = [
    ['30m', 30 * MIN],
    ['90 min', 90 * MIN],
    ['2h', 2 * HOUR],
    ['1h30m', 90 * MIN],
    ['1h 30m', 90 * MIN],
    ['1 hour and 30 minutes', 90 * MIN],
    ['for 2 hours', 2 * HOUR],
    ['1.5h', 90 * MIN],
    ['1d', DAY],
    ['1 day', DAY],
    ['2 weeks', 14 * DAY],
    ['30d', 30 * DAY],
    ['1m', MIN]
  ]
  for (const [text, length] of table) {
    t.same(parseCommand(`pause ${text}`, { now, zone: 'Europe/Berlin' }), { kind: 'pause', untilMs: now + length }, `pause ${text}`)
    t.same(parseCommand(`autopilot ${text}`, { now, zone: 'Europe/Berlin' }), { kind: 'autopilot', untilMs: now + length }, `autopilot ${text}`)
  }
})

t.test('until: wall-clock times in the person zone', async (t) => {
  // Monday 16 March 2026, 10:00 in Berlin.
  const zone = 'Europe/Berlin'
  const now = at('2026-03-16T10:00', zone)
  const table: [string, string][] = [
    ['until 17:00', '2026-03-16T17:00'],
    ['until 17.00', '2026-03-16T17:00'],
    ['until 17', '2026-03-16T17:00'],
    ['until 17h30', '2026-03-16T17:30'],
    ['until 5pm', '2026-03-16T17:00'],
    ['until 5:30 pm', '2026-03-16T17:30'],
    ['until 12am', '2026-03-17T00:00'],
    ['until noon', '2026-03-16T12:00'],
    ['until midnight', '2026-03-17T00:00'],
    ['until today 17:00', '2026-03-16T17:00'],
    ['until 9:00', '2026-03-17T09:00'],
    ['until tomorrow 9:00', '2026-03-17T09:00'],
    ['until 9:00 tomorrow', '2026-03-17T09:00'],
    ['until tomorrow', '2026-03-17T00:00'],
    ['till thursday 14:00', '2026-03-19T14:00'],
    ['until fri', '2026-03-20T00:00'],
    ['until monday 9:00', '2026-03-23T09:00'],
    ['until monday 11:00', '2026-03-16T11:00'],
    ['until monday', '2026-03-23T00:00']
  ]
  for (const [text, iso] of table) t.same(parseCommand(`pause ${text}`, { now, zone }), { kind: 'pause', untilMs: at(iso, zone) }, text)
})

t.test('until in another zone reads that zone clock', async (t) => {
  const now = Date.UTC(2026, 2, 16, 10, 0)
  const cmd = (zone: string) => parseCommand('pause until 17:00', { now, zone })
  t.same(cmd('UTC'), { kind: 'pause', untilMs: Date.UTC(2026, 2, 16, 17, 0) })
  t.same(cmd('America/New_York'), { kind: 'pause', untilMs: Date.UTC(2026, 2, 16, 21, 0) })
  // 10:00 UTC is 19:00 in Tokyo: 17:00 there has passed, so tomorrow's.
  t.same(cmd('Asia/Tokyo'), { kind: 'pause', untilMs: Date.UTC(2026, 2, 17, 8, 0) })
  t.same(cmd('Not/AZone'), { kind: 'pause', untilMs: Date.UTC(2026, 2, 16, 17, 0) }, 'an unknown zone reads as UTC')
})

t.test('DST change days: until is wall clock, a length is absolute', async (t) => {
  // Berlin springs forward on Sunday 29 March 2026 (02:00 -> 03:00): 20:00 Saturday to 09:00 Sunday is 12 hours.
  const berlin = 'Europe/Berlin'
  const sat = at('2026-03-28T20:00', berlin)
  t.same(parseCommand('pause until tomorrow 9:00', { now: sat, zone: berlin }), { kind: 'pause', untilMs: sat + 12 * HOUR })
  t.same(parseCommand('pause until 9:00', { now: sat, zone: berlin }), { kind: 'pause', untilMs: at('2026-03-29T09:00', berlin) })
  t.same(parseCommand('pause 13h', { now: sat, zone: berlin }), { kind: 'pause', untilMs: at('2026-03-29T10:00', berlin) })
  t.same(parseCommand('pause 1d', { now: sat, zone: berlin }), { kind: 'pause', untilMs: at('2026-03-29T21:00', berlin) }, '1d is 24 hours')
  // ... and falls back on Sunday 25 October 2026: 20:00 Saturday to 09:00 Sunday is 14 hours.
  const oct = at('2026-10-24T20:00', berlin)
  t.same(parseCommand('autopilot until tomorrow 9:00', { now: oct, zone: berlin }), { kind: 'autopilot', untilMs: oct + 14 * HOUR })
  // New York springs forward on Sunday 8 March 2026.
  const ny = 'America/New_York'
  const fri = at('2026-03-06T18:00', ny)
  t.same(parseCommand('pause until monday 9am', { now: fri, zone: ny }), { kind: 'pause', untilMs: fri + 2 * DAY + 14 * HOUR })
  t.same(parseCommand('pause until sunday', { now: fri, zone: ny }), { kind: 'pause', untilMs: at('2026-03-08T00:00', ny) })
  // 02:30 does not exist that night in New York: the time moves forward with the clock, still after now.
  const night = at('2026-03-08T01:00', ny)
  const gap = parseCommand('pause until 2:30', { now: night, zone: ny })
  t.equal(gap.kind, 'pause')
  if (gap.kind === 'pause') t.ok(gap.untilMs > night && gap.untilMs <= night + 2 * HOUR, `${new Date(gap.untilMs).toISOString()}`)
})

t.test('problems, with what to suggest', async (t) => {
  const zone = 'Europe/Berlin'
  const ctx = { now: at('2026-03-16T10:00', zone), zone }
  const table: [string, Command][] = [
    ['pause', { kind: 'invalid', problem: { reason: 'missing-duration', command: 'pause' } }],
    ['autopilot', { kind: 'invalid', problem: { reason: 'missing-duration', command: 'autopilot' } }],
    ['pause banana', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause banana' } }],
    ['pause until 25:99', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause until 25:99' } }],
    ['pause until 13pm', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause until 13pm' } }],
    ['pause until', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause until' } }],
    ['pause until today', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause until today' } }],
    ['pause until monday tuesday', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause until monday tuesday' } }],
    ['pause -1h', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause -1h' } }],
    ['pause 1e9m', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause 1e9m' } }],
    ['pause 2 parsecs', { kind: 'invalid', problem: { reason: 'bad-duration', command: 'pause', input: 'pause 2 parsecs' } }],
    ['pause 30', { kind: 'invalid', problem: { reason: 'no-unit', command: 'pause', input: 'pause 30', amount: '30' } }],
    ['pause 0m', { kind: 'invalid', problem: { reason: 'too-short', command: 'pause', input: 'pause 0m' } }],
    ['pause 0.5m', { kind: 'invalid', problem: { reason: 'too-short', command: 'pause', input: 'pause 0.5m' } }],
    ['pause until today 9:00', { kind: 'invalid', problem: { reason: 'past', command: 'pause', input: 'pause until today 9:00' } }],
    ['pause 31d', { kind: 'invalid', problem: { reason: 'too-long', command: 'pause', input: 'pause 31d', maxDays: 30 } }],
    ['autopilot 99999999999d', { kind: 'invalid', problem: { reason: 'too-long', command: 'autopilot', input: 'autopilot 99999999999d', maxDays: 30 } }],
    ['resume now', { kind: 'invalid', problem: { reason: 'extra-words', command: 'resume', input: 'resume now' } }],
    ['status please', { kind: 'invalid', problem: { reason: 'extra-words', command: 'status', input: 'status please' } }]
  ]
  for (const [text, expected] of table) t.same(parseCommand(text, ctx), expected, text)
  // 16:59:30, `until 17:00` is 30 seconds away: too short, not tomorrow.
  t.same(parseCommand('pause until 17:00', { now: at('2026-03-16T16:59:30', zone), zone }), {
    kind: 'invalid',
    problem: { reason: 'too-short', command: 'pause', input: 'pause until 17:00' }
  })
})

t.test('did you mean: by edit distance or prefix, with the rest of the words', async (t) => {
  const ctx = { now: Date.UTC(2026, 2, 16, 10), zone: 'UTC' }
  const table: [string, string | null][] = [
    ['paus', 'pause'],
    ['paus 1h', 'pause 1h'],
    ['pasue 30m', 'pause 30m'],
    ['settngs', 'settings'],
    ['set', 'settings'],
    ['stauts', 'status'],
    ['hlep', 'help'],
    ['resum', 'resume'],
    ['auto 2h', 'autopilot 2h'],
    ['autopliot off', 'autopilot off'],
    ['of', 'off'],
    ['onn', 'on'],
    ['banana', null],
    ['hi', null],
    ['x', null],
    ['pausepausepausepausepause', null]
  ]
  for (const [text, suggestion] of table) {
    const c = parseCommand(text, ctx)
    t.same(c, { kind: 'invalid', problem: { reason: 'unknown-command', input: text, suggestion } }, text)
  }
})

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Not/AZone']
const NASTY = [
  'pause until 25:99',
  'pause 99999999999d',
  'pause -1h',
  'pause 1e9m',
  'pause NaN',
  'pause Infinityh',
  'pause 0x10h',
  'pause 1h-30m',
  'pause until 24:00',
  'pause until 0pm',
  'pause until tomorrow tomorrow',
  'autopilot until ‮17:00',
  'pause 1'.padEnd(4000, '0') + 'h',
  'pause ' + '1h'.repeat(2000),
  'pause until ' + '9'.repeat(4000),
  '\u0000\u0007\u001b[31m',
  '🙂 pause 1h',
  'توقف مؤقت ساعة',
  'pause\u200b1h',
  'a'.repeat(4000)
]

t.test('fuzz: never throws, always a command, every end within a minute to 30 days ahead', async (t) => {
  const words = fc.constantFrom('pause', 'autopilot', 'until', 'tomorrow', 'monday', 'for', 'off', '1h', '30', 'm', 'pm', '17:00', 'and', ':', '-', '.')
  const text = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')),
    fc.tuple(fc.constantFrom('pause ', 'autopilot ', 'pause until ', 'autopilot until '), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
    fc.tuple(fc.constantFrom('pause ', 'autopilot until '), fc.double(), fc.constantFrom('m', 'h', 'd', ':00', 'pm', '')).map(([a, n, u]) => `${a}${n}${u}`),
    fc
      .tuple(fc.constantFrom('pause', 'autopilot'), fc.integer({ min: 0, max: 50_000 }), fc.constantFrom('m', 'min', 'h', 'd', ' days', 'w'))
      .map(([c, n, u]) => `${c} ${n}${u}`),
    fc
      .tuple(
        fc.constantFrom('pause', 'autopilot'),
        fc.constantFrom('', 'today ', 'tomorrow ', 'mon ', 'sunday '),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom('', 'am', ' pm')
      )
      .map(([c, day, h, m, half]) => `${c} until ${day}${h}:${String(m).padStart(2, '0')}${half}`),
    fc.constantFrom(...NASTY),
    fc.string({ minLength: 3000, maxLength: 4200 })
  )
  const now = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) })
  let timed = 0
  fc.assert(
    fc.property(text, now, fc.constantFrom(...ZONES), (s, n, zone) => {
      const c = parseCommand(s, { now: n, zone })
      if (typeof c.kind !== 'string') return false
      if (c.kind === 'pause' || c.kind === 'autopilot') {
        timed++
        return Number.isFinite(c.untilMs) && c.untilMs >= n + MIN && c.untilMs <= n + 30 * DAY
      }
      return true
    }),
    { numRuns: 10_000 }
  )
  t.ok(timed > 500, `${timed} of the runs were a pause or an autopilot: the check of the end ran`)
  for (const s of NASTY) t.equal(typeof parseCommand(s, { now: Date.UTC(2026, 2, 16), zone: 'UTC' }).kind, 'string', s.slice(0, 40))
})
