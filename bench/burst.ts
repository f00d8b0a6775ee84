// The top-of-the-hour burst (issue 18, "Benchmarks"): many meetings starting at one whole
// minute, known minutes ahead, against the real web + 2 worker processes (dist/src/main), the
// simulators in this process and a private redis-server, as bench/freshness.ts runs them.
//
// Scenario 1: 1,000 people, 400 meetings of 3 minutes starting at one whole minute, the default
// configuration, Mattermost's rate limiting off. Of the 400, some are back-to-back: a meeting
// going on since before enrolment ends at that minute and the next starts (a seam: their status
// must stay DND, no write to online, no expiry of the first meeting's DND end time in between).
// Scenario 2: the same with the Mattermost simulator's rate limiting on (10/s, burst 100, as
// the server's RateLimitSettings when an admin turns them on).
// Scenario 3 (BURST_BIG=1): 10,000 people, 3,500 starts, MM_MAX_REQUESTS_PER_SECOND=100.
// Scenario 4 (BURST_BIG=1): the same with MAX_EARLY_SECONDS=90: at 100 calls/s the statuses of
// 3,150 people take about 71 s, more than the default pre-roll of 60 s can cover.
//
// The calendars go in before the processes start (the burst is known ~2.5 minutes ahead, from
// the start-up sweep). Lateness = the service's first DND write for the meeting - its start
// (negative: written early); missed = no DND while the meeting is on.
import { loadavg } from 'node:os'
import { rmSync } from 'node:fs'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startPrivateRedis, freePort } from '../sim/private-redis'
import { startSimulators, type Simulators } from '../sim/index'
import { REALISTIC_LATENCY } from '../sim/graph/server'
import type { GraphSimCounters } from '../sim/graph/counters'
import type { SweepSummary } from '../src/app/sync/sweep'
import { VARIABLES } from '../src/config-variables'
import { MAX_EARLY_MS, MINUTE, byUser, fmtLateness, lateness, type Lateness } from './_freshness-plan'
import { serviceEnv, serviceProcesses, type Proc } from './_service-processes'
import { Fatal, type BenchResult, type Figure, queueIdle, runStandalone, single, sleep, waitFor } from './_shared'

const PREFIX = '{burst}'
const MEETING_MS = 3 * MINUTE
const MM_LATENCY_MS = 3
const WORKERS = 2
/** BURST_SCALE=0.2 shrinks people, starts and seams (for trying the benchmark out; figures are then not the targets' sizes). */
const SCALE = Number(process.env['BURST_SCALE'] ?? 1)
/** How long before the burst the calendars are in: the first whole minute after seeding + this. */
const LEAD_MS = Number(process.env['BURST_LEAD_SECONDS'] ?? 150) * 1000
/** Graph requests are counted in the minute around the start: from this long before to this long after. */
const AROUND_MS = 30_000

interface Scenario {
  key: string
  title: string
  users: number
  starts: number
  /** of the starts, people whose earlier meeting ends at the same minute (back-to-back) */
  seams: number
  /** MM_MAX_REQUESTS_PER_SECOND; undefined = the default */
  ceiling?: number
  rateLimit: boolean
  /** PUBLIC_URL set (a subscription per person, as a deployment has); off at 10,000 (creating 10,000 subscriptions takes hours today) */
  publicUrl: boolean
  /** extra lead for a big set-up */
  leadMs: number
  /** MAX_EARLY_SECONDS; undefined = the default (60) */
  maxEarlySeconds?: number
  targets: { p99Ms: number; callsPerPerson?: number; throttledShare?: number; graphRequests?: number }
}

const scaled = (n: number): number => Math.max(1, Math.round(n * SCALE))

