// A simulated day for the property tests: a calendar that changes, a user who acts, a
// Mattermost that behaves like the shared model (manual flags, prev_status, DND over DND,
// once-a-minute DND expiry restoring with manual=false, presence never overriding manual),
// and the service evaluating at sweeps, wake-ups and notifications. Every decision is checked
// against the invariants of status-rules.md as it is applied; a broken invariant throws.
import fc from 'fast-check'
import { applyDndExpiry, applyPresence, applySetStatus, initialStatus } from '../../sim/mattermost/status-model'
import type { MmStatusRecord, PresenceEvent } from '../../sim/mattermost/status-model'
import { blockAt, buildBlocks, decide, MAX_CUSTOM_STATUS_LENGTH, resolveSettings } from '../../src/domain'
import { actionStretchAt, segmentIndexAt } from '../../src/domain/build-blocks'
import type {
  Availability,
  CustomStatus,
  Decision,
  DecisionInput,
  MmStatus,
  RememberedState,
  ScheduleItem,
  Settings,
  SettingsOverrides
} from '../../src/domain'

export const MIN = 60_000
export const HOUR = 60 * MIN
export const DAY_MS = 24 * HOUR
/** First day the simulations may fall on; they spread over 2026 so DST changes are crossed. */
const YEAR_START = Date.UTC(2026, 0, 1)

export const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  'Pacific/Auckland'
] as const

interface GenItem {
  startMin: number
  durMin: number
  availability: Availability
  isPrivate: boolean
  subject: string
  /** start at the end of the previous item (back-to-back) */
  chain: boolean
}

type Change =
  | { atMin: number; kind: 'cancel'; idx: number }
  | { atMin: number; kind: 'extend' | 'shorten' | 'move'; idx: number; deltaMin: number }
  | { atMin: number; kind: 'add'; item: GenItem; backToBack: number | null }

type Action =
  | { atSec: number; kind: 'status'; status: MmStatus; dndMin: number | null }
  | { atSec: number; kind: 'presence'; event: PresenceEvent }
  | { atSec: number; kind: 'custom-set'; expiresMin: number | null }
  | { atSec: number; kind: 'custom-clear' }
  | { atSec: number; kind: 'pause' | 'autopilot'; minutes: number }

export interface Scenario {
  dayIndex: number
  zone: string
  otherZone: string
  overrides: SettingsOverrides
  initial: { status: MmStatus; manual: boolean; dndMin: number | null }
  initialCustom: 'none' | 'user' | 'user-expiring'
  items: GenItem[]
  allDay: Availability | null
  multiDayOof: { fromDay: number; toMin: number } | null
  changes: Change[]
  actions: Action[]
  sweepPhaseSec: number
  expiryPhaseSec: number
  wakeDelaySec: number
  /** the pre-roll of a crowded minute: wake-ups also come this early, with earlyEntryMs (0: none) */
  earlySec: number
  notifyDelaySec: number
  downtime: { fromMin: number; durMin: number } | null
}

/** The value one time in `oneIn`, otherwise null (fc.option's freq is the other way round). */
function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb })
}

const availability = fc.constantFrom<Availability>('busy', 'busy', 'busy', 'busy', 'tentative', 'tentative', 'oof', 'workingElsewhere', 'free')

const genItem = fc.record({
  startMin: fc.integer({ min: 6 * 60, max: 20 * 60 }).map((m) => m - (m % 5)),
  durMin: fc.oneof(fc.constantFrom(15, 30, 30, 45, 60, 60, 90, 120), fc.integer({ min: 1, max: 240 })),
  availability,
  isPrivate: fc.boolean(),
  subject: fc.constantFrom('Planning', 'Review', '1:1', 'Doctor', 'Quarterly business review with the regional leadership team and partners'),
  chain: fc.boolean()
})

