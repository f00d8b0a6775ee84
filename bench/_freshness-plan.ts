// Helper of bench/freshness.ts (the leading "_" keeps the bench runner from running it as a
// benchmark): the compressed hour's calendars, the status change each meeting boundary should
// cause, and the analysis of the Mattermost simulator's history against them. Pure: no I/O.

export const MINUTE = 60_000
/** A change not made within this long after its boundary is a miss (and counts as more than this). */
export const MISS_AFTER_MS = 60_000
/** Ends (and the seams' look-back) open this long before the boundary: clocks and rounding. */
export const EARLY_SLACK_MS = 1000
/** How far before a start a DND write is still taken as that start's (an early write). */
export const EARLY_LOOKBACK_MS = 10 * MINUTE
/** Nobody's DND may be written more than this before the start (issue 18's target). */
export const MAX_EARLY_MS = 60_000

/** What the default mapping (src/domain/settings.ts DEFAULT_MAPPING) does with each kind. */
export type ShowAs = 'busy' | 'tentative' | 'oof' | 'free' | 'workingElsewhere'
const PUTS_DND: ReadonlySet<ShowAs> = new Set<ShowAs>(['busy', 'tentative', 'oof'])

export interface PlannedEvent {
  start: number
  end: number
  showAs: ShowAs
  subject: string
  /** set once the event exists in the Graph simulator */
  id?: string
}

export type Group = 'b1' | 'b2' | 'b3' | 'pre-end' | 'pre-shorten' | 'neutral' | 'free'

export interface PlanPerson {
  index: number
  group: Group
  events: PlannedEvent[]
  /** pre-shorten: the end the (long) meeting is cut to once enrolment has settled */
  shortenTo?: number
}

/** Deterministic PRNG (mulberry32), so every run gets the same calendar shape. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Group shares of the population (the rest is free all window: the pool for ad-hoc meetings). */
export const GROUP_SHARES: ReadonlyArray<[Group, number]> = [
  ['b1', 0.35],
  ['pre-end', 0.03],
  ['pre-shorten', 0.03],
  ['b2', 0.15],
  ['b3', 0.08],
  ['neutral', 0.03]
]

/**
 * Calendars for `n` people. Boundary i (0-based) is `b1 + i` minutes; meetings start and end
 * on those whole minutes. Boundaries past the measured ones still exist in the calendars (a
 * short run simply stops watching). `setupAt`: when the people are seeded (pre-window meetings
 * started 10 minutes before).
 */
export function planCalendars(n: number, b1: number, setupAt: number, random: () => number): PlanPerson[] {
  const B = (i: number): number => b1 + i * MINUTE
  const kind = (): ShowAs => (random() < 0.1 ? 'tentative' : 'busy')
  const ev = (s: number, e: number, subject: string, showAs: ShowAs = kind()): PlannedEvent => ({ start: B(s), end: B(e), showAs, subject })
  const people: PlanPerson[] = []
  for (let index = 0; index < n; index++) {
    let r = random()
    let group: Group = 'free'
    for (const [g, share] of GROUP_SHARES) {
      if (r < share) {
        group = g
        break
      }
      r -= share
    }
    const sub = random()
    const events: PlannedEvent[] = []
    let shortenTo: number | undefined
    switch (group) {
      case 'b1':
        if (sub < 0.45) events.push(ev(0, 1, 'Top-of-the-hour sync'))
        else if (sub < 0.7) events.push(ev(0, 2, 'Team meeting'))
        else if (sub < 0.85) events.push(ev(0, 1, 'Back-to-back, part 1'), ev(1, 2, 'Back-to-back, part 2'))
        else events.push(ev(0, 1, 'Standup'), ev(2, 3, 'Review'))
        break
      case 'b2':
        if (sub < 0.6) events.push(ev(1, 2, '1:1'))
        else if (sub < 0.85) events.push(ev(1, 3, 'Planning'))
        else events.push(ev(1, 2, 'Back-to-back, part 1'), ev(2, 3, 'Back-to-back, part 2'))
        break
      case 'b3':
        events.push(ev(2, 3, 'Interview'))
        break
      case 'pre-end':
        // Going on since before enrolment; its end (and so the DND end time) is a boundary.
        events.push({ start: setupAt - 10 * MINUTE, end: B(sub < 0.5 ? 0 : 1), showAs: 'busy', subject: 'Morning workshop' })
        break
      case 'pre-shorten':
        // Long when enrolled (the DND ends in 2 h), cut short before the window: the service
        // itself must restore at the new end, Mattermost's DND timer would be 2 h late.
        events.push({ start: setupAt - 10 * MINUTE, end: setupAt + 120 * MINUTE, showAs: 'busy', subject: 'Offsite (ends early)' })
        shortenTo = B(sub < 0.5 ? 0 : 1)
        break
      case 'neutral':
        // Free time and working elsewhere change no status (a custom status at most).
        events.push(ev(0, 2, sub < 0.5 ? 'Focus time' : 'At the customer', sub < 0.5 ? 'free' : 'workingElsewhere'))
        break
      case 'free':
        break
    }
    people.push({ index, group, events, ...(shortenTo !== undefined ? { shortenTo } : {}) })
  }
  return people
}