const SCENARIOS: Scenario[] = [
  {
    key: 'S1',
    title: `${scaled(1000)} people, ${scaled(400)} starts at one minute, default configuration, Mattermost rate limiting off`,
    users: scaled(1000),
    starts: scaled(400),
    seams: scaled(40),
    rateLimit: false,
    publicUrl: true,
    leadMs: LEAD_MS,
    targets: { p99Ms: 2000, callsPerPerson: 2.2 }
  },
  {
    key: 'S2',
    title: `${scaled(1000)} people, ${scaled(400)} starts at one minute, default configuration, Mattermost rate limiting on (10/s, burst 100)`,
    users: scaled(1000),
    starts: scaled(400),
    seams: scaled(40),
    rateLimit: true,
    publicUrl: true,
    leadMs: LEAD_MS,
    targets: { p99Ms: 2000, callsPerPerson: 2.2, throttledShare: 0.01 }
  },
  {
    key: 'S3',
    title: `${scaled(10_000)} people, ${scaled(3500)} starts at one minute, MM_MAX_REQUESTS_PER_SECOND=100, no PUBLIC_URL`,
    users: scaled(10_000),
    starts: scaled(3500),
    seams: scaled(350),
    ceiling: 100,
    rateLimit: false,
    publicUrl: false,
    leadMs: LEAD_MS + 60_000,
    targets: { p99Ms: 5000, callsPerPerson: 2.2, graphRequests: 10 }
  },
  {
    key: 'S4',
    title: `${scaled(10_000)} people, ${scaled(3500)} starts at one minute, MM_MAX_REQUESTS_PER_SECOND=100, MAX_EARLY_SECONDS=90, no PUBLIC_URL`,
    users: scaled(10_000),
    starts: scaled(3500),
    seams: scaled(350),
    ceiling: 100,
    maxEarlySeconds: 90,
    rateLimit: false,
    publicUrl: false,
    leadMs: LEAD_MS + 90_000,
    targets: { p99Ms: 5000, callsPerPerson: 2.2, graphRequests: 10 }
  }
]
const BIG = ['S3', 'S4']
const maxEarlyMsOf = (sc: Scenario): number => (sc.maxEarlySeconds !== undefined ? sc.maxEarlySeconds * 1000 : MAX_EARLY_MS)

/** BURST_SCENARIOS=S1 runs only that one; by default S1 and S2, and S3 and S4 with BURST_BIG=1. */
function chosen(): Scenario[] {
  const only = process.env['BURST_SCENARIOS']?.split(',')
  if (only) return SCENARIOS.filter((s) => only.includes(s.key))
  return SCENARIOS.filter((s) => !BIG.includes(s.key) || process.env['BURST_BIG'] === '1')
}

interface Outcome {
  scenario: Scenario
  start: number
  settledBeforeMs: number
  setup: string
  lateness: Lateness
  /** the last person's DND (ms after the start), or null when someone was missed */
  lastMs: number | null
  seamsChecked: number
  flickersService: number
  flickersExpiry: number
  entered: number
  mmCalls: number
  mmThrottled: number
  mmRoutes: Record<string, number>
  mmMaxPerSecond: number
  graphAround: number
  /** of those, the requests of scheduled sweeps that began in the window (everyone's, every SWEEP_INTERVAL_SECONDS: not the burst's cost) */
  graphAroundSweeps: number
  graphAroundByRoute: Record<string, number>
  graphInnerAround: number
  graphWindow: number
  graphThrottled: number
  sweeps: string
  warnings: string[]
  loadBefore: number
  loadAfter: number
  seconds: number
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0)
  return out
}
const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0)

