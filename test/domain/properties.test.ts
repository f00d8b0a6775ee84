// Property tests: every invariant of status-rules.md over whole simulated days, driven by the
// shared Mattermost status model (sim/mattermost/status-model.ts).
import t from 'tap'
import fc from 'fast-check'
import { buildBlocks, PRECEDENCE, resolveSettings } from '../../src/domain'
import type { Availability, ScheduleItem } from '../../src/domain'
import { newStats, scenarioArb, simulateDay } from './day-sim'

const RUNS = Number(process.env['DOMAIN_PROPERTY_RUNS'] ?? 0)

const allDays = (stats: ReturnType<typeof newStats>) =>
  fc.property(scenarioArb, (sc) => {
    const trace = simulateDay(sc, stats)
    // Times are computed in UTC: another zone changes the texts, never what happens when.
    if (sc.otherZone !== sc.zone) {
      const other = simulateDay({ ...sc, zone: sc.otherZone }, newStats())
      if (other.join('\n') !== trace.join('\n'))
        throw new Error(
          `zone ${sc.otherZone} instead of ${sc.zone} changed the day:\n${trace
            .map((x, i) => [x, other[i]])
            .filter(([x, y]) => x !== y)
            .slice(0, 2)
            .map(([x, y]) => `${x}\n   vs ${y}`)
            .join('\n')}`
        )
    }
  })

t.test('whole days: every invariant after every decision', async (t) => {
  const stats = newStats()
  fc.assert(allDays(stats), { numRuns: RUNS || 300 })
  t.pass(`${stats.decisions} decisions, ${stats.writes} status writes, ${stats.messages} messages, ${stats.customSets} custom statuses`)
  t.comment(
    [...stats.reasons.entries()]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')
  )
})

t.test('the generators reach every rule (fixed seed, so this never flakes)', async (t) => {
  const stats = newStats()
  fc.assert(allDays(stats), { numRuns: 250, seed: 20260401 })
  const needed = [
    'rule-1-paused',
    'pause-released',
    'rule-2-no-status-action',
    'rule-3-already-target',
    'rule-4-offline-skipped',
    'rule-5-manual-respected',
    'rule-6-entered',
    'rule-7-released',
    'rule-8-extended',
    'rule-8-shortened',
    'rule-9-level-changed',
    'rule-9-custom-status-changed',
    'rule-10-no-change',
    'rule-11-released',
    'rule-12-already-restored',
    'rule-12-status-changed',
    'rule-13-waiting-for-mattermost',
    'rule-13-restored',
    'rule-14-next-block',
    'rule-15-custom-status-set',
    'rule-15-user-custom-status-kept',
    'rule-18-custom-status-cleared',
    'confirm-asked',
    'confirm-waiting',
    // not a rule: a DND written before its meeting's start, in a pre-roll (docs/status-rules.md#early-starts)
    'early-entry'
  ]
  t.same(
    needed.filter((r) => !stats.reasons.has(r)),
    [],
    'every rule was exercised'
  )
  t.ok(
    stats.writes > 250 && stats.messages > 100 && stats.customSets > 250,
    `${stats.writes} writes, ${stats.messages} messages, ${stats.customSets} custom statuses`
  )
})

t.test('quiet days: at most one write per block start and one per block end', async (t) => {
  const stats = newStats()
  fc.assert(
    fc.property(
      scenarioArb.map((sc) => ({ ...sc, changes: [], actions: sc.actions.filter((a) => a.kind === 'presence'), downtime: null })),
      (sc) => {
        simulateDay(sc, stats, { countWrites: true })
      }
    ),
    { numRuns: RUNS || 120 }
  )
  t.ok(stats.writes > 0)
})

const itemArb = fc
  .record({
    startMs: fc.integer({ min: 0, max: 600 }).map((m) => m * 60_000),
    durMin: fc.integer({ min: -5, max: 180 }),
    availability: fc.constantFrom<Availability>('free', 'tentative', 'busy', 'oof', 'workingElsewhere'),
    isPrivate: fc.boolean()
  })
  .map(({ durMin, ...rest }): ScheduleItem => ({ ...rest, endMs: rest.startMs + durMin * 60_000 }))