const mappingOverride: fc.Arbitrary<SettingsOverrides['mapping'] | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  fc.constant({ tentative: { status: 'away' as const } }),
  fc.constant({ busy: { status: 'away' as const } }),
  fc.constant({ oof: { status: 'offline' as const } }),
  fc.constant({ tentative: { status: 'none' as const } }),
  fc.constant({ workingElsewhere: { status: 'dnd' as const } })
)

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  dayIndex: fc.integer({ min: 0, max: 364 }),
  zone: fc.constantFrom(...ZONES),
  otherZone: fc.constantFrom(...ZONES),
  overrides: fc.record({
    notify: fc.constantFrom('every' as const, 'daily' as const, 'off' as const),
    // "Ask first" with nobody answering: never a status of ours (docs/status-rules.md#confirm).
    confirm: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
    offlineUsers: fc.constantFrom('skip' as const, 'apply' as const),
    showSubject: fc.boolean(),
    customStatus: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, fc.constant(false)),
    mergeGapMinutes: fc.constantFrom(0, 0, 0, 5, 10),
    mapping: mappingOverride
  }),
  initial: fc.oneof(
    { weight: 5, arbitrary: fc.constant({ status: 'online', manual: false, dndMin: null }) },
    { weight: 2, arbitrary: fc.constant({ status: 'away', manual: false, dndMin: null }) },
    fc.constant({ status: 'offline', manual: false, dndMin: null }),
    fc.constant({ status: 'away', manual: true, dndMin: null }),
    fc.constant({ status: 'offline', manual: true, dndMin: null }),
    fc.constant({ status: 'dnd', manual: true, dndMin: null }),
    fc.record({ status: fc.constant('dnd'), manual: fc.constant(true), dndMin: fc.integer({ min: 7 * 60, max: 13 * 60 }) })
  ),
  initialCustom: fc.constantFrom('none' as const, 'none' as const, 'user' as const, 'user-expiring' as const),
  items: fc.array(genItem, { minLength: 1, maxLength: 10 }),
  allDay: rarely(fc.constantFrom<Availability>('oof', 'workingElsewhere', 'workingElsewhere', 'tentative', 'busy'), 4),
  multiDayOof: rarely(fc.record({ fromDay: fc.integer({ min: -2, max: 0 }), toMin: fc.integer({ min: 8 * 60, max: 3 * 24 * 60 }) }), 6),
  changes: fc.array(
    fc.oneof(
      fc.record({ atMin: fc.integer({ min: 6 * 60, max: 21 * 60 }), kind: fc.constant('cancel' as const), idx: fc.nat() }),
      fc.record({
        atMin: fc.integer({ min: 6 * 60, max: 21 * 60 }),
        kind: fc.constantFrom('extend' as const, 'shorten' as const, 'move' as const),
        idx: fc.nat(),
        deltaMin: fc.integer({ min: 1, max: 90 })
      }),
      fc.record({
        atMin: fc.integer({ min: 6 * 60, max: 21 * 60 }),
        kind: fc.constant('add' as const),
        item: genItem,
        backToBack: fc.option(fc.nat(), { freq: 2 })
      })
    ),
    { maxLength: 5 }
  ),
  actions: fc.array(
    fc.oneof(
      {
        weight: 2,
        arbitrary: fc.record({
          atSec: fc.integer({ min: 6 * 3600, max: 22 * 3600 }),
          kind: fc.constant('status' as const),
          status: fc.constantFrom<MmStatus>('online', 'online', 'away', 'dnd', 'offline'),
          dndMin: rarely(fc.integer({ min: 10, max: 180 }), 2)
        })
      },
      {
        weight: 5,
        arbitrary: fc.record({
          atSec: fc.integer({ min: 6 * 3600, max: 22 * 3600 }),
          kind: fc.constant('presence' as const),
          event: fc.constantFrom<PresenceEvent>('active', 'active', 'active', 'idle', 'idle', 'disconnect')
        })
      },
      fc.record({
        atSec: fc.integer({ min: 6 * 3600, max: 22 * 3600 }),
        kind: fc.constant('custom-set' as const),
        expiresMin: fc.option(fc.integer({ min: 5, max: 120 }))
      }),
      fc.record({ atSec: fc.integer({ min: 6 * 3600, max: 22 * 3600 }), kind: fc.constant('custom-clear' as const) }),
      fc.record({
        atSec: fc.integer({ min: 6 * 3600, max: 22 * 3600 }),
        kind: fc.constantFrom('pause' as const, 'autopilot' as const),
        minutes: fc.integer({ min: 10, max: 240 })
      })
    ),
    { maxLength: 8 }
  ),
  sweepPhaseSec: fc.integer({ min: 0, max: 299 }),
  expiryPhaseSec: fc.integer({ min: 0, max: 59 }),
  wakeDelaySec: fc.integer({ min: 0, max: 3 }),
  earlySec: fc.constantFrom(0, 0, 15, 60),
  notifyDelaySec: fc.integer({ min: 0, max: 60 }),
  downtime: rarely(fc.record({ fromMin: fc.integer({ min: 7 * 60, max: 19 * 60 }), durMin: fc.integer({ min: 5, max: 120 }) }), 3)
})

