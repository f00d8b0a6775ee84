// The demo's people and calendars, built relative to `now` so that something changes every
// minute or two from the moment the demo starts. Pure data: demo/main.ts seeds it into the
// Graph and Mattermost simulators.

export type DemoShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere'

export interface DemoEvent {
  start: number
  end: number
  showAs: DemoShowAs
  subject: string
  isPrivate?: boolean
  isAllDay?: boolean
}

export interface DemoPerson {
  username: string
  displayName: string
  email: string
  timeZone: string
  /** Why this person is in the demo (shown in the live view's legend). */
  role: string
  events: DemoEvent[]
  /** What the person did in Mattermost by hand before the demo started. */
  mattermost?: { status?: 'online' | 'away' | 'dnd' | 'offline'; dndMinutes?: number; customStatus?: { emoji: string; text: string } }
}

const MINUTE = 60_000
const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kira',
  'Leo',
  'Maya',
  'Nils',
  'Olga',
  'Pablo',
  'Quinn',
  'Rosa',
  'Sami',
  'Tess',
  'Umar',
  'Vera',
  'Wim',
  'Xia',
  'Yusuf',
  'Zoe',
  'Aron',
  'Bea',
  'Cyril',
  'Dana',
  'Emil',
  'Fay',
  'Gil',
  'Hana',
  'Ivo',
  'Jade',
  'Kai',
  'Lena',
  'Milo',
  'Nora',
  'Omar'
]
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Europe/London', 'Australia/Sydney']
const TOPICS = ['Stand-up', 'Design review', 'Planning', '1:1', 'Customer call', 'Retro', 'Hiring panel', 'Budget sync']

function person(
  username: string,
  displayName: string,
  role: string,
  zoneIndex: number,
  events: DemoEvent[],
  mattermost?: DemoPerson['mattermost']
): DemoPerson {
  return {
    username,
    displayName,
    email: `${username}@demo.calstatus.example`,
    timeZone: ZONES[zoneIndex % ZONES.length] as string,
    role,
    events,
    ...(mattermost ? { mattermost } : {})
  }
}

/**
 * About 50 people: 41 with a meeting rhythm staggered by a minute each (so statuses change every
 * minute), and the named cases the demo exists to show.
 */
export function buildDemoTenant(now: number): DemoPerson[] {
  const m0 = Math.ceil(now / MINUTE) * MINUTE // the next whole minute
  const at = (minutes: number): number => m0 + minutes * MINUTE
  const dayStart = new Date(now)
  dayStart.setUTCHours(0, 0, 0, 0)
  const people: DemoPerson[] = []

  // The rhythm: a 3-minute meeting every 12 minutes, each person one minute after the last.
  FIRST.forEach((name, i) => {
    const events: DemoEvent[] = []
    for (let k = 0; k < 40; k++) {
      const start = at(1 + (i % 12) + k * 12)
      events.push({ start, end: start + 3 * MINUTE, showAs: 'busy', subject: TOPICS[(i + k) % TOPICS.length] as string })
    }
    people.push(person(name.toLowerCase(), `${name} Example`, 'a 3-minute meeting every 12 minutes', i, events))
  })

  people.push(
    person('bob.backtoback', 'Bob Back-to-back', 'three meetings back to back: DND once, no flicker', 0, [
      { start: at(1), end: at(3), showAs: 'busy', subject: 'Kick-off' },
      { start: at(3), end: at(5), showAs: 'busy', subject: 'Deep dive' },
      { start: at(5), end: at(7), showAs: 'busy', subject: 'Wrap-up' }
    ]),
    person('tara.tentative', 'Tara Tentative', 'a tentative meeting (not DND by default)', 1, [
      { start: at(1), end: at(4), showAs: 'tentative', subject: 'Maybe: vendor demo' },
      { start: at(5), end: at(8), showAs: 'busy', subject: 'Confirmed: roadmap' }
    ]),
    person('priya.private', 'Priya Private', 'a private meeting: the subject is never shown', 2, [
      { start: at(2), end: at(5), showAs: 'busy', subject: 'Doctor appointment', isPrivate: true }
    ]),
    person('oscar.ooo', 'Oscar Out-of-office', 'out of office for the week', 3, [
      { start: dayStart.getTime(), end: dayStart.getTime() + 7 * 24 * 60 * MINUTE, showAs: 'oof', subject: 'Holiday', isAllDay: true }
    ]),
    person('wendy.elsewhere', 'Wendy Elsewhere', 'working elsewhere today', 4, [
      { start: dayStart.getTime(), end: dayStart.getTime() + 24 * 60 * MINUTE, showAs: 'workingElsewhere', subject: 'Client site', isAllDay: true },
      { start: at(2), end: at(4), showAs: 'busy', subject: 'On-site workshop' }
    ]),
    person(
      'carol.custom',
      'Carol Custom',
      'has her own custom status: it comes back after the meeting',
      0,
      [{ start: at(2), end: at(5), showAs: 'busy', subject: 'Team lunch planning' }],
      { customStatus: { emoji: 'palm_tree', text: 'Back from holiday, catching up' } }
    ),
    person(
      'dave.dnd',
      'Dave DND',
      'set DND by hand: the service never fights it',
      1,
      [{ start: at(1), end: at(4), showAs: 'busy', subject: 'Architecture review' }],
      { status: 'dnd', dndMinutes: 90 }
    ),
    person('ian.inprogress', 'Ian In-progress', 'in a meeting that started before the demo', 2, [
      { start: m0 - 20 * MINUTE, end: at(3), showAs: 'busy', subject: 'Quarterly planning' }
    ]),
    person(
      'amy.away',
      'Amy Away',
      'set Away by hand, then a meeting: Away comes back after',
      3,
      [{ start: at(2), end: at(4), showAs: 'busy', subject: 'Sync' }],
      { status: 'away' }
    )
  )
  return people
}
