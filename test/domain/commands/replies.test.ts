import t from 'tap'
import { DateTime } from 'luxon'
import {
  autopilotOffText,
  autopilotOnText,
  notEnrolledText,
  optInNeededText,
  pausedText,
  resumedText,
  turnedOffText,
  turnedOnText
} from '../../../src/domain/commands'
import type { ReplyContext } from '../../../src/domain/commands'
import { checkTone } from './text-checks'

// Thursday 3 December 2026, 14:00 in Berlin.
const zone = 'Europe/Berlin'
const at = (iso: string): number => DateTime.fromISO(iso, { zone }).toMillis()
const ctx: ReplyContext = { now: at('2026-12-03T14:00'), zone, dateLocale: 'en-GB', language: 'en' }

t.test('pause: the end in the person zone, and what happens to a status the service holds', async (t) => {
  const plain = pausedText(ctx, at('2026-12-03T16:00'), null)
  t.equal(plain, "Paused until 16:00 — I won't change your status. `/calstatus resume` to start again.")
  const held = pausedText(ctx, at('2026-12-03T16:00'), { status: 'dnd', until: at('2026-12-03T15:30') })
  t.match(held, /I'm leaving your Do Not Disturb as it is now; it ends by itself at 15:30/)
  t.match(pausedText(ctx, at('2026-12-04T09:00'), null), /^Paused until tomorrow 09:00 —/)
  t.match(pausedText(ctx, at('2026-12-04T00:00'), null), /^Paused until the end of today —/)
  t.match(pausedText(ctx, at('2026-12-10T14:00'), null), /^Paused until Thu 10 Dec, 14:00 —/)
  t.match(pausedText({ ...ctx, zone: 'America/New_York', dateLocale: 'en-US' }, at('2026-12-03T16:00'), null), /^Paused until 10:00 AM —/)
  t.match(pausedText({ ...ctx, zone: 'Not/AZone' }, at('2026-12-03T16:00'), null), /^Paused until 15:00 —/, 'an unknown zone reads as UTC')
  for (const text of [plain, held]) checkTone(t, text, text)
})

t.test('dates in the person locale: German dates from the de locale, words still English', async (t) => {
  const de = { ...ctx, dateLocale: 'de' }
  t.match(pausedText(de, at('2026-12-08T09:00'), null), /^Paused until Di\., 8\. Dez\., 09:00 —/)
  t.match(autopilotOnText(de, at('2026-12-03T17:30')), /^Autopilot is on until 17:30:/)
})

t.test('resume, autopilot, on and off, with their nothing-to-do variants', async (t) => {
  const table: [string, string][] = [
    [resumedText(ctx, true), "I'm back: I'll change your status during meetings again."],
    [resumedText(ctx, false), "You weren't paused, so nothing changed."],
    [
      autopilotOnText(ctx, at('2026-12-04T09:00')),
      "Autopilot is on until tomorrow 09:00: I'll set your status during meetings even when you've set one yourself"
    ],
    [autopilotOffText(ctx, true), "Autopilot is off: when you've set a status yourself, I'll leave it alone again."],
    [autopilotOffText(ctx, false), "Autopilot wasn't on, so nothing changed."],
    [turnedOnText(ctx, { optInSite: true, already: false }), "You're in: I'll put you on Do Not Disturb during meetings"],
    [turnedOnText(ctx, { optInSite: false, already: false }), "You're back in: "],
    [turnedOnText(ctx, { optInSite: true, already: true }), "You're already in."],
    [turnedOffText(ctx, { restored: true, already: false }), "I've stopped changing your status and put back the one you had."],
    [turnedOffText(ctx, { restored: false, already: false }), "I've stopped changing your status. `/calstatus on` to start again."],
    [turnedOffText(ctx, { restored: false, already: true }), "I'm already leaving your status alone."],
    [optInNeededText(ctx), 'Here I only change the status of people who ask me to. Type `/calstatus on` to start.'],
    [notEnrolledText(ctx), "I'm looking up your calendar; this takes a minute."]
  ]
  for (const [text, phrase] of table) {
    t.ok(text.includes(phrase), text)
    checkTone(t, text, phrase)
  }
})
