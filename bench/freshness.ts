// End-to-end freshness benchmark: over a compressed "hour" with 1,000 users and
// realistic meetings, how long after each meeting boundary the Mattermost status changes
// (p50, p99, max, missed), and how long after each change notification's delivery.
//
// The service runs on real time (there is no test-only clock), so the hour is compressed
// honestly: meetings start and end on whole minutes, as real calendars have them, and the
// window is the next few whole minutes after enrolment has settled. Boundary i is b1 + i min;
// 35% of people start a meeting at b1 (the top-of-the-hour burst), others at b2 and b3, some
// back-to-back (a seam: no change expected), some ending at each boundary, a few whose meeting
// was cut short (the service itself must restore), a few with free / working-elsewhere entries
// (no status change). During the window ~150 ad-hoc changes go through Graph's change
// notifications: a meeting "starting now" for someone free, or the cancellation of someone's
// ongoing meeting.
//
// Per ceiling (MM_MAX_REQUESTS_PER_SECOND): a private redis-server, the three simulators in
// this process (Graph with REALISTIC_LATENCY, Mattermost 3 ms per call, its DND expiry job on
// whole minutes), and the real processes as the Procfile runs them: one `web` and two `worker`
// (dist/src/main/*.js) with PUBLIC_URL, so Graph subscriptions and notifications work.
// Measured from the Mattermost simulator's history (times on this machine's clock).
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startPrivateRedis, freePort } from '../sim/private-redis'
import { startSimulators, type Simulators } from '../sim/index'
import { REALISTIC_LATENCY } from '../sim/graph/server'
import type { SweepSummary } from '../src/app/sync/sweep'
import { VARIABLES } from '../src/config-variables'
import {
  MAX_EARLY_MS,
  MINUTE,
  MISS_AFTER_MS,
  byUser,
  expectations,
  finalEvents,
  fmtLateness,
  lateness,
  loneMeetingAt,
  measureBoundaries,
  planCalendars,
  seededRandom,
  statusAt,
  type BoundaryResult,
  type Lateness,
  type PlanPerson
} from './_freshness-plan'
import { Fatal, type Figure, queueIdle, runStandalone, single, sleep, waitFor as waitForEvery } from './_shared'
import { serviceEnv, serviceProcesses, type Proc } from './_service-processes'

const PREFIX = '{fresh}'
const USERS = Number(process.env['FRESHNESS_USERS'] ?? 1000)
/** Ceilings in the order they run; the first runs in full, later ones shrink to fit the budget. */
const CEILINGS = (process.env['FRESHNESS_CEILINGS'] ?? '200,20').split(',').map(Number)
// 3 boundaries by default keep `npm run bench` under 15 minutes in all; FRESHNESS_BOUNDARIES=4 for the longer run.
const BOUNDARIES = Number(process.env['FRESHNESS_BOUNDARIES'] ?? 3)
const SHORT_BOUNDARIES = 2
/** The whole run() should stay under ~7 minutes (all benchmarks together: under 15). */
const TIME_BUDGET_MS = Number(process.env['FRESHNESS_TIME_BUDGET_MS'] ?? 7 * MINUTE)
/**
 * The calendars go in before the processes start (a calendar change after enrolment costs a
 * notification and a sync per person), so b1 is fixed in advance: the first whole minute after
 * seeding + this. Enrolment of 1,000 (directory, start-up sweep, 1,000 subscriptions) took
 * 18 s at 200/s and 25 s at 20/s here; a run whose set-up overruns b1 - 5 s fails with that reason.
 */
const SETUP_BUDGET_MS = Number(process.env['FRESHNESS_SETUP_BUDGET_MS'] ?? 40_000)
/** Ad-hoc changes over a full (4-boundary) window; a shorter window gets its share. */
const CREATES_FULL = 110
const CANCELS_FULL = 40
const MM_LATENCY_MS = 3
const WORKERS = 2
const SEED = 20260901
const VERBOSE = process.env['FRESHNESS_VERBOSE'] === '1'

// ---------------------------------------------------------------------------------------------
// Processes: web and workers; all stopped in `finally` and on exit.

const processes = serviceProcesses()
const startProc = (name: string, entry: 'web.js' | 'worker.js', env: Record<string, string>): Proc => processes.start(name, entry, env)

/** The active jobs of a queue: name, reason, since when. */
async function describeActive(q: Queue): Promise<string> {
  const jobs = await q.getJobs(['active'])
  return jobs
    .map(
      (j) =>
        `${j.name} (${(j.data as { reason?: string }).reason ?? '?'}${Array.isArray((j.data as { mmUserIds?: unknown[] }).mmUserIds) ? `, ${(j.data as { mmUserIds: unknown[] }).mmUserIds.length} users` : ''}) active for ${((Date.now() - (j.processedOn ?? Date.now())) / 1000).toFixed(0)} s`
    )
    .join(', ')
}

/** This benchmark polls every 250 ms unless told otherwise. */
const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 250): Promise<T> =>
  waitForEvery(what, timeoutMs, probe, everyMs)

// ---------------------------------------------------------------------------------------------
// One run at one ceiling.

