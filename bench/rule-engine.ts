// Rule engine benchmark: microseconds to evaluate one user with a realistic day of 8
// meetings, Graph's answer parsed and the decision made (what the sync does per user).
// Evaluations are spread over the day (every 5 minutes, 07:00-19:00), each with the state
// it would really have (remembered block, the Mattermost status after earlier decisions).
import { performance } from 'node:perf_hooks'
import { applyDndExpiry, applySetStatus, initialStatus } from '../sim/mattermost/status-model'
import { decide, DEFAULT_SETTINGS, parseScheduleItems } from '../src/domain'
import type { CustomStatus, DecisionInput, GraphScheduleItem } from '../src/domain'
import { type Figure, figure, runStandalone } from './_shared'

const DAY = '2026-03-16'
const at = (hhmm: string) => ({ dateTime: `${DAY}T${hhmm}:00.0000000`, timeZone: 'UTC' })

/** 8 meetings: back-to-back, overlapping, tentative, a private one, an out-of-office afternoon. */
const RAW: GraphScheduleItem[] = [
  { start: at('08:30'), end: at('09:00'), status: 'busy', subject: 'Daily stand-up', isPrivate: false, location: 'Teams' },
  { start: at('09:00'), end: at('09:30'), status: 'Busy', subject: 'Design review', isPrivate: false },
  { start: at('10:00'), end: at('11:00'), status: 'tentative', subject: 'Vendor demo', isPrivate: false },
  { start: at('10:30'), end: at('11:30'), status: 'busy', subject: '1:1', isPrivate: true },
  { start: at('12:00'), end: at('13:00'), status: 'free', subject: 'Lunch', isPrivate: false },
  { start: at('13:30'), end: at('14:15'), status: 'busy', subject: 'Planning', isPrivate: false },
  { start: at('14:15'), end: at('15:00'), status: 'workingElsewhere', subject: 'Commute', isPrivate: false },
  { start: at('15:00'), end: at('18:00'), status: 'oof', subject: 'Dentist', isPrivate: false }
]

/** The inputs of one realistic day, in order, with the state each evaluation would see. */
function dayOfInputs(): Omit<DecisionInput, 'items'>[] {
  const items = parseScheduleItems(RAW)
  const settings = { ...DEFAULT_SETTINGS, showSubject: true }
  let mm = applySetStatus(initialStatus('u'), 'online', undefined, 0)
  let custom: CustomStatus | null = null
  let remembered: DecisionInput['remembered'] = null
  const out: Omit<DecisionInput, 'items'>[] = []
  for (let now = Date.parse(`${DAY}T07:00:00Z`); now <= Date.parse(`${DAY}T19:00:00Z`); now += 5 * 60_000) {
    mm = applyDndExpiry(mm, now)
    const input: Omit<DecisionInput, 'items'> = {
      now,
      current: { status: mm.status, manual: mm.manual, dndEndTime: mm.dnd_end_time },
      customStatus: custom,
      settings,
      remembered,
      timeZone: 'Europe/Paris'
    }
    out.push(input)
    const d = decide({ ...input, items })
    for (const w of d.statusWrites) mm = applySetStatus(mm, w.status, w.dndEndTime, now)
    if (d.customStatus?.action === 'set') custom = { emoji: d.customStatus.emoji, text: d.customStatus.text, expiresAt: d.customStatus.expiresAt }
    else if (d.customStatus?.action === 'clear') custom = null
    remembered = d.remembered
  }
  return out
}

/** Microseconds per evaluation, one sample per run. */
function measure(runs: number, evaluations: number, once: (i: number) => unknown): number[] {
  const samples: number[] = []
  let sink = 0
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    for (let i = 0; i < evaluations; i++) if (once(i) !== null) sink++
    samples.push(((performance.now() - t0) * 1000) / evaluations)
  }
  if (sink < 0) console.log(sink)
  return samples
}

export async function run(): Promise<{ name: string; description: string; figures: Record<string, Figure>; notes: string[] }> {
  const inputs = dayOfInputs()
  const n = inputs.length
  const items = parseScheduleItems(RAW)
  const full = (i: number) => decide({ ...(inputs[i % n] as Omit<DecisionInput, 'items'>), items: parseScheduleItems(RAW) })
  const decideOnly = (i: number) => decide({ ...(inputs[i % n] as Omit<DecisionInput, 'items'>), items })
  const parseOnly = () => parseScheduleItems(RAW)
  const evaluations = 20_000
  // Warm up the JIT and luxon's caches before measuring.
  measure(3, evaluations, full)
  const runs = 9
  return {
    name: 'Rule engine',
    description: `One user, a realistic day of ${RAW.length} meetings (back-to-back, overlapping, tentative, private, out of office), evaluated every 5 minutes from 07:00 to 19:00 UTC (${n} evaluations, each with the state it would really have), user zone Europe/Paris. ${runs} runs of ${evaluations} evaluations; figures are microseconds per evaluation.`,
    figures: {
      'parse + decide, per user': figure(measure(runs, evaluations, full), 'µs'),
      'decide only': figure(measure(runs, evaluations, decideOnly), 'µs'),
      'parse only (8 items)': figure(measure(runs, evaluations, parseOnly), 'µs')
    },
    notes: ['Target: under 20 µs per user (README, the table of measured figures).']
  }
}

if (require.main === module) runStandalone(run)