t.test('blocks: back-to-back and overlapping items give exactly one block; levels follow precedence', async (t) => {
  fc.assert(
    fc.property(fc.array(itemArb, { maxLength: 25 }), fc.constantFrom(0, 5, 10), fc.boolean(), (items, gap, customStatus) => {
      const s = resolveSettings(null, { mergeGapMinutes: gap, customStatus })
      const blocks = buildBlocks(items, s)
      const acts = items.filter(
        (it) => it.endMs > it.startMs && (s.mapping[it.availability].status !== 'none' || (customStatus && s.mapping[it.availability].customStatus !== null))
      )
      // Blocks are ordered and separated by more than the gap.
      for (let i = 1; i < blocks.length; i++) if (!(blocks[i]!.start > blocks[i - 1]!.end + gap * 60_000)) return false
      // Every actionable item lies in exactly one block; every block is made of items.
      for (const it of acts) if (blocks.filter((b) => b.start <= it.startMs && it.endMs <= b.end).length !== 1) return false
      for (const b of blocks) if (!acts.some((it) => it.startMs === b.start) || !acts.some((it) => it.endMs === b.end)) return false
      // Two items that overlap or touch are always in the same block.
      for (const a of acts)
        for (const c of acts)
          if (a.startMs <= c.endMs && c.startMs <= a.endMs) {
            const ba = blocks.find((b) => b.start <= a.startMs && a.endMs <= b.end)
            if (ba === undefined || !(ba.start <= c.startMs && c.endMs <= ba.end)) return false
          }
      for (const b of blocks) {
        // Segments tile the block; each has the highest level covering it (or carries it through a gap).
        if (b.segments[0]!.start !== b.start || b.segments.at(-1)!.end !== b.end) return false
        for (let i = 1; i < b.segments.length; i++) if (b.segments[i]!.start !== b.segments[i - 1]!.end) return false
        for (const seg of b.segments) {
          const covering = acts.filter((it) => it.startMs <= seg.start && it.endMs > seg.start)
          if (covering.length === 0) continue
          const top = Math.max(...covering.map((it) => PRECEDENCE[it.availability]))
          if (PRECEDENCE[seg.level] !== top) return false
        }
      }
      return true
    }),
    { numRuns: RUNS || 1500 }
  )
  t.pass()
})

// A counterexample fast-check found (seed -16164765): the user changed their status at the
// moment a one-minute meeting was cancelled inside a day of working elsewhere. Rule 7 recorded a
// release ending "now", which the very next evaluation undid: not idempotent.
t.test('regression: a release with no stretch left is not recorded (idempotent)', async (t) => {
  const sc = {
    dayIndex: 0,
    zone: 'UTC',
    otherZone: 'UTC',
    overrides: { notify: false, offlineUsers: 'skip', showSubject: false, customStatus: true, mergeGapMinutes: 0, mapping: { tentative: { status: 'away' } } },
    initial: { status: 'online', manual: false, dndMin: null },
    initialCustom: 'none',
    items: [{ startMin: 360, durMin: 1, availability: 'busy', isPrivate: false, subject: 'Planning', chain: false }],
    allDay: 'workingElsewhere',
    multiDayOof: { fromDay: 0, toMin: 480 },
    changes: [{ atMin: 360, kind: 'cancel', idx: 86302739 }],
    actions: [{ atSec: 21601, kind: 'status', status: 'online', dndMin: 10 }],
    sweepPhaseSec: 0,
    expiryPhaseSec: 0,
    wakeDelaySec: 0,
    earlySec: 0,
    notifyDelaySec: 0,
    downtime: null
  }
  t.doesNotThrow(() => simulateDay(sc as never, newStats()))
})

// A counterexample fast-check found in CI (seed 1202601697): DND until the end of a busy stretch
// at 10:12, a tentative stretch (mapped to away) right after it in the same block. The user
// picked online at 10:11:01; at 10:12 the engine took that for Mattermost's own restore at the
// DND end and set away for the next stretch, over the user's choice (rule 7). Mattermost's
// restore sets dnd_end_time to 0; the user's change leaves it.
t.test("regression: a user's change just before the DND end is not taken for Mattermost's restore", async (t) => {
  const sc = {
    dayIndex: 0,
    zone: 'UTC',
    otherZone: 'UTC',
    overrides: { notify: false, offlineUsers: 'apply', showSubject: false, customStatus: true, mergeGapMinutes: 0, mapping: { tentative: { status: 'away' } } },
    initial: { status: 'offline', manual: true, dndMin: null },
    initialCustom: 'none',
    items: [
      { startMin: 610, durMin: 1, availability: 'busy', isPrivate: false, subject: 'Planning', chain: false },
      { startMin: 360, durMin: 1, availability: 'busy', isPrivate: false, subject: 'Planning', chain: true },
      { startMin: 360, durMin: 1, availability: 'tentative', isPrivate: false, subject: 'Planning', chain: true },
      { startMin: 360, durMin: 15, availability: 'busy', isPrivate: false, subject: 'Planning', chain: false }
    ],
    allDay: null,
    multiDayOof: null,
    changes: [],
    actions: [
      { atSec: 36661, kind: 'status', status: 'online', dndMin: 10 },
      { atSec: 21600, kind: 'autopilot', minutes: 10 }
    ],
    sweepPhaseSec: 0,
    expiryPhaseSec: 0,
    wakeDelaySec: 0,
    earlySec: 0,
    notifyDelaySec: 0,
    downtime: { fromMin: 613, durMin: 5 }
  }
  t.doesNotThrow(() => simulateDay(sc as never, newStats()))
})