interface Action {
  kind: 'create' | 'cancel'
  person: number
  mmUserId: string
  at: number
  subscriptionId: string
  expect: 'dnd' | 'online'
}

interface ActionResult extends Action {
  /** status change - the delivery's answer (our 202 back at the simulator) */
  fromAnswerMs: number | null
  /** status change - the delivery POST's start */
  fromPostMs: number | null
  /** status change - the calendar change */
  fromChangeMs: number | null
  deliveryLatencyMs: number | null
  missed: boolean
  /** a missed one that landed later in the run: ms after the calendar change */
  lateMs: number | null
}

interface RunResult {
  ceiling: number
  boundaries: number
  b1: number
  setupMs: number
  settledBeforeB1Ms: number
  startupSweeps: string
  boundaryResults: BoundaryResult[]
  seams: number
  seamsInDnd: number
  seamFlickers: number
  actions: ActionResult[]
  actionsPlanned: number
  unexplainedServiceWrites: number
  mmCalls: number
  mmMaxPerSecond: number
  mmThrottled: number
  mmRoutes: Record<string, number>
  graphThrottled: number
  earlyRetries: number
  contractViolations: number
  sweepsInWindow: string[]
  workerWarnings: number
  maintenanceAtSettle: string
  /** maintenance jobs since start: name (reason) and when they ran, relative to b1 */
  maintenanceJobs: string
  loadBefore: number
  loadAfter: number
  /** SIGTERM to exit, per process (exit code 0 only; a process killed after the deadline has none) */
  stopMs: Array<{ name: string; ms: number | null }>
  seconds: number
  error: string | null
  progress: string
}

