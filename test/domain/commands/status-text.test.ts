import t from 'tap'
import { DateTime } from 'luxon'
import { statusText } from '../../../src/domain/commands'
import type { Meeting, StatusView } from '../../../src/domain/commands'
import { errorKind } from '../../../src/domain/commands/status-text'
import { checkTone } from './text-checks'

// Thursday 3 December 2026, 14:00 in Berlin.
const zone = 'Europe/Berlin'
const at = (iso: string): number => DateTime.fromISO(iso, { zone }).toMillis()

const review: Meeting = { start: at('2026-12-03T13:30'), end: at('2026-12-03T15:30'), level: 'busy', subject: 'Design review', private: false, action: 'dnd' }
const oneToOne: Meeting = {
  start: at('2026-12-03T16:00'),
  end: at('2026-12-03T16:30'),
  level: 'tentative',
  subject: '1:1 with Ana',
  private: false,
  action: 'dnd'
}

function view(over: Partial<StatusView> = {}): StatusView {
  return {
    now: at('2026-12-03T14:00'),
    zone,
    dateLocale: 'en-GB',
    language: 'en',
    state: 'synced',
    optInSite: false,
    paused: null,
    autopilot: null,
    notify: 'daily',
    confirm: false,
    calendar: { now: review, next: oneToOne, freeUntil: null },
    holding: { status: 'dnd', until: review.end, customStatus: true, restoreTo: 'online' },
    steppedBack: false,
    current: 'dnd',
    lastError: null,
    ...over
  }
}

t.test('in a meeting the service holds: why, until when, and what comes back', async (t) => {
  const text = statusText(view())
  t.equal(
    text,
    [
      "📅 You're in \"Design review\" until 15:30 (busy), so you're on Do Not Disturb. It ends by itself at 15:30 and you'll be back to Online.",
      'Next: 16:00–16:30 "1:1 with Ana" (tentative) → Do Not Disturb.',
      'Messages: once a day · Ask first: off · Autopilot: off · Paused: no',
      '`/calstatus pause 1h` · `/calstatus settings` · `/calstatus help`'
    ].join('\n')
  )
  checkTone(t, text, 'holding')
})

t.test('every situation, by its key phrase', async (t) => {
  const table: [string, Partial<StatusView>, RegExp][] = [
    [
      'free',
      { calendar: { now: null, next: oneToOne, freeUntil: oneToOne.start }, holding: null, current: 'online' },
      /^You're free until 16:00\.\nNext: 16:00–16:30/
    ],
    [
      'free, nothing coming',
      { calendar: { now: null, next: null, freeUntil: null }, holding: null },
      /^You're free: nothing coming up on your calendar\.\nMessages/
    ],
    ['stepped back', { steppedBack: true, holding: null, current: 'online' }, /You changed your status, so I'm leaving it alone until this meeting ends\./],
    ['set by hand', { holding: null, current: 'away' }, /so I've left it as Away\. `\/calstatus autopilot 2h` lets me change it anyway\./],
    ['offline', { holding: null, current: 'offline' }, /You're offline, so I've left your status as it is\./],
    ['ask first', { holding: null, current: 'online', confirm: true }, /I'll ask you before changing your status\.\n[^]*Ask first: on/],
    [
      'paused',
      { paused: at('2026-12-03T16:00'), holding: null, current: 'online' },
      /^Paused until 16:00 — I won't change your status\. `\/calstatus resume` to start again\.\n📅 You're in "Design review" until 15:30 \(busy\)\.\n[^]*Paused: until 16:00\n`\/calstatus resume`/
    ],
    ['a pause that has ended', { paused: at('2026-12-03T13:00') }, /Paused: no\n`\/calstatus pause 1h`/],
    ['autopilot', { autopilot: at('2026-12-04T09:00') }, /Autopilot: until tomorrow 09:00/],
    ['private', { calendar: { now: { ...review, private: true }, next: null, freeUntil: null } }, /^📅 You're in a meeting until 15:30 \(busy\)/],
    [
      'out of office',
      { calendar: { now: { ...review, level: 'oof', end: at('2026-12-05T00:00') }, next: null, freeUntil: null } },
      /^🌴 You're out of office until the end of Fri 4 Dec,/
    ],
    [
      'next on another day, no change for it',
      {
        calendar: {
          now: null,
          next: { ...oneToOne, start: at('2026-12-07T09:00'), end: at('2026-12-07T10:00'), action: 'none', level: 'workingElsewhere' },
          freeUntil: null
        },
        holding: null
      },
      /Next: Mon 7 Dec, 09:00–10:00 "1:1 with Ana" \(working elsewhere\)\.\n/
    ],
    [
      'calendar unreadable',
      { calendar: null },
      /^I can't read your calendar just now; I'll try again shortly\.\nYou're on Do Not Disturb, which I set; it ends by itself at 15:30\.\n/
    ],
    [
      'an error',
      { lastError: 'calendar: 503 Service Unavailable at Graph.get (/app/x.js:1:2)' },
      /I can't read your calendar right now\. Your admins have been told, and I'll keep trying\./
    ],
    ['opted out', { state: 'opted-out' }, /^I'm not changing your status: you turned me off\. `\/calstatus on` to start again\.$/],
    ['not opted in', { state: 'opted-out', optInSite: true }, /here I only do that for people who ask\. `\/calstatus on` to start\.$/],
    ['not enrolled', { state: 'not-enrolled' }, /^I'm looking up your calendar; this takes a minute\./],
    ['no mailbox', { state: 'no-mailbox' }, /can't find a Microsoft 365 calendar/],
    ['disabled', { state: 'disabled' }, /Your admins have turned off/]
  ]
  for (const [what, over, phrase] of table) {
    const text = statusText(view(over))
    t.match(text, phrase, what)
    checkTone(t, text, what)
  }
})

t.test('never a raw error, never a subject that breaks the text', async (t) => {
  const text = statusText(view({ lastError: 'mattermost: Error: ECONNREFUSED 127.0.0.1:8065\n    at TCPConnectWrap' }))
  t.notMatch(text, /ECONNREFUSED|TCPConnectWrap|127\.0\.0\.1/)
  t.match(text, /I couldn't change your status last time I tried\./)
  const odd = statusText(view({ calendar: { now: { ...review, subject: 'Plan `x`\n\u202e"Q4"' }, next: null, freeUntil: null } }))
  t.match(odd, /^📅 You're in "Plan 'x' 'Q4'" until 15:30/)
  t.same(['calendar: 503', 'custom status: 400', 'mattermost: 500', 'rules: bug', 'skipped: x', ''].map(errorKind), [
    'calendar',
    'custom-status',
    'status',
    'other',
    'other',
    'other'
  ])
})

t.test('times in the person zone and locale', async (t) => {
  const ny = statusText(view({ zone: 'America/New_York', dateLocale: 'en-US' }))
  t.match(ny, /until 09:30 AM \(busy\)/)
  const de = statusText(
    view({ dateLocale: 'de', calendar: { now: null, next: { ...oneToOne, start: at('2026-12-07T09:00'), end: at('2026-12-07T10:00') }, freeUntil: null } })
  )
  t.match(de, /Next: Mo\., 7\. Dez\., 09:00–10:00/)
})
