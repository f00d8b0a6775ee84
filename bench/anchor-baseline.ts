// The anchor's approach as a baseline, in the same run. The Mattermost Microsoft
// Calendar plugin reads one user per request (GET /users/{id}/calendarView for the window),
// 20 such requests per $batch, batches one after another, every 5 minutes. That access pattern
// (bench/_graph-bench-client.ts `baseline`) and our fetchSchedules (getSchedule x 20 addresses,
// 20 per $batch, 10 batches in flight) read the same 10,000 people from the same Graph simulator
// (REALISTIC_LATENCY, default throttling) one after the other; figures: both sweep times, both
// HTTP request counts, and the ratios baseline / ours. The anchor sends one batch at a time and
// ours 10: ours also runs one batch at a time, so the ratio splits into what batching does (20
// people per getSchedule, equal concurrency) and what concurrency does (ours 1 against ours 10).
import { figure, startGraphBench, type Figure } from './_graph-bench'

const USERS = 10_000
const OURS_RUNS = 3
/** The baseline takes minutes: run it once at the full size if it fits this budget. */
const BASELINE_BUDGET_MS = 180_000
/** After this many users, project the full time; over budget: stop and extrapolate linearly. */
const BASELINE_CHECK_AFTER = 2_000
/** The plugin's period between two full reads. */
const ANCHOR_PERIOD_S = 300