/** The calendar as it is once the pre-shorten meetings were cut. */
export function finalEvents(p: PlanPerson): PlannedEvent[] {
  if (p.shortenTo === undefined) return p.events
  return p.events.map((e, i) => (i === 0 ? { ...e, end: p.shortenTo as number } : e))
}

function dndAt(events: readonly PlannedEvent[], t: number): boolean {
  return events.some((e) => PUTS_DND.has(e.showAs) && e.start <= t && t < e.end)
}

export interface Expectation {
  person: number
  boundaryIndex: number
  at: number
  kind: 'start' | 'end'
  to: 'dnd' | 'online'
  /**
   * The earliest write that still counts for this change. Ends: 1 s before the end (an end is never
   * written early). Starts: EARLY_LOOKBACK_MS before the start, or the end of the person's previous
   * DND block if later (a write before that belongs to the previous meeting), so a DND written early
   * is measured as negative lateness instead of vanishing as a miss.
   */
  opensAt: number
}

export interface Seam {
  person: number
  boundaryIndex: number
  at: number
}

/** Per person and measured boundary: the status change the calendar calls for, and the seams. */
export function expectations(people: readonly PlanPerson[], b1: number, boundaries: number): { expected: Expectation[]; seams: Seam[] } {
  const expected: Expectation[] = []
  const seams: Seam[] = []
  for (const p of people) {
    const evs = finalEvents(p)
    for (let i = 0; i < boundaries; i++) {
      const at = b1 + i * MINUTE
      const before = dndAt(evs, at - 1)
      const after = dndAt(evs, at)
      if (before !== after) {
        const previousEnd = Math.max(-Infinity, ...evs.filter((e) => PUTS_DND.has(e.showAs) && e.end < at).map((e) => e.end))
        const opensAt = after ? Math.max(at - EARLY_LOOKBACK_MS, previousEnd) : at - EARLY_SLACK_MS
        expected.push({ person: p.index, boundaryIndex: i, at, kind: after ? 'start' : 'end', to: after ? 'dnd' : 'online', opensAt })
      } else if (before && evs.some((e) => e.end === at && PUTS_DND.has(e.showAs)) && evs.some((e) => e.start === at && PUTS_DND.has(e.showAs))) {
        seams.push({ person: p.index, boundaryIndex: i, at })
      }
    }
  }
  return { expected, seams }
}

/** The one busy meeting going on at `t` that stands alone (no other DND entry touches it). */
export function loneMeetingAt(p: PlanPerson, t: number): PlannedEvent | undefined {
  const evs = finalEvents(p)
  const on = evs.filter((e) => PUTS_DND.has(e.showAs) && e.start <= t && t < e.end)
  if (on.length !== 1) return undefined
  const e = on[0] as PlannedEvent
  const touching = evs.some((o) => o !== e && PUTS_DND.has(o.showAs) && o.start <= e.end && o.end >= e.start)
  return touching ? undefined : e
}

// ---------------------------------------------------------------------------------------------
// Analysis.

export interface StatusChangeLike {
  time: number
  userId: string
  from: string
  to: string
  who: string
}

export interface BoundaryResult extends Expectation {
  /** ms after the boundary; null = missed */
  delayMs: number | null
  /** a missed one that landed later in the run: ms after the boundary */
  lateMs: number | null
  who: string | null
  /** an end whose start never happened (the user was not in DND 1 s before it): not counted */
  notApplicable: boolean
}

export function byUser(changes: readonly StatusChangeLike[]): Map<string, StatusChangeLike[]> {
  const m = new Map<string, StatusChangeLike[]>()
  for (const c of changes) {
    let list = m.get(c.userId)
    if (!list) m.set(c.userId, (list = []))
    list.push(c)
  }
  return m
}