async function runScenario(sc: Scenario, log: (s: string) => void): Promise<Outcome> {
  const started = Date.now()
  const loadBefore = loadavg()[0] ?? 0
  const privateRedis = await startPrivateRedis()
  const redis = new Redis(privateRedis.url, { maxRetriesPerRequest: null })
  redis.on('error', () => undefined)
  const queues = ['sync', 'sweep'].map((name) => new Queue(name, { connection: redis, prefix: PREFIX }))
  for (const q of queues) q.on('error', () => undefined)
  const procs: Proc[] = []
  let sims: Simulators | null = null
  try {
    sims = await startSimulators({
      graph: { latency: { ...REALISTIC_LATENCY } },
      mattermost: { latencyMs: MM_LATENCY_MS, rateLimit: sc.rateLimit }
    })
    const s = sims
    const service = `api:${s.mattermost.botUserId}`

    // People and calendars, before the processes start.
    const setupAt = Date.now()
    const ids: Array<{ mmUserId: string; graphUserId: string }> = []
    for (let i = 0; i < sc.users; i++) {
      const p = s.addPerson({ username: `burst${i}`, email: `burst${i}@burst.example`, displayName: `Burst ${i}`, timeZone: 'Europe/Berlin' })
      s.mattermost.driver.presence(p.mmUserId, 'active')
      ids.push(p)
    }
    const start = Math.ceil((Date.now() + sc.leadMs) / MINUTE) * MINUTE
    for (let i = 0; i < sc.starts; i++) {
      const g = (ids[i] as { graphUserId: string }).graphUserId
      // The first `seams` people are back-to-back: in a meeting since before enrolment that ends at the start.
      if (i < sc.seams) s.graph.driver.addEvent(g, { start: setupAt - 10 * MINUTE, end: start, showAs: 'busy', subject: 'Workshop (ends at the burst)' })
      s.graph.driver.addEvent(g, { start, end: start + MEETING_MS, showAs: i % 10 === 9 ? 'tentative' : 'busy', subject: 'Top of the hour' })
    }
    log(
      `  ${sc.key}: ${sc.users} people seeded, ${sc.starts} meetings start at ${new Date(start).toISOString()} (in ${((start - Date.now()) / 1000).toFixed(0)} s)`
    )

    // The service: one web, two workers, the default configuration but for what the scenario names.
    const port = await freePort()
    const env = serviceEnv(
      { simsEnv: s.env, redisUrl: privateRedis.url, port, prefix: PREFIX },
      {
        ...(sc.publicUrl ? { PUBLIC_URL: `http://127.0.0.1:${port}` } : {}),
        ...(sc.ceiling ? { MM_MAX_REQUESTS_PER_SECOND: String(sc.ceiling) } : {}),
        ...(sc.maxEarlySeconds !== undefined ? { MAX_EARLY_SECONDS: String(sc.maxEarlySeconds) } : {})
      }
    )
    const processes = serviceProcesses()
    const web = processes.start('web', 'web.js', env)
    procs.push(web)
    await waitFor(
      'web /healthz',
      30_000,
      async () => {
        if (web.exited()) throw new Fatal(`web exited: ${web.output()}`)
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined
      },
      250
    )
    for (let i = 0; i < WORKERS; i++) procs.push(processes.start(`worker ${i + 1}`, 'worker.js', env))
    const alive = (): void => {
      for (const p of procs) if (p.exited()) throw new Fatal(`${p.name} exited (code ${p.child.exitCode}): ${p.output().slice(-2000)}`)
    }

    // Settled: everyone enrolled with a Graph id (and a subscription), a start-up sweep over all, nothing running.
    let setup = ''
    await waitFor(
      'enrolment',
      Math.max(10_000, start - 10_000 - Date.now()),
      async () => {
        alive()
        const [enrolled, resolved] = await Promise.all([redis.scard(`${PREFIX}:enrolled`), redis.hlen(`${PREFIX}:graph-to-mm`)])
        if (enrolled < sc.users || resolved < sc.users) return undefined
        if (sc.publicUrl && s.graph.driver.subscriptions().length < sc.users) return undefined
        const sweeps = (await redis.lrange(`${PREFIX}:sweeps`, 0, -1)).map((x) => JSON.parse(x) as SweepSummary)
        if (!sweeps.some((x) => x.users - x.skipped >= sc.users)) return undefined
        for (const q of queues) if (!(await queueIdle(q))) return undefined
        setup = `${enrolled} enrolled, ${sc.publicUrl ? `${s.graph.driver.subscriptions().length} subscriptions, ` : ''}start-up sweeps ${sweeps
          .reverse()
          .map((x) => `${x.users} users/${x.changes} changes/${(x.durationMs / 1000).toFixed(1)} s`)
          .join(', ')}, in ${((Date.now() - setupAt) / 1000).toFixed(0)} s`
        return true
      },
      250
    )
    const settledBeforeMs = start - Date.now()
    log(`  ${sc.key}: settled ${(settledBeforeMs / 1000).toFixed(0)} s before the start (${setup})`)
    if (settledBeforeMs < 5_000) throw new Error(`set-up overran: settled ${(settledBeforeMs / 1000).toFixed(1)} s before the start (raise BURST_LEAD_SECONDS)`)
    s.mattermost.resetCounters()
    const graphAtSettle = s.graph.counters()

    // The minute around the start, for Graph; then until everyone is in DND and the seams are past, or the meetings end.
    await sleep(start - AROUND_MS - Date.now())
    const g0: GraphSimCounters = s.graph.counters()
    await sleep(start + AROUND_MS - Date.now())
    const g1: GraphSimCounters = s.graph.counters()
    const realStarts = ids.slice(sc.seams, sc.starts).map((x) => x.mmUserId)
    const firstDnd = (list: ReturnType<typeof byUser>, uid: string): number | undefined =>
      (list.get(uid) ?? []).find((c) => c.to === 'dnd' && c.who === service && c.time >= setupAt && c.time < start + MEETING_MS)?.time
    await waitFor(
      'the burst',
      start + MEETING_MS + 5_000 - Date.now(),
      async () => {
        alive()
        if (Date.now() >= start + MEETING_MS) return true
        if (Date.now() < start + MINUTE + 2_000) return undefined
        const changes = byUser(s.mattermost.history.statuses)
        return realStarts.every((uid) => firstDnd(changes, uid) !== undefined) ? true : undefined
      },
      1000
    )

    // Analysis from the Mattermost simulator's history.
    const changes = byUser(s.mattermost.history.statuses)
    const landed: number[] = []
    for (const uid of realStarts) {
      const t = firstDnd(changes, uid)
      if (t !== undefined) landed.push(t - start)
    }
    const l = lateness(landed, realStarts.length - landed.length, MEETING_MS, maxEarlyMsOf(sc))
    let flickersService = 0
    let flickersExpiry = 0
    for (const x of ids.slice(0, sc.seams)) {
      const away = (changes.get(x.mmUserId) ?? []).filter((c) => c.to !== 'dnd' && c.time >= start - MINUTE && c.time <= start + MINUTE)
      if (away.some((c) => c.who === service)) flickersService++
      else if (away.length) flickersExpiry++
    }
    const mm = s.mattermost.counters()
    const gEnd = s.graph.counters()
    const sweepSummaries = (await redis.lrange(`${PREFIX}:sweeps`, 0, -1))
      .map((x) => JSON.parse(x) as SweepSummary)
      .filter((x) => x.startedAt >= start - sc.leadMs + settledBeforeMs)
    const graphAroundSweeps = sweepSummaries
      .filter((x) => x.startedAt >= start - AROUND_MS && x.startedAt < start + AROUND_MS)
      .reduce((n, x) => n + x.graphRequests, 0)
    const sweeps = sweepSummaries.map(
      (x) =>
        `${x.users} users, ${x.changes} changes, ${(x.durationMs / 1000).toFixed(1)} s, at start${x.startedAt - start >= 0 ? '+' : ''}${((x.startedAt - start) / 1000).toFixed(0)} s`
    )
    const warnings = procs.flatMap((p) =>
      p
        .output()
        .split('\n')
        .filter((line) => /"level":(40|50|60)/.test(line) && !/PUBLIC_URL is http|"msal"/.test(line))
        .map((line) => `${p.name}: ${line.slice(0, 300)}`)
    )
    const around = diff(g1.requestsByRoute, g0.requestsByRoute)
    const out: Outcome = {
      scenario: sc,
      start,
      settledBeforeMs,
      setup,
      lateness: l,
      lastMs: l.missed ? null : Math.max(...landed),
      seamsChecked: sc.seams,
      flickersService,
      flickersExpiry,
      entered: landed.length,
      mmCalls: mm.total,
      mmThrottled: mm.throttled,
      mmRoutes: mm.requests,
      mmMaxPerSecond: mm.maxRequestsPerSecond,
      graphAround: sum(around),
      graphAroundSweeps,
      graphAroundByRoute: around,
      graphInnerAround: g1.innerRequests - g0.innerRequests,
      graphWindow: sum(diff(gEnd.requestsByRoute, graphAtSettle.requestsByRoute)),
      graphThrottled: gEnd.throttled - graphAtSettle.throttled,
      sweeps: sweeps.join('; ') || 'none',
      warnings,
      loadBefore,
      loadAfter: 0,
      seconds: 0
    }
    log(`  ${sc.key}: lateness ${fmtLateness(l)}; ${mm.total} Mattermost calls, ${mm.throttled} answered 429`)
    return out
  } catch (err) {
    for (const p of procs) if (p.output().trim()) log(`  ${p.name} output (tail): ${p.output().slice(-1500)}`)
    throw err
  } finally {
    for (const p of [...procs].reverse()) await p.stop().catch(() => undefined)
    await sims?.stop().catch(() => undefined)
    for (const q of queues) await q.close().catch(() => undefined)
    redis.disconnect()
    await privateRedis.stop().catch(() => undefined)
    rmSync(privateRedis.dir, { recursive: true, force: true })
    log(`  ${sc.key}: ${((Date.now() - started) / 1000).toFixed(0)} s, load ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`)
  }
}