export async function run(): Promise<{ name: string; description: string; figures: Record<string, Figure>; notes: string[] }> {
  const bench = await startGraphBench(USERS)
  try {
    const emails = bench.people.map((p) => p.email)
    const ids = bench.people.map((p) => p.id)
    // Warm-up of both clients (not measured).
    await bench.ours(emails.slice(0, 1000))
    await bench.baseline(ids.slice(0, 200), { budgetMs: 60_000, checkAfterUsers: 200 })

    const ours: Array<Awaited<ReturnType<typeof bench.ours>>> = []
    const oursOneAtATime: Array<Awaited<ReturnType<typeof bench.ours>>> = []
    const oursRun = async (): Promise<void> => {
      for (const [into, concurrency] of [
        [ours, undefined],
        [oursOneAtATime, 1]
      ] as const) {
        const a = await bench.ours(emails, concurrency)
        if (a.scheduled !== USERS) throw new Error(`ours: only ${a.scheduled} of ${USERS} schedules`)
        into.push(a)
      }
    }
    // Ours (at its configured concurrency and at one batch at a time) before and after the
    // baseline, so drift on the shared machine hits both.
    await oursRun()
    const base = await bench.baseline(ids, { budgetMs: BASELINE_BUDGET_MS, checkAfterUsers: BASELINE_CHECK_AFTER })
    for (let i = 1; i < OURS_RUNS; i++) await oursRun()

    if (base.failedUsers > 0) throw new Error(`baseline: ${base.failedUsers} users failed`)
    const measuredFull = base.users === USERS
    const scale = USERS / base.users
    const baseWallS = (base.wallMs / 1000) * scale
    const baseHttp = base.counts.http * scale
    const baseInner = base.counts.inner * scale
    const oursWall = ours.map((a) => a.wallMs / 1000)
    const oneAtATimeWall = oursOneAtATime.map((a) => a.wallMs / 1000)
    const concurrency = ours[0]?.maxConcurrentBatches ?? 0
    const oursHttp = ours.map((a) => a.counts.http)
    const oursInner = ours.map((a) => a.counts.inner)

    const figures: Record<string, Figure> = {
      'baseline sweep time, 10,000 people (one batch at a time)': figure([baseWallS], 's'),
      [`our sweep time, 10,000 people (${concurrency} batches in flight)`]: figure(oursWall, 's'),
      'our sweep time, 10,000 people (one batch at a time, as the anchor)': figure(oneAtATimeWall, 's'),
      [`sweep time ratio, both causes (baseline one at a time / ours ${concurrency} in flight)`]: figure(
        oursWall.map((s) => baseWallS / s),
        'x'
      ),
      'sweep time ratio at equal concurrency, from batching alone (baseline / ours, both one batch at a time)': figure(
        oneAtATimeWall.map((s) => baseWallS / s),
        'x'
      ),
      [`sweep time ratio from concurrency alone (ours one at a time / ours ${concurrency} in flight, same round)`]: figure(
        oursWall.map((s, i) => (oneAtATimeWall[i] as number) / s),
        'x'
      ),
      'baseline HTTP requests to Graph, 10,000 people': figure([baseHttp], 'requests'),
      'our HTTP requests to Graph, 10,000 people': figure(oursHttp, 'requests'),
      'HTTP request ratio (baseline / ours)': figure(
        oursHttp.map((h) => baseHttp / h),
        'x'
      ),
      'baseline Graph requests inside batches (calendarView pages)': figure([baseInner], 'requests'),
      'our Graph requests inside batches (getSchedule)': figure(oursInner, 'requests'),
      'Graph request ratio inside batches (baseline / ours)': figure(
        oursInner.map((n) => baseInner / n),
        'x'
      ),
      'baseline sweep share of its 5-minute period': figure([(baseWallS / ANCHOR_PERIOD_S) * 100], '%')
    }
    const notes = [
      `Same simulator, same run, same 10,000 people and window (a minute back, 25 hours ahead); REALISTIC_LATENCY: 40 ms per request, + 10 ms per address of a getSchedule, + 2 ms per event of a calendarView page; Graph runs 4 requests of a batch at a time. People have 0 to 6 meetings in the window, one in a hundred 12 (a second calendarView page at Graph's default of 10 per page), so the baseline reads ${base.pages} pages for ${base.users} people (${base.events} events).`,
      `Baseline: one client-credentials token (${base.counts.tokenRequests} token request, ${base.tokenMs.toFixed(0)} ms) and plain fetch; GET /users/{id}/calendarView per person, 20 per $batch, batches strictly one after another, nextLink pages queued into the next batch, 429 items retried after Retry-After (${base.throttledItems} seen). Ours: the real createGraphAdapter (GRAPH_MAX_CONCURRENT_BATCHES = ${concurrency}, and 1 for the equal-concurrency figures), ${OURS_RUNS} rounds of both, one before and the rest after the baseline.`,
      `Two causes: the baseline asks Graph once per person (calendarView, 20 to a $batch) where ours asks once per 20 people (getSchedule with 20 addresses, 20 to a $batch): ${figure(
        oneAtATimeWall.map((s) => baseWallS / s),
        'x'
      ).median.toFixed(1)}x at equal concurrency; and ours keeps ${concurrency} batches in flight where the anchor waits for each: ${figure(
        oursWall.map((s, i) => (oneAtATimeWall[i] as number) / s),
        'x'
      ).median.toFixed(1)}x more. The two multiply to the ratio with both.`,
      measuredFull
        ? `The baseline was measured at the full 10,000 people (one run, ${baseWallS.toFixed(1)} s; median = min = max).`
        : `The baseline would have taken over ${BASELINE_BUDGET_MS / 1000} s, so it was measured on the first ${base.users} people (${(base.wallMs / 1000).toFixed(1)} s, ${base.counts.http} HTTP requests) and scaled linearly to 10,000 (x${scale.toFixed(2)}); batches run one after another, so time and requests grow linearly with people.`,
      `The anchor repeats its read every ${ANCHOR_PERIOD_S} s: at this latency its sweep of 10,000 people uses ${((baseWallS / ANCHOR_PERIOD_S) * 100).toFixed(0)}% of that period; ours ${figure(oursWall, 's').median.toFixed(1)} s. Graph's throttling counts requests per mailbox: the baseline spends one request (or more, with paging) per person, ours one per 20 people.`,
      "Both clients run in one child process that trusts the simulators' CA via NODE_EXTRA_CA_CERTS; the simulators run in the benchmark process. 2 shared cores: noisy, read the ratios."
    ]
    for (const a of ours) for (const [message, count] of Object.entries(a.batchErrors)) notes.push(`ours: ${count} whole batch(es) failed: ${message}`)
    return {
      name: 'Anchor baseline: one user per calendarView',
      description:
        "The Mattermost Microsoft Calendar plugin's access pattern (one calendarView per person, 20 per $batch, batches one after another) against our fetchSchedules, 10,000 people, same Graph simulator and run: sweep times, HTTP and Graph requests, ratios baseline / ours.",
      figures,
      notes
    }
  } finally {
    await bench.stop()
  }
}
