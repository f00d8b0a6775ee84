import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { REALISTIC_LATENCY } from '../../sim/graph/server'

// Issue 7: "a worker killed with SIGKILL in the middle of a sweep -> every user converges within
// the next minute, no user gets two DMs". The worker dies without releasing anything: its shard
// jobs stall (BullMQ hands them out again), its user leases expire (30 s), and the next sweep
// (every 10 s here) covers everyone anyway.

const N = 800
const S = 1000

t.test('SIGKILL in the middle of a sweep: everyone converges within a minute, nobody gets two DMs', async (t) => {
  const now = Date.now()
  const ids: string[] = []
  const svc = await startService(t, {
    workers: 1,
    env: { SWEEP_INTERVAL_SECONDS: '10', MM_MAX_REQUESTS_PER_SECOND: '300' },
    sims: { graph: { latency: REALISTIC_LATENCY } },
    before: (sims) => {
      for (let i = 0; i < N; i++) {
        const p = sims.addPerson({ username: `user${i}`, email: `user${i}@contoso.example` })
        sims.mattermost.driver.presence(p.mmUserId, 'active')
        sims.graph.driver.addEvent(p.graphUserId, { start: now - 5 * 60 * S, end: now + 20 * 60 * S, showAs: 'busy', subject: 'All-hands' })
        ids.push(p.mmUserId)
      }
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-4000))
  })
  const bot = `api:${sims.mattermost.botUserId}`
  const dndWrites = () => sims.mattermost.history.statuses.filter((c) => c.who === bot && c.to === 'dnd').length

  // Kill the only worker once the first sweep is writing, well before it is done.
  await waitFor('the sweep to start writing', 60 * S, async () => (dndWrites() >= 40 ? true : undefined))
  const written = dndWrites()
  t.ok(written < N, `killed after ${written} of ${N} DND writes`)
  const killedAt = Date.now()
  await svc.workers[0]!.stop('SIGKILL')
  await svc.addWorker()

  const converged = await waitFor('every user in DND', 75 * S, async () => {
    const behind = ids.filter((id) => sims.mattermost.driver.status(id).status !== 'dnd')
    return behind.length === 0 ? Date.now() : undefined
  })
  t.ok(converged - killedAt <= 60 * S, `every user in DND ${((converged - killedAt) / 1000).toFixed(1)} s after the kill`)

  // Give stalled jobs time to run again (BullMQ's stalled check runs every 30 s), then look
  // at what everyone received.
  await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 45 * S - Date.now())))
  const dmsPerUser = new Map<string, number>()
  for (const post of sims.mattermost.history.posts.filter((p) => p.kind === 'create')) {
    dmsPerUser.set(post.channelId, (dmsPerUser.get(post.channelId) ?? 0) + 1)
  }
  const twice = [...dmsPerUser.values()].filter((n) => n > 1).length
  t.equal(twice, 0, `no user got two DMs (${dmsPerUser.size} got one)`)
  const dndOverDnd = sims.mattermost.history.statuses.filter((c) => c.who === bot && c.from === 'dnd' && c.to === 'dnd')
  t.equal(dndOverDnd.length, 0, 'never DND over DND')
  const writes = sims.mattermost.history.statuses.filter((c) => c.who === bot).length
  t.ok(writes <= N + 5, `${writes} status writes for ${N} users: the restarted work did not write again`)
})