async function runOnce(ceiling: number, boundaries: number, log: (s: string) => void): Promise<RunResult> {
  const started = Date.now()
  const r: RunResult = {
    ceiling,
    boundaries,
    b1: 0,
    setupMs: 0,
    settledBeforeB1Ms: 0,
    startupSweeps: '',
    boundaryResults: [],
    seams: 0,
    seamsInDnd: 0,
    seamFlickers: 0,
    actions: [],
    actionsPlanned: 0,
    unexplainedServiceWrites: 0,
    mmCalls: 0,
    mmMaxPerSecond: 0,
    mmThrottled: 0,
    mmRoutes: {},
    graphThrottled: 0,
    earlyRetries: 0,
    contractViolations: 0,
    sweepsInWindow: [],
    workerWarnings: 0,
    maintenanceAtSettle: '',
    maintenanceJobs: '',
    loadBefore: loadavg()[0] ?? 0,
    loadAfter: 0,
    stopMs: [],
    seconds: 0,
    error: null,
    progress: 'starting'
  }
  const privateRedis = await startPrivateRedis()
  const redis = new Redis(privateRedis.url, { maxRetriesPerRequest: null })
  redis.on('error', () => undefined)
  const queues = ['sync', 'sweep', 'maintenance'].map((name) => new Queue(name, { connection: redis, prefix: PREFIX }))
  for (const q of queues) q.on('error', () => undefined)
  const [syncQueue, sweepQueue, maintenanceQueue] = queues as [Queue, Queue, Queue]
  const procs: Proc[] = []
  let sims: Simulators | null = null
  try {
    sims = await startSimulators({ graph: { latency: { ...REALISTIC_LATENCY } }, mattermost: { latencyMs: MM_LATENCY_MS } })
    const s = sims
    const service = `api:${s.mattermost.botUserId}`

    // People, then their calendars (before the processes start: no notification for them).
    r.progress = 'seeding'
    const setupAt = Date.now()
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']
    const ids: Array<{ mmUserId: string; graphUserId: string }> = []
    for (let i = 0; i < USERS; i++) {
      const p = s.addPerson({ username: `user${i}`, email: `user${i}@fresh.example`, displayName: `User ${i}`, timeZone: zones[i % zones.length] })
      s.mattermost.driver.presence(p.mmUserId, 'active')
      ids.push(p)
    }
    const b1 = Math.ceil((Date.now() + SETUP_BUDGET_MS) / MINUTE) * MINUTE
    r.b1 = b1
    const random = seededRandom(SEED)
    const people = planCalendars(USERS, b1, setupAt, random)
    for (const p of people) {
      for (const e of p.events)
        e.id = s.graph.driver.addEvent((ids[p.index] as { graphUserId: string }).graphUserId, {
          start: e.start,
          end: e.end,
          showAs: e.showAs,
          subject: e.subject
        }).id
    }
    const { expected, seams } = expectations(people, b1, boundaries)
    r.seams = seams.length
    log(
      `  ${ceiling}/s: ${USERS} people seeded; b1 ${new Date(b1).toISOString()} (in ${((b1 - Date.now()) / 1000).toFixed(0)} s), ${expected.length} expected changes at ${boundaries} boundaries, ${seams.length} seams`
    )

    // The service: one web, two workers.
    r.progress = 'starting processes'
    const port = await freePort()
    const env = serviceEnv(
      { simsEnv: s.env, redisUrl: privateRedis.url, port, prefix: PREFIX },
      { PUBLIC_URL: `http://127.0.0.1:${port}`, SWEEP_INTERVAL_SECONDS: '300', MM_MAX_REQUESTS_PER_SECOND: String(ceiling), SHUTDOWN_TIMEOUT_SECONDS: '5' }
    )
    const web = startProc('web', 'web.js', env)
    procs.push(web)
    // Listening (/healthz): /readyz stays 503 until a worker has upserted the job schedulers.
    await waitFor('web /healthz', 30_000, async () => {
      if (web.exited()) throw new Fatal(`web exited: ${web.output()}`)
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined
    })
    for (let i = 0; i < WORKERS; i++) procs.push(startProc(`worker ${i + 1}`, 'worker.js', env))
    const alive = (): void => {
      for (const p of procs)
        if (p.exited()) throw new Fatal(`${p.name} exited (code ${p.child.exitCode}, signal ${p.child.signalCode}): ${p.output().slice(-2000)}`)
    }

    // Enrolment settles: everyone enrolled with a Graph id, a subscription each, the start-up
    // sweep done (pre-window meetings in DND), no job waiting or running.
    r.progress = 'enrolling'
    let lastLog = Date.now()
    let maintenanceAtSettle = ''
    await waitFor(
      'enrolment',
      Math.max(10_000, b1 - Date.now()),
      async () => {
        alive()
        const [enrolled, resolved] = await Promise.all([redis.scard(`${PREFIX}:enrolled`), redis.hlen(`${PREFIX}:graph-to-mm`)])
        const subs = s.graph.driver.subscriptions().length
        const sweeps = (await redis.lrange(`${PREFIX}:sweeps`, 0, -1)).map((x) => JSON.parse(x) as SweepSummary)
        const counts = await Promise.all(
          queues.map(async (q) => `${q.name} ${JSON.stringify(await q.getJobCounts('active', 'waiting', 'prioritized', 'waiting-children', 'delayed'))}`)
        )
        r.progress = `enrolling: ${enrolled} enrolled, ${resolved} with a Graph id, ${subs} subscriptions, sweeps [${sweeps.map((x) => `${x.users} users/${x.skipped} skipped`).join(', ')}], queues ${counts.join('; ')} after ${((Date.now() - setupAt) / 1000).toFixed(0)} s`
        // >=: the Mattermost simulator's seeded sysadmin is enrolled too (no mailbox: skipped).
        if (VERBOSE && Date.now() - lastLog > 10_000) {
          lastLog = Date.now()
          log(`  ${ceiling}/s: ${r.progress}`)
          log(`    maintenance: ${(await describeActive(maintenanceQueue)) || 'idle'}`)
        }
        if (enrolled < USERS || resolved < USERS || subs < USERS) return undefined
        if (!sweeps.some((x) => x.users - x.skipped >= USERS)) return undefined
        // Sync and sweep idle (wake-ups are delayed jobs); maintenance may still run (see notes).
        for (const q of [syncQueue, sweepQueue]) if (!(await queueIdle(q))) return undefined
        // Each person's subscription in Graph is the one the service holds (so the secret matches).
        const inGraph = new Map(s.graph.driver.subscriptions().map((x) => [x.userId, x.id]))
        const held = await redis.hmget(`${PREFIX}:sub-by-user`, ...ids.map((x) => x.mmUserId))
        if (!ids.every((x, i) => held[i] && held[i] === inGraph.get(x.graphUserId))) return undefined
        r.startupSweeps = sweeps
          .reverse()
          .map((x) => `${x.users} users/${x.changes} changes/${(x.durationMs / 1000).toFixed(1)} s`)
          .join(', ')
        maintenanceAtSettle = await describeActive(maintenanceQueue)
        return true
      },
      250
    )
    // The long pre-window meetings are cut short: the service must restore at the new end.
    r.progress = 'shortening'
    const shortenAt = Date.now()
    const shortened = people.filter((p) => p.shortenTo !== undefined)
    for (const p of shortened)
      s.graph.driver.updateEvent((ids[p.index] as { graphUserId: string }).graphUserId, p.events[0]?.id as string, { end: p.shortenTo })
    await waitFor(
      'the shortened meetings synced',
      Math.max(5_000, b1 - Date.now()),
      async () => {
        alive()
        const synced = await Promise.all(
          shortened.map(async (p) => Number((await redis.hget(`${PREFIX}:user:${(ids[p.index] as { mmUserId: string }).mmUserId}`, 'lastSyncAt')) ?? 0))
        )
        return synced.every((t) => t >= shortenAt) ? true : undefined
      },
      250
    )
    r.setupMs = Date.now() - setupAt
    r.maintenanceAtSettle = maintenanceAtSettle
    r.settledBeforeB1Ms = b1 - Date.now()
    log(
      `  ${ceiling}/s: settled in ${(r.setupMs / 1000).toFixed(1)} s, ${(r.settledBeforeB1Ms / 1000).toFixed(1)} s before b1 (start-up sweeps: ${r.startupSweeps})`
    )
    if (r.settledBeforeB1Ms < 5_000)
      throw new Error(`set-up overran: settled ${(r.settledBeforeB1Ms / 1000).toFixed(1)} s before b1 (raise FRESHNESS_SETUP_BUDGET_MS)`)
    s.mattermost.resetCounters()
    const graphBefore = s.graph.counters()
    const windowStart = Date.now()

    // The window: boundaries happen by themselves; ad-hoc changes go in at random moments.
    r.progress = 'window'
    const bLast = b1 + (boundaries - 1) * MINUTE
    const share = (boundaries - 1) / 3
    const plan: Array<{ kind: 'create' | 'cancel'; at: number }> = []
    for (let i = 0; i < Math.round(CREATES_FULL * share); i++) plan.push({ kind: 'create', at: b1 - 15_000 + random() * (bLast - 5_000 - (b1 - 15_000)) })
    for (let i = 0; i < Math.round(CANCELS_FULL * share); i++) plan.push({ kind: 'cancel', at: b1 + 10_000 + random() * (bLast - 20_000 - (b1 + 10_000)) })
    plan.sort((a, b) => a.at - b.at)
    r.actionsPlanned = plan.length
    const touched = new Map<number, number>()
    const actions: Action[] = []
    const subOf = (graphUserId: string): string => s.graph.driver.subscriptions().find((x) => x.userId === graphUserId)?.id ?? ''
    const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(random() * xs.length)]
    const drive = async (): Promise<void> => {
      for (const a of plan) {
        await sleep(a.at - Date.now())
        alive()
        const now = Date.now()
        if (a.kind === 'create') {
          const p = pick(
            people.filter(
              (x) =>
                x.group === 'free' && !touched.has(x.index) && s.mattermost.driver.status((ids[x.index] as { mmUserId: string }).mmUserId).status === 'online'
            )
          )
          if (!p) continue
          const { mmUserId, graphUserId } = ids[p.index] as { mmUserId: string; graphUserId: string }
          touched.set(p.index, now)
          const subscriptionId = subOf(graphUserId)
          s.graph.driver.addEvent(graphUserId, {
            start: now,
            end: Math.ceil((now + 30 * MINUTE) / MINUTE) * MINUTE,
            showAs: 'busy',
            subject: 'Call starting now'
          })
          actions.push({ kind: 'create', person: p.index, mmUserId, at: now, subscriptionId, expect: 'dnd' })
        } else {
          const candidates: Array<{ p: PlanPerson; eventId: string }> = []
          const history = byUser(s.mattermost.history.statuses)
          for (const p of people) {
            if (touched.has(p.index) || p.events.length === 0) continue
            const e = loneMeetingAt(p, now)
            if (!e || e.end - now < 20_000) continue
            const uid = (ids[p.index] as { mmUserId: string }).mmUserId
            const last = history.get(uid)?.at(-1)
            if (s.mattermost.driver.status(uid).status !== 'dnd' || last?.who !== service || last.to !== 'dnd') continue
            const original = p.events.find((x) => x.start === e.start && x.subject === e.subject)
            if (original?.id) candidates.push({ p, eventId: original.id })
          }
          const c = pick(candidates)
          if (!c) continue
          const { mmUserId, graphUserId } = ids[c.p.index] as { mmUserId: string; graphUserId: string }
          touched.set(c.p.index, now)
          const subscriptionId = subOf(graphUserId)
          s.graph.driver.deleteEvent(graphUserId, c.eventId)
          actions.push({ kind: 'cancel', person: c.p.index, mmUserId, at: now, subscriptionId, expect: 'online' })
        }
      }
    }
    const driving = drive()

    // Measure as we go; stop once everything is resolved or 60 s after the last boundary.
    const userIdOf = (i: number): string => (ids[i] as { mmUserId: string }).mmUserId
    const analyse = (): { boundaries: BoundaryResult[]; actions: ActionResult[] } => {
      const changes = byUser(s.mattermost.history.statuses)
      const current = (uid: string): string => s.mattermost.driver.status(uid).status
      const b = measureBoundaries({ expected, userIdOf, changes, current, service, touchedAt: touched })
      const deliveries = s.graph.history.deliveries
      const acts = actions.map((a): ActionResult => {
        const first = (changes.get(a.mmUserId) ?? []).find((c) => c.time >= a.at && c.to === a.expect && c.who === service)
        const change = first && first.time <= a.at + MISS_AFTER_MS ? first : undefined
        const d = deliveries.find(
          (x) => x.kind === 'notification' && x.status >= 200 && x.status < 300 && x.time >= a.at && x.items.some((i) => i.subscriptionId === a.subscriptionId)
        )
        if (!change)
          return {
            ...a,
            fromAnswerMs: null,
            fromPostMs: null,
            fromChangeMs: null,
            deliveryLatencyMs: d?.latencyMs ?? null,
            missed: true,
            lateMs: first ? first.time - a.at : null
          }
        return {
          ...a,
          lateMs: null,
          fromAnswerMs: d ? change.time - d.time : null,
          fromPostMs: d ? Math.round(change.time - (d.time - d.latencyMs)) : null,
          fromChangeMs: change.time - a.at,
          deliveryLatencyMs: d?.latencyMs ?? null,
          missed: false
        }
      })
      return { boundaries: b, actions: acts }
    }
    await waitFor(
      'the window',
      bLast + MISS_AFTER_MS + 5_000 - Date.now(),
      async () => {
        alive()
        const now = Date.now()
        if (now >= bLast + MISS_AFTER_MS) return true
        if (now < bLast + 2_000 || now < plan.reduce((m, a) => Math.max(m, a.at), 0) + 2_000) return undefined
        const a = analyse()
        const open = a.boundaries.some((x) => x.delayMs === null && !x.notApplicable) || a.actions.some((x) => x.missed)
        return open ? undefined : true
      },
      1000
    )
    await driving
    r.progress = 'analysing'
    const final = analyse()
    r.boundaryResults = final.boundaries
    r.actions = final.actions

    // Seams: people in the service's DND 1 s before a back-to-back seam (and untouched by the
    // ad-hoc path) must get no service write away from DND in [seam - 1 s, seam + 60 s].
    const changes = byUser(s.mattermost.history.statuses)
    for (const seam of seams) {
      if (touched.has(seam.person)) continue
      const uid = userIdOf(seam.person)
      const list = changes.get(uid) ?? []
      if (statusAt(list, seam.at - 1000, s.mattermost.driver.status(uid).status) !== 'dnd') continue
      r.seamsInDnd++
      if (list.some((c) => c.who === service && c.to !== 'dnd' && c.time >= seam.at - 1000 && c.time <= seam.at + MISS_AFTER_MS)) r.seamFlickers++
    }
    // Service writes in the window that no boundary or ad-hoc change explains (late ones count as explained).
    const explained = new Set<string>()
    for (const b of final.boundaries) {
      const d = b.delayMs ?? b.lateMs
      if (d !== null) explained.add(`${userIdOf(b.person)}@${b.at + d}`)
    }
    for (const a of final.actions) {
      const d = a.fromChangeMs ?? a.lateMs
      if (d !== null) explained.add(`${a.mmUserId}@${a.at + d}`)
    }
    const touchedUser = new Map([...touched].map(([i, t]) => [userIdOf(i), t]))
    const unexplained = s.mattermost.history.statuses.filter(
      (c) => c.who === service && c.time >= windowStart && !explained.has(`${c.userId}@${c.time}`) && !(c.time >= (touchedUser.get(c.userId) ?? Infinity))
    )
    r.unexplainedServiceWrites = unexplained.length
    if (VERBOSE) {
      const personOf = new Map(ids.map((x, i) => [x.mmUserId, i]))
      for (const c of unexplained.slice(0, 20)) {
        const p = people[personOf.get(c.userId) ?? -1]
        log(
          `    unexplained: ${p?.group} person ${p?.index} ${c.from}->${c.to} at b1+${((c.time - b1) / 1000).toFixed(1)} s; touched ${touched.has(p?.index ?? -1)}; events ${JSON.stringify(finalEvents(p as PlanPerson).map((e) => [(e.start - b1) / 1000, (e.end - b1) / 1000, e.showAs]))}`
        )
      }
    }

    const mm = s.mattermost.counters()
    r.mmCalls = mm.total
    r.mmMaxPerSecond = mm.maxRequestsPerSecond
    r.mmThrottled = mm.throttled
    r.mmRoutes = mm.requests
    const g = s.graph.counters()
    r.graphThrottled = g.throttled - graphBefore.throttled
    r.earlyRetries = g.earlyRetries
    r.contractViolations = s.mattermost.contractViolations.length
    r.sweepsInWindow = (await redis.lrange(`${PREFIX}:sweeps`, 0, -1))
      .map((x) => JSON.parse(x) as SweepSummary)
      .filter((x) => x.startedAt >= windowStart)
      .map(
        (x) =>
          `${x.users} users, ${x.changes} changes, ${(x.durationMs / 1000).toFixed(1)} s, at b1${x.startedAt - b1 >= 0 ? '+' : ''}${((x.startedAt - b1) / 1000).toFixed(0)} s`
      )
    const rel = (t: number | undefined): string => (t ? `b1${t - b1 >= 0 ? '+' : ''}${((t - b1) / 1000).toFixed(0)} s` : '?')
    r.maintenanceJobs = (await maintenanceQueue.getJobs(['completed', 'failed', 'active']))
      .sort((a, b) => (a.processedOn ?? 0) - (b.processedOn ?? 0))
      .map((j) => `${j.name} (${(j.data as { reason?: string }).reason ?? '?'}) ${rel(j.processedOn)} to ${j.finishedOn ? rel(j.finishedOn) : 'still running'}`)
      .join(', ')
    // Warnings and errors, less the two every start logs here (http:// PUBLIC_URL, msal's "no client info").
    r.workerWarnings = procs.reduce(
      (n, p) =>
        n +
        p
          .output()
          .split('\n')
          .filter((l) => /"level":(40|50|60)/.test(l) && !/PUBLIC_URL is http|"msal"/.test(l)).length,
      0
    )
    r.progress = 'done'
    log(`  ${ceiling}/s: ${summaryLine(r)}`)
  } catch (err) {
    r.error = `${(err as Error).message} (at: ${r.progress})`
    log(`  ${ceiling}/s: FAILED ${r.error}`)
    for (const p of procs) if (p.output().trim()) log(`  ${p.name} output (tail): ${p.output().slice(-1500)}`)
  } finally {
    // Workers first, then the web (as a platform stops a release); each timed from its SIGTERM.
    for (const p of [...procs].reverse()) {
      const signalled = Date.now()
      await p.stop().catch(() => undefined)
      r.stopMs.push({ name: p.name, ms: p.child.exitCode === 0 ? Date.now() - signalled : null })
    }
    await sims?.stop().catch(() => undefined)
    for (const q of queues) await q.close().catch(() => undefined)
    redis.disconnect()
    await privateRedis.stop().catch(() => undefined)
    rmSync(privateRedis.dir, { recursive: true, force: true })
    r.loadAfter = loadavg()[0] ?? 0
    r.seconds = (Date.now() - started) / 1000
  }
  return r
}