interface LiveItem extends ScheduleItem {
  id: number
}

export interface SimStats {
  decisions: number
  writes: number
  messages: number
  customSets: number
  reasons: Map<string, number>
}

export class InvariantError extends Error {
  override name = 'InvariantError'
}

/** Item boundaries after now: nextWakeAt must never be later than the first of them. */
function nextBoundary(items: readonly ScheduleItem[], now: number): number | null {
  let best: number | null = null
  for (const it of items) for (const b of [it.startMs, it.endMs]) if (b > now && (best === null || b < best)) best = b
  return best
}

/** What getSchedule returns for [now - 1 min, now + 24 h]: items overlapping the window. */
function windowed(items: readonly LiveItem[], now: number): ScheduleItem[] {
  return items.filter((it) => it.endMs > now - MIN && it.startMs < now + DAY_MS).map(({ id: _id, ...rest }) => rest)
}

export interface SimOptions {
  /** check "at most one write per block start and end" (only meaningful on a quiet day) */
  countWrites?: boolean
}

/** Run one simulated day and check every invariant; returns counters for coverage reports. */
export function simulateDay(sc: Scenario, stats: SimStats, options: SimOptions = {}): string[] {
  const trace: string[] = []
  const day = YEAR_START + sc.dayIndex * DAY_MS
  const at = (min: number): number => day + min * MIN
  let nextId = 1
  const mk = (startMs: number, endMs: number, g: Pick<GenItem, 'availability' | 'isPrivate' | 'subject'>): LiveItem => ({
    id: nextId++,
    startMs,
    endMs,
    availability: g.availability,
    isPrivate: g.isPrivate,
    subject: g.subject
  })

  // The calendar.
  let items: LiveItem[] = []
  let prevEnd: number | null = null
  for (const g of sc.items) {
    const start: number = g.chain && prevEnd !== null ? prevEnd : at(g.startMin)
    const it = mk(start, start + g.durMin * MIN, g)
    items.push(it)
    prevEnd = it.endMs
  }
  if (sc.allDay) items.push(mk(day, day + DAY_MS, { availability: sc.allDay, isPrivate: false, subject: 'All day' }))
  if (sc.multiDayOof)
    items.push(mk(day + sc.multiDayOof.fromDay * DAY_MS, at(sc.multiDayOof.toMin), { availability: 'oof', isPrivate: false, subject: 'Holiday' }))

  // Mattermost and the user.
  let mm: MmStatusRecord = initialStatus('u')
  mm =
    sc.initial.status === 'online' || sc.initial.manual
      ? applySetStatus(mm, sc.initial.status, sc.initial.dndMin === null ? undefined : at(sc.initial.dndMin) / 1000, day)
      : { ...mm, status: sc.initial.status, manual: false }
  let lastSetter = (sc.initial.manual ? 'user' : 'presence') as 'user' | 'service' | 'mm' | 'presence'
  let lastServiceStatus: MmStatus | null = null
  let custom: CustomStatus | null = null
  let lastCsSetter = null as 'user' | 'service' | null
  if (sc.initialCustom !== 'none') {
    custom = { emoji: 'sandwich', text: 'Lunch', ...(sc.initialCustom === 'user-expiring' ? { expiresAt: new Date(at(11 * 60)).toISOString() } : {}) }
    lastCsSetter = 'user'
  }
  let settings: Settings = resolveSettings(null, sc.overrides)
  let remembered: RememberedState | null = null
  let pausedEver = false

  // What the checks track.
  let releasedAt: number | null = null // the user changed a status the service held
  let pendingRelease: number | null = null // ... as far as Mattermost's state can show it
  let serviceState: { status: MmStatus; end: number } | null = null
  let csReleasedAt: number | null = null // the user replaced or removed the service's custom status
  let episode: { pre: MmStatus; preManual: boolean } | null = null
  const messageTimes: number[] = []
  let writeBatches = 0

  const owned = (): boolean => lastSetter === 'service' && lastServiceStatus !== 'online'
  const csLive = (cs: CustomStatus | null, now: number): boolean =>
    cs !== null && !(cs.expiresAt && Date.parse(cs.expiresAt) > 0 && Date.parse(cs.expiresAt) <= now)
  const fail = (now: number, what: string, d?: Decision): never => {
    throw new InvariantError(
      `${new Date(now).toISOString()}: ${what}${d ? `\n  reasons ${d.reasons.join(', ')}\n  writes ${JSON.stringify(d.statusWrites)} custom ${JSON.stringify(d.customStatus)}` : ''}\n  mm ${JSON.stringify(mm)}\n  remembered ${JSON.stringify(remembered)}`
    )
  }

  const inputAt = (now: number, list: ScheduleItem[], zone = sc.zone, earlyEntryMs = 0): DecisionInput => ({
    now,
    ...(earlyEntryMs > 0 ? { earlyEntryMs } : {}),
    items: list,
    current: { status: mm.status, manual: mm.manual, dndEndTime: mm.dnd_end_time },
    customStatus: custom,
    settings,
    remembered,
    timeZone: zone
  })

  const checkPrevStatus = (now: number): void => {
    // With DND, Mattermost's own stored previous status is always the pre-meeting status.
    if (mm.status === 'dnd' && lastSetter === 'service' && episode !== null && episode.pre !== 'dnd' && mm.prev_status !== episode.pre) {
      fail(now, `Mattermost would restore ${mm.prev_status || '(nothing)'} instead of ${episode.pre}`)
    }
  }

  const evaluate = (now: number, earlyEntryMs = 0): Decision => {
    if (pendingRelease !== null) {
      // Changes that end where the service left it (away then away again) cannot be seen.
      if (serviceState !== null && mm.status === serviceState.status && (mm.status !== 'dnd' || mm.dnd_end_time === serviceState.end)) lastSetter = 'service'
      else releasedAt = pendingRelease
      pendingRelease = null
    }
    const list = windowed(items, now)
    const input = inputAt(now, list, sc.zone, earlyEntryMs)
    const d = decide(input)
    stats.decisions++
    for (const r of d.reasons) stats.reasons.set(r, (stats.reasons.get(r) ?? 0) + 1)

    // A DND is never set more than earlyEntryMs before a meeting (docs/status-rules.md#early-starts).
    if (d.statusWrites.some((x) => x.status === 'dnd')) {
      if (!list.some((it) => it.startMs <= now + earlyEntryMs && it.endMs > now)) fail(now, `DND more than ${earlyEntryMs} ms before any meeting`, d)
      if (!list.some((it) => it.startMs <= now && it.endMs > now)) stats.reasons.set('early-entry', (stats.reasons.get('early-entry') ?? 0) + 1)
    }

    // nextWakeAt is never in the past and never later than the next item boundary.
    // Early starts look at the calendar at the block's start (docs/status-rules.md#early-starts):
    // the next boundary is then counted from there, for a block entered now or earlier.
    const blocksNow = buildBlocks(list, settings)
    const covered = blockAt(blocksNow, now) !== null
    const earlyStart =
      earlyEntryMs > 0 && !covered ? Math.min(...blocksNow.filter((b) => b.start > now && b.start <= now + earlyEntryMs).map((b) => b.start)) : Infinity
    const pendingStart = remembered !== null && remembered.blockStart > now ? remembered.blockStart : Infinity
    const lookedAt = Math.min(earlyStart, pendingStart)
    const nb = nextBoundary(list, Number.isFinite(lookedAt) ? lookedAt : now)
    if (d.nextWakeAt !== null && d.nextWakeAt <= now) fail(now, `nextWakeAt ${d.nextWakeAt} not in the future`, d)
    if (nb !== null && (d.nextWakeAt === null || d.nextWakeAt > nb)) fail(now, `nextWakeAt ${d.nextWakeAt} later than the next boundary ${nb}`, d)

    // Writes: at most two, and two only as "previous status back, then DND" (rules 8, 9, 14).
    const w = d.statusWrites
    if (w.length > 2) fail(now, 'more than two writes', d)
    if (
      w.length === 2 &&
      !(
        w[0]!.status !== 'dnd' &&
        w[1]!.status === 'dnd' &&
        d.reasons.some((r) => r === 'rule-8-extended' || r === 'rule-9-level-changed' || r === 'rule-14-next-block')
      )
    )
      fail(now, 'two writes outside rule 8', d)
    for (const x of w) {
      if (x.status === 'dnd' && (x.dndEndTime === undefined || x.dndEndTime % 60 !== 0 || x.dndEndTime * 1000 <= now))
        fail(now, 'DND without a future whole-minute end', d)
      if (x.status !== 'dnd' && x.dndEndTime !== undefined) fail(now, 'end time on a status that is not DND', d)
    }
    if (d.customStatus?.action === 'set' && ([...d.customStatus.text].length > MAX_CUSTOM_STATUS_LENGTH || Date.parse(d.customStatus.expiresAt) <= now))
      fail(now, 'custom status too long or already expired', d)

    const full = buildBlocks(items, settings)
    // Where the engine looked (a block entered early: its start), and how early a stretch may begin.
    const at = Number.isFinite(lookedAt) ? lookedAt : now
    const earlyMs = sc.earlySec * 1000
    const block = blockAt(full, at)
    // The stretch of the block in which a status applies: releases and messages last for it.
    const stretch = block === null ? null : actionStretchAt(block, segmentIndexAt(block, at), settings)
    // The service saw the stretch (or block) end: whatever the calendar says later, the next one is new.
    if (stretch === null) {
      releasedAt = null
      messageTimes.length = 0
    }
    if (block === null) csReleasedAt = null
    // Never change a status the user set after the service last set it (rules 7, 11, 12).
    if (w.length > 0) {
      if (releasedAt !== null && !(stretch !== null && stretch.start - earlyMs > releasedAt))
        fail(now, `write after the user took the status back at ${new Date(releasedAt).toISOString()}`, d)
      // Rule 5: a manual status the user chose is never replaced without autopilot.
      const autopilot = settings.autopilotUntil !== null && settings.autopilotUntil > now
      if (lastSetter === 'user' && mm.manual && mm.status !== 'online' && !autopilot) fail(now, `replaced the user's manual ${mm.status}`, d)
      if (settings.pausedUntil !== null && settings.pausedUntil > now) fail(now, 'write while paused', d)
    }
    // Never overwrite or clear the user's own custom status; never take back one they removed.
    if (d.customStatus !== null) {
      if (lastCsSetter === 'user' && csLive(custom, now)) fail(now, "touched the user's custom status", d)
      if (d.customStatus.action === 'set' && csReleasedAt !== null && !(block !== null && block.start > csReleasedAt))
        fail(now, 'custom status set again after the user removed ours', d)
    }
    // "Ask first" and nobody answers: no status of ours, and no custom status while a question
    // waits (where rules 2-5 decide, as for rule 3's custom status, nothing is asked).
    if (settings.confirm) {
      if (w.length > 0) fail(now, 'a status write with "Ask first" and no answer', d)
      if (d.customStatus?.action === 'set' && d.remembered?.asked === true) fail(now, 'a custom status while a question waits', d)
    }
    // notify: at most one notice per stretch; entered and daily only with a status change and
    // the matching mode; a question only with "Ask first".
    if (d.message !== null) {
      const kind = d.message.kind
      if (kind === 'confirm' ? !settings.confirm : w.length === 0 || settings.notify !== (kind === 'entered' ? 'every' : 'daily'))
        fail(now, `a ${kind} notice without a status change, or with notify ${settings.notify}`, d)
      if (stretch === null || messageTimes.some((m) => m >= stretch.start - earlyMs)) fail(now, 'a second message for one meeting', d)
      messageTimes.push(now)
    }

    trace.push(
      JSON.stringify([
        now,
        w,
        d.customStatus && (d.customStatus.action === 'set' ? [d.customStatus.emoji, d.customStatus.expiresAt] : 'clear'),
        d.message !== null,
        d.nextWakeAt
      ])
    )

    // Apply it.
    if (w.length > 0) {
      writeBatches++
      stats.writes += w.length
      if (!owned()) episode = { pre: mm.status, preManual: mm.manual }
      for (const x of w) mm = applySetStatus(mm, x.status, x.dndEndTime, now)
      lastSetter = 'service'
      lastServiceStatus = mm.status
      serviceState = { status: mm.status, end: mm.dnd_end_time }
      releasedAt = null
      if (mm.status === 'online') episode = null
      checkPrevStatus(now)
    }
    if (d.customStatus?.action === 'set') {
      custom = { emoji: d.customStatus.emoji, text: d.customStatus.text, expiresAt: d.customStatus.expiresAt }
      lastCsSetter = 'service'
      csReleasedAt = null
      stats.customSets++
    } else if (d.customStatus?.action === 'clear') {
      custom = null
      lastCsSetter = null
    }
    if (d.message !== null) stats.messages++
    remembered = d.remembered
    if (remembered !== null && JSON.stringify(JSON.parse(JSON.stringify(remembered))) !== JSON.stringify(remembered))
      fail(now, 'remembered state is not plain JSON')

    // Idempotent: the same inputs after applying give no change.
    const again = decide(inputAt(now, list, sc.zone, earlyEntryMs))
    if (
      again.statusWrites.length ||
      again.customStatus !== null ||
      again.message !== null ||
      again.remembered !== remembered ||
      again.nextWakeAt !== d.nextWakeAt
    ) {
      fail(
        now,
        `not idempotent: ${again.reasons.join(', ')} ${JSON.stringify(again.statusWrites)} ${JSON.stringify(again.customStatus)} wake ${again.nextWakeAt} vs ${d.nextWakeAt}, same remembered ${again.remembered === remembered}`,
        d
      )
    }
    // Nothing changes by time alone before nextWakeAt (Mattermost left as it is).
    const limit = d.nextWakeAt ?? now + 6 * HOUR
    const mid = now + Math.floor((limit - now) / 2)
    if (mid > now) {
      const later = decide(inputAt(mid, list))
      if (later.statusWrites.length || later.customStatus !== null || later.message !== null)
        fail(mid, `changed before nextWakeAt ${new Date(limit).toISOString()} (evaluated at ${new Date(now).toISOString()}): ${later.reasons.join(', ')}`, d)
    }
    return d
  }

  // The event loop, second by second where something happens.
  const start = day + 5 * HOUR
  const end = day + DAY_MS + 3 * HOUR
  const actions = [...sc.actions].sort((a, b) => a.atSec - b.atSec)
  const changes = [...sc.changes].sort((a, b) => a.atMin - b.atMin)
  const pendingEvals: number[] = []
  let wakeAt: number | null = null
  /** the instant of the pending wake-up, and the one whose pre-roll ran already */
  let wakeInstant: number | null = null
  let earlyDoneFor: number | null = null
  const earlyAt = (): number | null => (wakeInstant !== null && sc.earlySec > 0 && earlyDoneFor !== wakeInstant ? wakeInstant - sc.earlySec * 1000 : null)
  const down = (t: number): boolean => sc.downtime !== null && t >= at(sc.downtime.fromMin) && t < at(sc.downtime.fromMin + sc.downtime.durMin)
  let ai = 0
  let ci = 0
  let t = start
  let wasDown = false
  pendingEvals.push(start)
  while (t <= end) {
    // Mattermost's once-a-minute expiry job.
    if ((t - day) % MIN === sc.expiryPhaseSec * 1000) {
      const before = mm
      mm = applyDndExpiry(mm, t)
      if (mm !== before) {
        lastSetter = 'mm'
        episode = null
      }
    }
    while (ci < changes.length && at(changes[ci]!.atMin) <= t) {
      const c = changes[ci++]!
      if (c.kind === 'add') {
        const ref = c.backToBack !== null && items.length > 0 ? items[c.backToBack % items.length]! : null
        const s0 = ref && ref.endMs >= t ? ref.endMs : Math.max(t - (t % (5 * MIN)), at(c.item.startMin))
        items = [...items, mk(s0, s0 + c.item.durMin * MIN, c.item)]
      } else if (items.length > 0) {
        const i = c.idx % items.length
        const it = items[i]!
        let next: LiveItem | null = it
        if (c.kind === 'cancel') next = null
        else if (c.kind === 'extend') next = { ...it, endMs: it.endMs + c.deltaMin * MIN }
        else if (c.kind === 'shorten') next = { ...it, endMs: Math.max(it.startMs + MIN, it.endMs - c.deltaMin * MIN) }
        else next = { ...it, startMs: it.startMs + c.deltaMin * MIN, endMs: it.endMs + c.deltaMin * MIN }
        items = items.flatMap((x, k) => (k === i ? (next ? [next] : []) : [x]))
      }
      pendingEvals.push(t + sc.notifyDelaySec * 1000)
    }
    while (ai < actions.length && day + actions[ai]!.atSec * 1000 <= t) {
      const a = actions[ai++]!
      if (a.kind === 'status') {
        const endSec = a.status === 'dnd' && a.dndMin !== null ? (t + a.dndMin * MIN) / 1000 : undefined
        // A change nobody can tell from no change (same status, same DND end) is skipped:
        // neither Mattermost nor the service could see it.
        const invisible = a.status === mm.status && (a.status !== 'dnd' || Math.floor((endSec ?? 0) / 60) * 60 === mm.dnd_end_time)
        if (!invisible) {
          if (owned()) pendingRelease ??= t
          mm = applySetStatus(mm, a.status, endSec, t)
          lastSetter = 'user'
          episode = null
        }
      } else if (a.kind === 'presence') {
        const before = mm
        mm = applyPresence(mm, a.event, t)
        if (mm.status !== before.status) lastSetter = 'presence'
      } else if (a.kind === 'custom-set' || a.kind === 'custom-clear') {
        if (lastCsSetter === 'service' && csLive(custom, t)) csReleasedAt = t
        custom =
          a.kind === 'custom-clear'
            ? null
            : { emoji: 'coffee', text: 'Back soon', ...(a.expiresMin !== null ? { expiresAt: new Date(t + a.expiresMin * MIN).toISOString() } : {}) }
        lastCsSetter = a.kind === 'custom-clear' ? null : 'user'
      } else {
        // A slash command: the setting changes, then the user is evaluated at once.
        if (a.kind === 'pause') {
          pausedEver = true
          settings = { ...settings, pausedUntil: t + a.minutes * MIN }
        } else settings = { ...settings, autopilotUntil: t + a.minutes * MIN }
        pendingEvals.push(t)
      }
    }
    checkPrevStatus(t)
    const sweep = (t - day) % (5 * MIN) === sc.sweepPhaseSec * 1000
    const due = sweep || (wakeAt !== null && t >= wakeAt) || pendingEvals.some((p) => p <= t)
    const early = earlyAt()
    const preRoll = !due && early !== null && wakeInstant !== null && t >= early && t < wakeInstant
    if (down(t)) wasDown = true
    else if (due || wasDown || preRoll) {
      wasDown = false
      for (let k = pendingEvals.length - 1; k >= 0; k--) if (pendingEvals[k]! <= t) pendingEvals.splice(k, 1)
      if (preRoll) earlyDoneFor = wakeInstant
      const d = evaluate(t, preRoll && wakeInstant !== null ? wakeInstant - t : 0)
      wakeInstant = d.nextWakeAt
      wakeAt = d.nextWakeAt === null ? null : d.nextWakeAt + sc.wakeDelaySec * 1000
    }
    // Jump to the next instant at which anything can happen.
    const nextPhase = (period: number, phase: number): number => {
      const rel = (t - day) % period
      return t - rel + phase + (rel >= phase ? period : 0)
    }
    const nt = Math.min(
      nextPhase(MIN, sc.expiryPhaseSec * 1000),
      nextPhase(5 * MIN, sc.sweepPhaseSec * 1000),
      ...[
        wakeAt ?? Infinity,
        earlyAt() ?? Infinity,
        ...pendingEvals,
        ai < actions.length ? day + actions[ai]!.atSec * 1000 : Infinity,
        ci < changes.length ? at(changes[ci]!.atMin) : Infinity,
        sc.downtime ? at(sc.downtime.fromMin + sc.downtime.durMin) : Infinity
      ].filter((c) => c > t)
    )
    t = Math.ceil(nt / 1000) * 1000
  }

  // End of the day: nobody is left in a DND the service set, nothing of ours is left behind.
  const last = evaluate(end)
  if (items.every((it) => it.endMs < end - 10 * MIN)) {
    // A pause releases the block (rule 11): a DND the service set then ends at its own end time.
    const releasedDnd = pausedEver && mm.status === 'dnd' && mm.dnd_end_time > 0
    if (lastSetter === 'service' && mm.status === 'dnd' && !releasedDnd) fail(end, 'left in the DND the service set')
    if (lastSetter === 'service' && mm.status !== 'online' && !releasedDnd) fail(end, `left in ${mm.status} set by the service`)
    if (lastCsSetter === 'service' && csLive(custom, end) && !pausedEver) fail(end, 'our custom status still showing')
    if (lastCsSetter === 'service' && custom !== null && !pausedEver) fail(end, 'our custom status not cleared')
    if (last.remembered !== null) fail(end, 'still remembering a block after the day')
  }
  if (options.countWrites) {
    // At most one write per block start and one per block end: count status runs.
    let runs = 0
    for (const b of buildBlocks(items, settings)) {
      let prev = 'none'
      for (const s of b.segments) {
        const a = settings.mapping[s.level].status
        if (a !== 'none' && a !== prev) runs++
        prev = a
      }
    }
    if (writeBatches > 2 * runs) fail(end, `${writeBatches} write batches for ${runs} status runs`)
  }
  return trace
}

export function newStats(): SimStats {
  return { decisions: 0, writes: 0, messages: 0, customSets: 0, reasons: new Map() }
}