function figuresOf(o: Outcome, figures: Record<string, Figure>, notes: string[]): void {
  const sc = o.scenario
  const L = `${sc.key}`
  const l = o.lateness
  const q = (name: string, x: { ms: number; over: boolean }, target = ''): void => {
    figures[`${L}: lateness ${name} (DND write - meeting start)${target}`] = single(x.ms, 'ms', x.over)
  }
  q('p50', l.p50)
  q('p99', l.p99, ` (target <= ${sc.targets.p99Ms} ms)`)
  q('max', l.max)
  const maxEarlyMs = maxEarlyMsOf(sc)
  if (!Number.isNaN(l.earliest)) figures[`${L}: earliest DND write (negative = before the start; target >= -${maxEarlyMs} ms)`] = single(l.earliest, 'ms')
  figures[`${L}: written more than ${maxEarlyMs / 1000} s early (target 0)`] = single(l.tooEarly, 'people')
  figures[`${L}: missed, no DND while the meeting was on (target 0)`] = single(l.missed, `of ${l.n}`)
  // With someone missed, the last person was later than the meeting itself: "> 180000".
  figures[`${L}: the last person's DND, after the start`] = o.lastMs !== null ? single(o.lastMs, 'ms') : single(MEETING_MS, 'ms', true)
  if (o.entered) {
    // Direct messages come per the notify mode (default `daily`: the day's first meeting), counted apart as the target says.
    const dmCalls = Object.entries(o.mmRoutes)
      .filter(([route]) => /\/posts|\/channels\/direct/.test(route))
      .reduce((n, [, v]) => n + v, 0)
    figures[
      `${L}: Mattermost calls per person entering the meeting, statuses and reads${sc.targets.callsPerPerson ? ` (target <= ${sc.targets.callsPerPerson})` : ''}`
    ] = single((o.mmCalls - dmCalls) / o.entered, 'calls')
    figures[`${L}: direct-message calls per person (notify daily: the day's first meeting; the DM channel once ever)`] = single(dmCalls / o.entered, 'calls')
  }
  if (sc.rateLimit) figures[`${L}: Mattermost calls answered 429 (target <= 1%)`] = single((100 * o.mmThrottled) / Math.max(1, o.mmCalls), '%')
  // A scheduled sweep of everyone may fall in the window (every SWEEP_INTERVAL_SECONDS, wherever the
  // start lands): its requests are the sweep's, counted apart.
  figures[
    `${L}: Graph HTTP requests in the minute around the start, the burst's own${sc.targets.graphRequests ? ` (target <= ${sc.targets.graphRequests})` : ''}`
  ] = single(o.graphAround - o.graphAroundSweeps, 'requests')
  if (o.graphAroundSweeps > 0) figures[`${L}: Graph HTTP requests in that minute of a scheduled sweep of everyone`] = single(o.graphAroundSweeps, 'requests')
  figures[`${L}: back-to-back seams that flickered (target 0)`] = single(o.flickersService + o.flickersExpiry, `of ${o.seamsChecked}`)
  notes.push(
    `${L} (${sc.title}): lateness ${fmtLateness(l)} (a miss counts as later than the ${MEETING_MS / 60_000}-minute meeting); ${o.entered} of ${l.n} went DND during their meeting${o.lastMs !== null ? `, the last ${(o.lastMs / 1000).toFixed(1)} s after the start` : `; ${l.missed} never did while it was on`}. ` +
      `Seams: ${o.seamsChecked} people whose earlier meeting ended at the start, ${o.flickersService} with a service write away from DND within a minute of it, ${o.flickersExpiry} more with Mattermost's DND expiry restoring them (the first meeting's DND end time not moved).`
  )
  notes.push(
    `${L}: Mattermost from settled to the end of the watch: ${o.mmCalls} calls (${o.mmThrottled} answered 429), at most ${o.mmMaxPerSecond} in any 1 s, ceiling ${sc.ceiling ? `${sc.ceiling}/s` : `${VARIABLES.MM_MAX_REQUESTS_PER_SECOND.default}/s (the default)`}; by route: ${Object.entries(
      o.mmRoutes
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}. ` +
      `Graph: ${o.graphAround} HTTP requests from ${AROUND_MS / 1000} s before to ${AROUND_MS / 1000} s after the start (${Object.entries(o.graphAroundByRoute)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', '
        )}; ${o.graphInnerAround} requests inside batches), ${o.graphWindow} from settled to the end, ${o.graphThrottled} answered 429. Sweeps after settling: ${o.sweeps}. Warn/error log lines (last 8 kB of each process): ${o.warnings.length}${o.warnings.length ? `, the first: ${o.warnings.slice(0, 3).join(' | ')}` : ''}.`
  )
  notes.push(`${L}: set-up ${o.setup}; settled ${(o.settledBeforeMs / 1000).toFixed(0)} s before the start.`)
}

