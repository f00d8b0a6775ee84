import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, S } from '../helpers/statuses'

// Longer than the suite's 300 s per file (.taprc): real meetings run their course here.
t.setTimeout(600_000)

// The fault suite, Mattermost under pressure: 2,000 people whose meetings start at the same
// minute, Mattermost's own rate limiter on and lower than the service's ceiling (so it answers 429
// with its X-Ratelimit-* and Retry-After headers), then Mattermost unreachable for a minute
// (every connection reset) just after the start. Everyone must be in DND once it is back, the
// service's ceiling must hold at the server, and no DND may land over a DND.

const N = 2000
const CEILING = 150

t.test(
  `Mattermost answering 429 and then down for a minute during a ${N}-person meeting start: everyone set after recovery, the ceiling held, no DND over DND`,
  async (t) => {
    const T0 = Date.now()
    const start = Math.ceil((T0 + 75 * S) / MINUTE) * MINUTE
    const end = start + 20 * MINUTE
    const ids: string[] = []
    const svc = await startService(t, {
      workers: 2,
      // No pre-roll (MAX_EARLY_SECONDS=0): the burst comes at the start, once the limiter is on.
      env: { SWEEP_INTERVAL_SECONDS: '30', MM_MAX_REQUESTS_PER_SECOND: String(CEILING), MAX_EARLY_SECONDS: '0' },
      before: (sims) => {
        for (let i = 0; i < N; i++) {
          const p = sims.addPerson({ username: `user${i}`, email: `user${i}@contoso.example` })
          sims.mattermost.driver.presence(p.mmUserId, 'active')
          sims.graph.driver.addEvent(p.graphUserId, { start, end, showAs: 'busy', subject: 'All-hands' })
          ids.push(p.mmUserId)
        }
      }
    })
    const { sims } = svc
    const mm = sims.mattermost.driver
    const ours = byService(sims)
    t.teardown(() => {
      if (!t.passing()) t.comment(svc.output().slice(-6000))
    })
    // Settled before the start: nobody in DND yet.
    await waitFor('the start', start - Date.now() + 10 * S, async () => (Date.now() >= start - 2 * S ? true : undefined))
    t.equal(ids.filter((id) => mm.status(id).status === 'dnd').length, 0, 'nobody in DND before the start')
    sims.mattermost.resetCounters()
    mm.setRateLimit({ perSec: 100, maxBurst: 100 })

    // A few seconds into the burst, Mattermost goes away for a minute.
    await waitFor('the burst to be under way', 60 * S, async () => (ids.some((id) => mm.status(id).status === 'dnd') ? true : undefined))
    await new Promise((resolve) => setTimeout(resolve, 3 * S))
    const inDndAtOutage = ids.filter((id) => mm.status(id).status === 'dnd').length
    mm.injectFaults(1_000_000_000, { reset: true })
    await new Promise((resolve) => setTimeout(resolve, MINUTE))
    mm.clearFaults()
    const recoveredAt = Date.now()

    const everyone = await waitFor(`all ${N} in DND`, 8 * MINUTE, async () => (ids.every((id) => mm.status(id).status === 'dnd') ? Date.now() : undefined))
    const counters = sims.mattermost.counters()
    t.comment(
      `(for information) ${inDndAtOutage} in DND when Mattermost went down; everyone ${((everyone - recoveredAt) / 1000).toFixed(0)} s after it came back; ${counters.throttled} answers 429; busiest second at the server: ${counters.maxRequestsPerSecond} requests (it counts requests when it handles them, so its own event-loop lag bunches them)`
    )
    // The ceiling learns the limiter's rate from its X-Ratelimit-* headers (docs/mattermost.md):
    // 429s stay rare (how each is handled is tested in test/mattermost).
    t.ok(counters.throttled <= counters.total * 0.01, `at most 1% answered 429 (${counters.throttled} of ${counters.total})`)
    t.ok(
      counters.maxRequestsPerSecondOver5s <= CEILING,
      `the ceiling held at the server (${counters.maxRequestsPerSecondOver5s} ≤ ${CEILING} a second over any 5 s)`
    )
    const dnd = sims.mattermost.history.statuses.filter((c) => c.to === 'dnd' && ours(c.who))
    t.equal(dnd.filter((c) => c.from === 'dnd').length, 0, 'never DND over DND')
    t.equal(dnd.filter((c) => c.prevStatus === 'dnd').length, 0, 'Mattermost never remembers dnd as the status to restore')
    t.ok(
      ids.every((id) => mm.status(id).dnd_end_time === end / 1000),
      'every DND ends with the meeting'
    )
  }
)