// ---------------------------------------------------------------------------------------------
// Figures.

interface Digest {
  starts: Lateness
  ends: Lateness
  /** ends Mattermost restored itself (the DND end time the service set): about 0 ms, by design */
  endsByExpiry: number
  endsByService: number
  counted: number
  notApplicable: number
  notif: Lateness
  notifFromPost: Lateness
  notifFromChange: Lateness
  notifNoDelivery: number
}

/** Lateness of one kind of boundary, misses counted (see `lateness`). */
function boundaryLateness(xs: readonly BoundaryResult[]): Lateness {
  return lateness(
    xs.filter((b) => b.delayMs !== null).map((b) => b.delayMs as number),
    xs.filter((b) => b.delayMs === null).length
  )
}

function digest(r: RunResult): Digest {
  const counted = r.boundaryResults.filter((b) => !b.notApplicable)
  const ends = counted.filter((b) => b.kind === 'end')
  const missedActs = r.actions.filter((a) => a.missed).length
  // A landed change with no 2xx delivery record has no delivery time: left out of the two
  // delivery-based figures (and said so), kept in the one from the calendar change.
  const delivered = r.actions.filter((a) => !a.missed && a.fromAnswerMs !== null)
  return {
    starts: boundaryLateness(counted.filter((b) => b.kind === 'start')),
    ends: boundaryLateness(ends),
    endsByExpiry: ends.filter((b) => b.delayMs !== null && b.who === 'expiry').length,
    endsByService: ends.filter((b) => b.delayMs !== null && b.who !== 'expiry').length,
    counted: counted.length,
    notApplicable: r.boundaryResults.length - counted.length,
    notif: lateness(
      delivered.map((a) => a.fromAnswerMs as number),
      missedActs
    ),
    notifFromPost: lateness(
      delivered.map((a) => a.fromPostMs as number),
      missedActs
    ),
    notifFromChange: lateness(
      r.actions.filter((a) => !a.missed).map((a) => a.fromChangeMs as number),
      missedActs
    ),
    notifNoDelivery: r.actions.filter((a) => !a.missed && a.fromAnswerMs === null).length
  }
}