export async function run(): Promise<BenchResult> {
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`)
  }
  const figures: Record<string, Figure> = {}
  const notes: string[] = []
  const scenarios = chosen()
  for (const sc of scenarios) {
    try {
      figuresOf(await runScenario(sc, log), figures, notes)
    } catch (err) {
      notes.push(`${sc.key} (${sc.title}): did not complete: ${(err as Error).message}`)
    }
  }
  notes.push(
    `Each scenario is one fresh run (single run): a private redis-server, the simulators in this process (Graph REALISTIC_LATENCY and default throttling, Mattermost ${MM_LATENCY_MS} ms per call, its DND expiry job on whole minutes), one web and ${WORKERS} worker processes, LOG_LEVEL=warn, everything else at its default. ` +
      `The meetings (${MEETING_MS / 60_000} minutes, one in ten tentative) are in the calendars before the processes start, ${LEAD_MS / 1000} s or more ahead (S3 a minute more). ` +
      `Lateness = the service's first DND write for the meeting (from any time after seeding) - the meeting's start; calls per person = every Mattermost call from settled to the end of the watch / the people who went DND. 2 shared cores: noisy.` +
      (SCALE !== 1 ? ` BURST_SCALE=${SCALE}: sizes scaled, not the targets' sizes.` : '')
  )
  return {
    // S3 and S4 alone (BURST_SCENARIOS=S3,S4, long runs) keep a section of their own, so they do
    // not replace S1 and S2's.
    name: scenarios.every((s) => BIG.includes(s.key)) ? 'Burst at the top of the hour, 10,000 people' : 'Burst at the top of the hour',
    description: `Many meetings starting at one whole minute, known minutes ahead (issue 18): ${scenarios.map((s) => `${s.key} ${s.title}`).join('; ')}. Targets are printed next to the figures.`,
    figures,
    notes
  }
}

if (require.main === module) runStandalone(run)
