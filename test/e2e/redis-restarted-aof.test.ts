import t from 'tap'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startService } from '../helpers/service'
import { httpStatus, loggedUrl, waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'
import { createUserStore } from '../../src/store/user-store'
import { createDefaultsStore } from '../../src/store/defaults-store'
import { cohortJobId } from '../../src/queue/create-job-queue'

// redis-server crashes (SIGKILL) while the service is busy and is started again on the same port
// with its AOF (appendonly yes, appendfsync everysec: Redis writes each command to the file before
// it answers, so a crash of the Redis process loses nothing it acknowledged; everysec's fsync
// only bounds what a crash of the whole machine could lose, to about a second, without an fsync
// per write as `always` costs). The web and worker reconnect without a restart; no user state,
// setting, subscription or pending wake-up is lost; a wake-up scheduled before the crash fires
// after it. No sweep runs during the test (every 10 minutes): what applies the meeting boundary
// is the wake-up.

const QUIET = 150
const SETTINGS = 10
const LOAD = 40

t.test('redis-server killed and restarted with AOF under load: nothing lost, everyone reconnects, the next boundary is applied', async (t) => {
  const quiet: Person[] = []
  const settingsPeople: Person[] = []
  const load: Person[] = []
  let wake: Person | undefined
  const T0 = Date.now()
  const svc = await startService(t, {
    workers: 1,
    appendfsync: 'everysec',
    // No pre-roll (MAX_EARLY_SECONDS=0): the on-time run of a cohort scheduled before the crash
    // is what must fire after it.
    env: { SWEEP_INTERVAL_SECONDS: '600', MM_MAX_REQUESTS_PER_SECOND: '300', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info', MAX_EARLY_SECONDS: '0' },
    // Graph retries a notification the web could not take for hours; the simulator's default
    // (3 retries in 0.7 s) would give up while Redis restarts.
    sims: { graph: { deliveryRetries: 8 } },
    before: (sims) => {
      const add = (name: string, into: Person[]): Person => {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
        const p = { name, ...ids }
        into.push(p)
        return p
      }
      // A meeting in two hours each: a pending wake-up each, at its start.
      for (let i = 0; i < QUIET; i++) {
        const p = add(`quiet${i}`, quiet)
        sims.graph.driver.addEvent(p.graphUserId, { start: T0 + 2 * 60 * MINUTE, end: T0 + 3 * 60 * MINUTE, showAs: 'busy', subject: 'Later' })
      }
      for (let i = 0; i < SETTINGS; i++) add(`settings${i}`, settingsPeople)
      for (let i = 0; i < LOAD; i++) add(`load${i}`, load)
      wake = add('wake', [])
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-8000))
  })
  const W = wake!
  const p = svc.prefix
  const worker = svc.workers[0]!
  const workerReadyz = (await loggedUrl(worker, 'worker metrics listening', 30 * S)).replace(/\/metrics$/, '/readyz')
  // The test's own clients: fail fast while Redis is away (the writer below must know).
  const redis = new Redis(svc.redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 })
  redis.on('error', () => undefined)
  const queueConnection = new Redis(svc.redis.url, { maxRetriesPerRequest: null })
  queueConnection.on('error', () => undefined)
  const queues = ['sync', 'sweep', 'maintenance'].map((name) => new Queue(name, { connection: queueConnection, prefix: p }))
  for (const q of queues) q.on('error', () => undefined) // while Redis is away
  t.teardown(async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)))
    queueConnection.disconnect()
    redis.disconnect()
  })
  const [syncQueue] = queues as [Queue]
  const users = createUserStore<unknown, { pausedUntil?: number }>(redis, p)
  const defaults = createDefaultsStore<{ mergeGapMinutes: number }>(redis, p)
  const everyone = [...quiet, ...settingsPeople, ...load, W]

  // Settled: everyone subscribed and synced, the enrolment sweep done, nothing queued but wake-ups.
  await waitFor('everyone subscribed', 90 * S, async () => ((await redis.hlen(`${p}:sub-by-user`)) >= everyone.length ? true : undefined))
  await waitFor('a completed sweep', 90 * S, async () => ((await redis.llen(`${p}:sweeps`)) > 0 ? true : undefined))
  await waitFor('the queues idle', 90 * S, async () => {
    for (const q of queues) {
      const c = await q.getJobCounts('waiting', 'active', 'prioritized')
      if ((c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['prioritized'] ?? 0) > 0) return undefined
    }
    // Wake-ups wait for their instant, and the inbox's drain runs every 15 s whatever happens.
    const delayed = await syncQueue.getJobs(['delayed'])
    return delayed.some((j) => j.name !== 'wake-cohort' && j.name !== 'drain-inbox') ? undefined : true
  })
  await waitFor('a wake-up for each quiet user', 30 * S, async () => {
    const markers = await redis.mget(quiet.map((q) => `${p}:wake-at:${q.mmUserId}`))
    return markers.every((m) => m !== null) ? true : undefined
  })
  await defaults.set({ mergeGapMinutes: 7 })

  // wake's meeting: its wake-up is scheduled (through the notification of the new event) before the crash.
  const start = Date.now() + 45 * S
  const end = start + 20 * S
  sims.graph.driver.addEvent(W.graphUserId, { start, end, showAs: 'busy', subject: 'After the crash' })
  await waitFor("wake's wake-up at her meeting's start", 30 * S, async () =>
    (await redis.get(`${p}:wake-at:${W.mmUserId}`)) === String(start) && (await syncQueue.getJobState(cohortJobId(start, 'on-time'))) === 'delayed'
      ? true
      : undefined
  )

  // What must survive: every quiet user's record, wake-up marker and job, subscription; the
  // schedulers; the enrolled set and identities.
  const snapshot = async () => {
    const out: Record<string, unknown> = {}
    for (const q of quiet) {
      const at = await redis.get(`${p}:wake-at:${q.mmUserId}`)
      const subId = await redis.hget(`${p}:sub-by-user`, q.mmUserId)
      out[q.name] = {
        record: await redis.hgetall(`${p}:user:${q.mmUserId}`),
        wakeAt: at,
        wakeJob: at ? await syncQueue.getJobState(cohortJobId(Number(at), 'on-time')) : null,
        sub: subId ? await redis.hgetall(`${p}:sub:${subId}`) : null
      }
    }
    out['enrolled'] = (await redis.smembers(`${p}:enrolled`)).sort()
    out['graph-to-mm'] = await redis.hgetall(`${p}:graph-to-mm`)
    out['schedulers'] = await Promise.all([
      queues[1]!.getJobScheduler('sweep'),
      queues[2]!.getJobScheduler('directory'),
      queues[2]!.getJobScheduler('subscriptions')
    ])
    return out
  }
  const before = await snapshot()

  // Load: meetings starting now for 40 people, one every 100 ms (each a notification, a sync, a
  // DND, a custom status and a message), and settings written as fast as Redis acknowledges them.
  let loadAdded = 0
  const loading = (async () => {
    for (const l of load) {
      const now = Date.now()
      sims.graph.driver.addEvent(l.graphUserId, { start: now - MINUTE, end: now + 30 * MINUTE, showAs: 'busy', subject: 'Busy' })
      loadAdded += 1
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const acked = new Map<string, number>()
  const inFlight = new Map<string, number>()
  let writing = true
  const writer = (async () => {
    for (let n = 1; writing; n++) {
      const who = settingsPeople[n % SETTINGS]!.mmUserId
      inFlight.set(who, n)
      try {
        await users.setSettings(who, { pausedUntil: n })
        acked.set(who, n)
      } catch {
        return // Redis is gone: what was in flight may or may not have been written
      }
    }
  })()

  await waitFor('the load under way', 30 * S, async () => (loadAdded >= 10 && acked.size === SETTINGS ? true : undefined))
  const killedAt = Date.now()
  await svc.redis.stop('SIGKILL')
  await waitFor('web /readyz 503 without Redis', 30 * S, async () => ((await httpStatus(`${svc.webUrl}/readyz`)) === 503 ? true : undefined))
  await waitFor('worker /readyz 503 without Redis', 30 * S, async () => ((await httpStatus(workerReadyz)) === 503 ? true : undefined))
  // Down long enough that Graph's notifications are refused (the web answers 503; Graph retries).
  await waitFor('a notification refused while Redis is away', 30 * S, async () =>
    sims.graph.history.deliveries.some((d) => d.kind === 'notification' && d.time > killedAt && d.status === 503) ? true : undefined
  )
  await svc.redis.restart()
  const restartedAt = Date.now()
  writing = false
  await writer
  t.ok(restartedAt < start - 10 * S, `Redis was back (${((start - restartedAt) / 1000).toFixed(1)} s) before wake's meeting starts`)

  const readyAt = await waitFor('web /readyz 200 again', 60 * S, async () => ((await httpStatus(`${svc.webUrl}/readyz`)) === 200 ? Date.now() : undefined))
  await waitFor('worker /readyz 200 again', 60 * S, async () => ((await httpStatus(workerReadyz)) === 200 ? true : undefined))
  t.equal(svc.web.child.exitCode, null, 'the web process did not restart')
  t.equal(worker.child.exitCode, null, 'the worker process did not restart')
  await waitFor('the test client back', 30 * S, async () => ((await redis.ping().catch(() => null)) === 'PONG' ? true : undefined))

  t.same(await snapshot(), before, 'records, wake-ups (markers and jobs), subscriptions, schedulers, enrolment: all there, unchanged')
  t.same(await defaults.get(), { mergeGapMinutes: 7 }, "the admin's defaults are there")
  const records = await users.getMany(settingsPeople.map((s) => s.mmUserId))
  for (const s of settingsPeople) {
    const stored = records.get(s.mmUserId)?.settings?.pausedUntil
    const ok = stored === acked.get(s.mmUserId) || stored === inFlight.get(s.mmUserId)
    t.ok(ok, `${s.name}: the last acknowledged setting is there (stored ${stored}, acknowledged ${acked.get(s.mmUserId)})`)
  }

  // The load converges: every notification was taken (Graph retried the refused ones) or its job ran again.
  await loading
  const loadDone = await waitFor('every load user in DND', 150 * S, async () =>
    load.every((l) => sims.mattermost.driver.status(l.mmUserId).status === 'dnd') ? Date.now() : undefined
  ).catch(async (err: unknown) => {
    // Who is missing, and what their record and jobs say: the next failure explains itself.
    for (const l of load.filter((x) => sims.mattermost.driver.status(x.mmUserId).status !== 'dnd')) {
      const record = await redis.hgetall(`${p}:user:${l.mmUserId}`)
      const jobs = (await syncQueue.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed'])).filter(
        (j) => (j.data as { userId?: string }).userId === l.mmUserId || ((j.data as { userIds?: string[] }).userIds ?? []).includes(l.mmUserId)
      )
      t.comment(
        `${l.name}: ${sims.mattermost.driver.status(l.mmUserId).status}; lastError ${record['lastError'] ?? ''}; lastSyncAt ${record['lastSyncAt'] ?? ''}; jobs ${JSON.stringify(await Promise.all(jobs.map(async (j) => [j.name, j.id, await j.getState(), j.attemptsMade, j.failedReason])))}`
      )
    }
    throw err
  })

  // wake's boundary after the restart: DND at the start by the wake-up job scheduled before the crash.
  const dndAt = await waitForStatus(sims, W, 'dnd', restartedAt, 120 * S)
  t.ok(dndAt >= start - 50, `wake: DND not before her meeting (${dndAt - start} ms after its start)`)
  const wakeJob = await waitFor('the wake-up job done', 60 * S, async () => {
    const state = await syncQueue.getJobState(cohortJobId(start, 'on-time'))
    return state === 'completed' || state === 'failed' ? state : undefined
  })
  t.equal(wakeJob, 'completed', 'by the wake-up scheduled before the crash')
  const backAt = await waitForStatus(sims, W, 'online', dndAt, 120 * S)
  t.ok(backAt >= end - 50, 'online again at its end')

  const ours = byService(sims)
  for (const person of everyone) {
    const dndOverDnd = statusChanges(sims, person.mmUserId).filter((c) => ours(c.who) && c.from === 'dnd' && c.to === 'dnd')
    if (dndOverDnd.length > 0) t.fail(`${person.name}: DND over DND`)
  }
  const dmsPerChannel = new Map<string, number>()
  for (const post of sims.mattermost.history.posts.filter((x) => x.kind === 'create'))
    dmsPerChannel.set(post.channelId, (dmsPerChannel.get(post.channelId) ?? 0) + 1)
  t.equal([...dmsPerChannel.values()].filter((n) => n > 1).length, 0, `nobody got two messages (${dmsPerChannel.size} got one)`)
  t.equal(dmsPerChannel.size, LOAD + 1, 'a message for each load user and for wake')

  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  t.comment(
    `(for information, not checked) Redis down ${secs(restartedAt - killedAt)} (kill to restarted, AOF loaded); after the restart: web /readyz 200 in ${secs(readyAt - restartedAt)}, all ${LOAD} load users in DND in ${secs(loadDone - restartedAt)}; wake DND ${dndAt - start} ms after her meeting's start`
  )
})