function summaryLine(r: RunResult): string {
  const x = digest(r)
  return `starts -> DND ${fmtLateness(x.starts)}; ends -> status back ${fmtLateness(x.ends)}; notification delivered -> status ${fmtLateness(x.notif)}`
}

function perBoundary(r: RunResult): string {
  const parts: string[] = []
  for (let i = 0; i < r.boundaries; i++) {
    const at = r.boundaryResults.filter((b) => b.boundaryIndex === i && !b.notApplicable)
    const p = (xs: BoundaryResult[]): string => {
      const missed = xs.filter((b) => b.delayMs === null)
      const late = missed.filter((b) => b.lateMs !== null).map((b) => b.lateMs as number)
      const never = missed.length - late.length
      const after = missed.length
        ? ` (of the missed: ${late.length ? `${late.length} landed later, the last at +${(Math.max(...late) / 1000).toFixed(0)} s` : ''}${late.length && never ? ', ' : ''}${never ? `${never} not by the end of the run` : ''})`
        : ''
      return xs.length ? `${xs.length}: ${fmtLateness(boundaryLateness(xs))}${after}` : '0'
    }
    parts.push(`b${i + 1}: starts ${p(at.filter((b) => b.kind === 'start'))}; ends ${p(at.filter((b) => b.kind === 'end'))}`)
  }
  return parts.join(' | ')
}

