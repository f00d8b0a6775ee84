// Graph schedules benchmark: schedules of 1,000 and 10,000 people fetched with the
// real createGraphAdapter (msal-node token, getSchedule x 20 addresses, 20 per $batch, batches
// in parallel) against the Graph simulator with REALISTIC_LATENCY (a full batch of 400 people
// takes about 1.2 s). Figures: wall time, HTTP requests and token requests as the simulators
// counted them, and the speed-up over the same adapter sending one batch at a time, measured in
// the same run (the seed only estimated it: 37.5 s). Target: 10,000 in under 5 s with
// ceil(N/400) HTTP requests.
//
// The simulators run in this process; the adapter runs in a child process started with
// NODE_EXTRA_CA_CERTS (bench/_graph-bench.ts), so `npm run bench` needs no special start.
import { figure, startGraphBench, type Figure } from './_graph-bench'

const RUNS = 3
const SIZES = [1000, 10_000] as const

export async function run(): Promise<{ name: string; description: string; figures: Record<string, Figure>; notes: string[] }> {
  const bench = await startGraphBench(Math.max(...SIZES))
  try {
    const emails = bench.people.map((p) => p.email)
    // Warm-up (not measured): module loading, JIT, msal's metadata.
    await bench.ours(emails.slice(0, 1000))

    const wall: Record<number, number[]> = {}
    const http: Record<number, number[]> = {}
    const tokens: Record<number, number[]> = {}
    const retries: Record<number, number[]> = {}
    const batchFailures: Record<number, number[]> = {}
    const notes: string[] = []
    const failureNotes: string[] = []
    let concurrency = 0
    for (let r = 0; r < RUNS; r++) {
      for (const n of SIZES) {
        const a = await bench.ours(emails.slice(0, n))
        if (a.scheduled !== n) throw new Error(`${n} people: only ${a.scheduled} schedules (${a.failed} failed)`)
        if (a.counts.http !== a.httpRequests) throw new Error(`the adapter counted ${a.httpRequests} HTTP requests, the simulator ${a.counts.http}`)
        ;(wall[n] ??= []).push(a.wallMs / 1000)
        ;(http[n] ??= []).push(a.counts.http)
        ;(tokens[n] ??= []).push(a.counts.tokenRequests)
        ;(retries[n] ??= []).push(a.retries + a.counts.throttled)
        ;(batchFailures[n] ??= []).push(Object.values(a.batchErrors).reduce((x, y) => x + y, 0))
        for (const [message, count] of Object.entries(a.batchErrors))
          failureNotes.push(`Run ${r + 1}, ${n} people: ${count} whole batch(es) failed: ${message}`)
        concurrency = a.maxConcurrentBatches
      }
    }
    // The same adapter one batch at a time, once (about 30 s): the concurrency's share, measured.
    const oneAtATime = await bench.ours(emails, 1)
    if (oneAtATime.scheduled !== 10_000) throw new Error(`one at a time: only ${oneAtATime.scheduled} schedules`)
    const w10k = wall[10_000] as number[]
    const figures: Record<string, Figure> = {
      'wall time, 1,000 people': figure(wall[1000] as number[], 's'),
      'wall time, 10,000 people': figure(w10k, 's'),
      'HTTP requests to Graph, 1,000 people': figure(http[1000] as number[], 'requests'),
      'HTTP requests to Graph, 10,000 people': figure(http[10_000] as number[], 'requests'),
      'token requests, 1,000 people': figure(tokens[1000] as number[], 'requests'),
      'token requests, 10,000 people': figure(tokens[10_000] as number[], 'requests'),
      'item retries + 429s, 10,000 people': figure(retries[10_000] as number[], 'count'),
      'whole-batch failures, 10,000 people': figure(batchFailures[10_000] as number[], 'count'),
      'wall time, 10,000 people, one batch at a time': figure([oneAtATime.wallMs / 1000], 's'),
      [`speed-up of ${concurrency} batches in flight over one at a time, 10,000 people`]: figure(
        w10k.map((s) => oneAtATime.wallMs / 1000 / s),
        'x'
      )
    }
    notes.push(
      `Simulator: REALISTIC_LATENCY (40 ms per request + 10 ms per address: one $batch of 20 getSchedules x 20 addresses takes about 1.2 s, Graph runs 4 of a batch at a time), default throttling (4 concurrent and 10,000 per 10 minutes per mailbox). ${RUNS} runs per size, interleaved, after one unmeasured warm-up.`,
      `Configured concurrency: GRAPH_MAX_CONCURRENT_BATCHES = ${concurrency} (default 10) $batch requests in flight, 400 people each; 10,000 people = ${Math.ceil(10_000 / 400)} batches, so about ${Math.ceil(10_000 / 400 / Math.max(1, concurrency))} waves of ~1.2 s. Target: under 5 s with ceil(N/400) = ${Math.ceil(1000 / 400)} / ${Math.ceil(10_000 / 400)} HTTP requests.`,
      `One batch at a time (the same adapter with maxConcurrentBatches 1, one run after the others): ${(oneAtATime.wallMs / 1000).toFixed(1)} s for 10,000 people, ${oneAtATime.counts.http} HTTP requests; the seed had estimated 37.5 s. Measured median at ${concurrency} in flight ${w10k.length ? figure(w10k, 's').median.toFixed(2) : '?'} s.`,
      'Each run uses a fresh adapter (as a new worker would): its wall time includes the client-credentials token from the identity simulator, and the token figure shows that the concurrent batches share that one token request.',
      "HTTP requests are the Graph simulator's count of outer requests (every route), checked equal to the adapter's own count; token requests are the identity simulator's count of token endpoint calls. The adapter runs in a child process that trusts the simulators' CA via NODE_EXTRA_CA_CERTS; the simulators run in the benchmark process (2 shared cores: noisy)."
    )
    notes.push(...failureNotes)
    return {
      name: 'Graph schedules',
      description:
        'Schedules of 1,000 and 10,000 people with the real Graph adapter against the Graph simulator at realistic latency: wall time, HTTP and token requests, and the speed-up over the same adapter sending one batch at a time (same run).',
      figures,
      notes
    }
  } finally {
    await bench.stop()
  }
}
