// Child process of bench/sweep.ts (the leading "_" keeps the bench runner from running it as a
// benchmark): the identity, Graph and Mattermost simulators in their own process, so their CPU
// is not on the measuring process's event loop and can be read apart (process.cpuUsage()).
// Started with fork(); driven over IPC, one request at a time, each answered with
// `{ id, ok: true, value }` or `{ id, ok: false, error }`:
//   { cmd: 'start' }                       -> { env }              (sims.env for the workers)
//   { cmd: 'seed', n }                     -> { people }           n people, all online in Mattermost
//   { cmd: 'meetings', share, endMs }      -> { users }            a meeting now for that share of people
//   { cmd: 'counters' }                    -> { graph, mattermost } the simulators' counters
//   { cmd: 'reset' }                       -> {}                   counters and records cleared
//   { cmd: 'usage' }                       -> { cpuSeconds, rssMB } this process
//   { cmd: 'stop' }                        -> exits
import { REALISTIC_LATENCY } from '../sim/graph/server'
import { startSimulators, type Simulators } from '../sim/index'

/** A few ms per Mattermost call (the "a few ms per Mattermost call"). */
export const MM_LATENCY_MS = 5

interface Request {
  id: number
  cmd: string
  n?: number
  share?: number
  endMs?: number
}

let sims: Simulators | null = null
const people: Array<{ mmUserId: string; graphUserId: string }> = []

async function handle(req: Request): Promise<unknown> {
  switch (req.cmd) {
    case 'start': {
      sims = await startSimulators({
        graph: { latency: { ...REALISTIC_LATENCY } },
        // No DND expiry timer: meetings here outlast the run; nothing expires mid-measure.
        // No seeded `sysadmin`: it has no mailbox and would make N + 1 enrolled users.
        mattermost: { latencyMs: MM_LATENCY_MS, dndExpiryPeriodMs: 0, seedAdmin: false }
      })
      return { env: sims.env }
    }
    case 'seed': {
      const s = need()
      const n = req.n ?? 0
      const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']
      for (let i = people.length; i < n; i++) {
        const ids = s.addPerson({
          username: `user${i}`,
          email: `user${i}@bench.example`,
          displayName: `User ${i}`,
          timeZone: zones[i % zones.length]
        })
        s.mattermost.driver.presence(ids.mmUserId, 'active')
        people.push(ids)
      }
      // The presence changes above are not what the benchmark measures.
      s.mattermost.resetRecords()
      return { people: people.length }
    }
    case 'meetings': {
      const s = need()
      const share = req.share ?? 0
      const now = Date.now()
      const end = req.endMs ?? now + 2 * 3600_000
      // Spread over the population (every k-th person), so every shard has its share.
      const step = share > 0 ? Math.max(1, Math.round(1 / share)) : 0
      let users = 0
      if (step > 0) {
        for (let i = 0; i < people.length; i += step) {
          s.graph.driver.addEvent((people[i] as { graphUserId: string }).graphUserId, {
            start: now - 10 * 60_000,
            end,
            showAs: 'busy',
            subject: 'Quarterly planning'
          })
          users++
        }
      }
      return { users }
    }
    case 'counters': {
      const s = need()
      return { graph: s.graph.counters(), mattermost: s.mattermost.counters(), contractViolations: s.mattermost.contractViolations.length }
    }
    case 'reset': {
      const s = need()
      s.graph.resetCounters()
      s.mattermost.resetCounters()
      s.mattermost.resetRecords()
      return {}
    }
    case 'usage': {
      const u = process.cpuUsage()
      return { cpuSeconds: (u.user + u.system) / 1e6, rssMB: process.memoryUsage().rss / 2 ** 20 }
    }
    case 'stop': {
      if (sims) await sims.stop()
      sims = null
      setImmediate(() => process.exit(0))
      return {}
    }
    default:
      throw new Error(`unknown command ${req.cmd}`)
  }
}

function need(): Simulators {
  if (!sims) throw new Error('simulators not started')
  return sims
}

process.on('message', (m: Request) => {
  handle(m).then(
    (value) => process.send?.({ id: m.id, ok: true, value }),
    (err: unknown) => process.send?.({ id: m.id, ok: false, error: (err as Error).stack ?? String(err) })
  )
})
process.on('disconnect', () => {
  const stopping = sims ? sims.stop() : Promise.resolve()
  void stopping.finally(() => process.exit(0))
})