/** The status at `t` from the history (the first change after `t` says what it was before). */
export function statusAt(changes: readonly StatusChangeLike[], t: number, current: string): string {
  let last: StatusChangeLike | undefined
  for (const c of changes) {
    if (c.time <= t) last = c
    else return last ? last.to : c.from
  }
  return last ? last.to : current
}

/**
 * delay = first change to the expected status at or after the expectation's `opensAt`, minus the
 * boundary (negative: written early); starts count only the service's writes; ends also count
 * Mattermost's own DND expiry (the DND end time the service set when it entered the meeting).
 * Nothing within 60 s after the boundary: missed.
 */
export function measureBoundaries(opts: {
  expected: readonly Expectation[]
  userIdOf: (person: number) => string
  changes: Map<string, StatusChangeLike[]>
  current: (userId: string) => string
  service: string
  /** people the notification path touched, and from when: their later boundaries are not counted */
  touchedAt: Map<number, number>
}): BoundaryResult[] {
  const out: BoundaryResult[] = []
  for (const x of opts.expected) {
    const touched = opts.touchedAt.get(x.person)
    if (touched !== undefined && x.at >= touched - EARLY_SLACK_MS) continue
    const uid = opts.userIdOf(x.person)
    const list = opts.changes.get(uid) ?? []
    const from = x.opensAt
    if (x.kind === 'end' && statusAt(list, from, opts.current(uid)) !== 'dnd') {
      out.push({ ...x, delayMs: null, lateMs: null, who: null, notApplicable: true })
      continue
    }
    const ok = (who: string): boolean => who === opts.service || (x.kind === 'end' && who === 'expiry')
    const first = list.find((c) => c.time >= from && c.to === x.to && ok(c.who))
    const hit = first && first.time <= x.at + MISS_AFTER_MS ? first : undefined
    out.push({
      ...x,
      delayMs: hit ? hit.time - x.at : null,
      lateMs: first && !hit ? first.time - x.at : null,
      who: first ? first.who : null,
      notApplicable: false
    })
  }
  return out
}

/** A percentile that may fall on a miss: then only "more than the time watched" is known. */
export interface Quantile {
  ms: number
  over: boolean
}

export interface Lateness {
  /** every change counted, missed ones included */
  n: number
  missed: number
  p50: Quantile
  p99: Quantile
  max: Quantile
  /** the earliest write (negative: before the boundary); NaN when nothing landed */
  earliest: number
  /** writes made more than MAX_EARLY_MS before the boundary */
  tooEarly: number
}

/**
 * Percentiles over every change, the missed ones counted as later than any that landed: a p50
 * that falls on a miss is "> 60 s" (`watchedMs`: how long after the boundary a change still
 * counted), never a figure over the fast ones only.
 */
export function lateness(landedMs: readonly number[], missed: number, watchedMs = MISS_AFTER_MS, maxEarlyMs = MAX_EARLY_MS): Lateness {
  const s = [...landedMs].sort((a, b) => a - b)
  const n = s.length + missed
  const at = (q: number): Quantile => {
    if (n === 0) return { ms: NaN, over: false }
    const i = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))
    return i < s.length ? { ms: s[i] as number, over: false } : { ms: watchedMs, over: true }
  }
  return {
    n,
    missed,
    p50: at(0.5),
    p99: at(0.99),
    max: at(1),
    earliest: s.length ? (s[0] as number) : NaN,
    tooEarly: s.filter((d) => d < -maxEarlyMs).length
  }
}

export function fmtQuantile(q: Quantile): string {
  if (Number.isNaN(q.ms)) return 'none'
  return q.over ? `> ${q.ms / 1000} s` : `${q.ms} ms`
}

/** "p50 1200 ms, p99 > 60 s, max > 60 s; 12 of 380 missed (3%); earliest -4 ms" */
export function fmtLateness(l: Lateness): string {
  if (l.n === 0) return 'none'
  const share = `${l.missed} of ${l.n} missed (${((100 * l.missed) / l.n).toFixed(0)}%)`
  const early = Number.isNaN(l.earliest) ? '' : `; earliest ${l.earliest} ms${l.tooEarly ? `, ${l.tooEarly} more than ${MAX_EARLY_MS / 1000} s early` : ''}`
  return `p50 ${fmtQuantile(l.p50)}, p99 ${fmtQuantile(l.p99)}, max ${fmtQuantile(l.max)}; ${share}${early}`
}