/**
 * The figures of one lateness: p50, p99, max (a percentile on a miss is "> 60000 ms"), the share
 * missed, and for starts the earliest write and how many came more than 60 s early.
 */
function latenessFigures(figures: Record<string, Figure>, label: string, l: Lateness, early: boolean): void {
  if (l.n === 0) return
  for (const [k, q] of [
    ['p50', l.p50],
    ['p99', l.p99],
    ['max', l.max]
  ] as const)
    figures[`${label}: ${k}`] = single(q.ms, 'ms', q.over)
  figures[`${label}: missed (nothing within ${MISS_AFTER_MS / 1000} s)`] = single(l.missed, `of ${l.n} (${((100 * l.missed) / l.n).toFixed(0)}%)`)
  if (early && !Number.isNaN(l.earliest)) {
    figures[`${label}: earliest write (negative = before the start)`] = single(l.earliest, 'ms')
    figures[`${label}: written more than ${MAX_EARLY_MS / 1000} s early`] = single(l.tooEarly, 'people')
  }
}

export async function run(): Promise<{ name: string; description: string; figures: Record<string, Figure>; notes: string[] }> {
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`)
  }
  const started = Date.now()
  const results: RunResult[] = []
  for (const [i, ceiling] of CEILINGS.entries()) {
    let boundaries = BOUNDARIES
    if (i > 0) {
      // Fit the budget: a run takes about what the first took (+ a longer tail when slow).
      const left = TIME_BUDGET_MS - (Date.now() - started)
      const full = (results[0]?.seconds ?? 300) * 1000 + 45_000
      if (left < full) boundaries = SHORT_BOUNDARIES
      log(
        `  ${((Date.now() - started) / 1000).toFixed(0)} s used, ${(left / 1000).toFixed(0)} s left: ${boundaries === BOUNDARIES ? 'full run' : `short run (${boundaries} boundaries)`} at ${ceiling}/s`
      )
    }
    results.push(await runOnce(ceiling, boundaries, log))
  }

  const figures: Record<string, Figure> = {}
  const one = (v: number, unit: string): Figure => single(v, unit)
  const notes: string[] = []
  for (const r of results) {
    const L = `MM ceiling ${r.ceiling}/s${r.boundaries < BOUNDARIES ? ` (short: ${r.boundaries} boundaries)` : ''}`
    if (r.error) {
      notes.push(`${L}: did not complete: ${r.error}.`)
      continue
    }
    const x = digest(r)
    latenessFigures(figures, `${L}: meeting start -> service's DND write (from the start)`, x.starts, true)
    latenessFigures(figures, `${L}: meeting end -> status back, by the service or Mattermost's DND expiry (from the end)`, x.ends, false)
    latenessFigures(figures, `${L}: notification -> status (from our 202 answer to Graph's delivery)`, x.notif, false)
    figures[`${L}: Mattermost calls in the busiest 1 s`] = one(r.mmMaxPerSecond, `calls (ceiling ${r.ceiling})`)
    // Shutdown: SIGTERM to a clean exit (0); a process still running at the 15 s deadline is killed and has no figure.
    const stops = (kind: string): number[] => r.stopMs.filter((x) => x.name.startsWith(kind) && x.ms !== null).map((x) => x.ms as number)
    if (stops('web').length) figures[`${L}: SIGTERM to exit, web`] = one(Math.max(...stops('web')), 'ms')
    if (stops('worker').length) figures[`${L}: SIGTERM to exit, slowest worker`] = one(Math.max(...stops('worker')), 'ms')
    const creates = r.actions.filter((a) => a.kind === 'create').length
    notes.push(
      `${L}: ${x.counted} boundary changes counted (${x.starts.n} starts, ${x.ends.n} ends; ${x.notApplicable} ends left out because their start never turned the user to DND; boundaries after an ad-hoc change to the same person left out); ` +
        `missed ${x.starts.missed} starts, ${x.ends.missed} ends. Ends were restored by Mattermost's DND expiry (the DND end time the service set, at about 0 ms by design) ${x.endsByExpiry} times and by the service ${x.endsByService} times (meetings cut short): the end figures are mostly Mattermost's, which is why starts are reported apart. Per boundary: ${perBoundary(r)}.`
    )
    const burst = r.boundaryResults.filter((b) => b.boundaryIndex === 0 && b.kind === 'start' && !b.notApplicable)
    const burstLanded = burst.map((b) => b.delayMs ?? b.lateMs)
    if (burst.length && burstLanded.every((d) => d !== null))
      figures[`${L}: b1 burst (${burst.length} meetings start): last DND applied after`] = one(Math.max(...burstLanded), 'ms')
    else
      notes.push(
        `${L}: the b1 burst (${burst.length} meetings start) was not fully applied by the end of the run: ${burstLanded.filter((d) => d === null).length} people never got their DND (a 1-2 minute meeting can be over before the backlog reaches its person; then nothing is written, rightly).`
      )
    const reads = (r.mmRoutes['POST /api/v4/users/status/ids'] ?? 0) + (r.mmRoutes['POST /api/v4/users/ids'] ?? 0)
    notes.push(
      `${L}: ${reads} of the ${r.mmCalls} Mattermost calls in the window were the two bulk reads each single-person sync (wake-up or notification) makes; a status write costs the rest (status, custom status, DM channel, post): under the ceiling, about 6 calls per person entering a meeting.`
    )
    const lateActs = r.actions.filter((a) => a.missed && a.lateMs !== null).map((a) => a.lateMs as number)
    notes.push(
      `${L}: ad-hoc changes through notifications: ${r.actions.length} of ${r.actionsPlanned} planned (${creates} meetings starting now for someone free and online, ${r.actions.length - creates} cancellations of an ongoing meeting with the service's DND on; a planned one with no fitting person is skipped); ` +
        `delay, misses counted as more than ${MISS_AFTER_MS / 1000} s: from the delivery's answer (our 202 back at the simulator, the figures above): ${fmtLateness(x.notif)}; from the delivery POST's start: ${fmtLateness(x.notifFromPost)}; from the calendar change: ${fmtLateness(x.notifFromChange)}; landed but no 2xx delivery record found (left out of the two delivery figures) ${x.notifNoDelivery}; of the ${x.notif.missed} missed, ${lateActs.length} landed later${lateActs.length ? ` (by +${(Math.max(...lateActs) / 1000).toFixed(0)} s after the calendar change)` : ''}.`
    )
    notes.push(
      `${L}: back-to-back seams ${r.seams} (${r.seamsInDnd} with the user already in DND 1 s before), service writes away from DND at those seams (flicker) ${r.seamFlickers}; service status writes in the window not explained by a boundary or an ad-hoc change (late ones count as explained; people's writes after their ad-hoc change are left out): ${r.unexplainedServiceWrites}. ` +
        `Mattermost during the window: ${r.mmCalls} calls, at most ${r.mmMaxPerSecond} in any 1 s, ${r.mmThrottled} 429s, ${r.contractViolations} contract violations (${Object.entries(
          r.mmRoutes
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(
            ', '
          )}); Graph 429s ${r.graphThrottled}, early retries ${r.earlyRetries}; sweeps in the window: ${r.sweepsInWindow.join('; ') || 'none'}; maintenance jobs: ${r.maintenanceJobs || 'none'}${r.maintenanceAtSettle ? ` (at settle still active: ${r.maintenanceAtSettle})` : ''}; other warn/error log lines from the processes (last 8 kB of each): ${r.workerWarnings}.`
    )
    notes.push(
      `${L}: set-up (seeding to settled: ${USERS} enrolled, ${USERS} subscriptions, start-up sweeps ${r.startupSweeps}) ${(r.setupMs / 1000).toFixed(0)} s, settled ${(r.settledBeforeB1Ms / 1000).toFixed(0)} s before b1; whole run ${r.seconds.toFixed(0)} s; 1-minute load average ${r.loadBefore.toFixed(1)} before, ${r.loadAfter.toFixed(1)} after.`
    )
  }
  notes.push(
    `"A simulated hour", compressed: the service runs on real time, so the window is ${BOUNDARIES} consecutive whole minutes (b1..b${BOUNDARIES}) right after enrolment; each minute stands for a top-of-the-hour or half-hour boundary, and a 1-2 minute meeting for a 30-60 minute one. The load at a boundary is real (35% of 1,000 people start at b1, 15% at b2, ...); what is compressed is the quiet time between boundaries, so a backlog from one boundary can still be draining at the next (at a real hour it would have 30 minutes to drain): at a low ceiling, b1's figures are what a real top of the hour gives, while the later boundaries also carry b1's backlog and look worse than a real hour would. Lateness = the first change to the expected status minus the boundary (the meeting's start or end in the calendar, not the calendar change that made it); for a start the first service DND write from 10 minutes before the start (or the end of the person's previous meeting, if later) counts, so a DND written early is negative lateness; for an end, from 1 s before (ends are never early). Starts count only the service's writes (who = api:<bot>), ends also Mattermost's DND expiry, which the simulator runs on whole minutes like the server's job. Nothing within ${MISS_AFTER_MS / 1000} s after the boundary = missed, and a missed change counts in the percentiles as later than every one that landed: a percentile that falls on a miss is printed "> 60000 ms".`,
    `Machine noise: the web, two workers, redis-server, the three simulators and this process share 2 cores with other sessions; a single run per ceiling, so read the figures as one sample (run again for a median). Times are the simulators' history timestamps on the same clock.`,
    `Anchor for comparison (the existing Mattermost calendar plugin): it polls every 5 minutes, sets DND up to 10 minutes early and restores the status up to 5 minutes late: errors of minutes at every boundary, however few users.`
  )
  return {
    name: 'Freshness (end to end)',
    description:
      `${USERS} people over a compressed hour (${BOUNDARIES} whole-minute boundaries) against the real web + 2 worker processes, the simulators (Graph REALISTIC_LATENCY, Mattermost ${MM_LATENCY_MS} ms per call) and a private redis-server, PUBLIC_URL set (subscriptions and notifications over HTTP), SWEEP_INTERVAL_SECONDS=300, LOG_LEVEL=warn. ` +
      `Calendars: 35% start a meeting at b1, 15% at b2, 8% at b3 (1-2 minutes, some back-to-back, some with a gap), 3% in a meeting since before enrolment that ends at b1/b2, 3% whose long meeting is cut short to b1/b2 just before the window, 3% with free / working-elsewhere entries, the rest free. ` +
      `Ad-hoc changes during the window via Graph change notifications: ~${CREATES_FULL} meetings "starting now" for free people and ~${CANCELS_FULL} cancellations of ongoing meetings. ` +
      `Each ceiling (MM_MAX_REQUESTS_PER_SECOND ${CEILINGS.join(' and ')}) is one fresh run; every figure is a single run, labelled with its Mattermost ceiling (the default is ${VARIABLES.MM_MAX_REQUESTS_PER_SECOND.default}/s) and with what its delay is measured from.`,
    figures,
    notes
  }
}

if (require.main === module) runStandalone(run)
