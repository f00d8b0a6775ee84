import t from 'tap'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { startService } from '../helpers/service'
import { httpStatus, loggedUrl, waitFor } from '../helpers/processes'
import { byService, MINUTE, type Person, S, statusChanges, waitForStatus } from '../helpers/statuses'
import { createSubscriptionStore } from '../../src/store/subscription-store'
import type { Simulators } from '../../sim/index'

// Redis loses all its data (FLUSHALL) while the service runs: the job schedulers, users,
// subscriptions and wake-ups are gone. The worker notices the schedulers missing (its periodic
// check, twice per sweep interval), restores them and enrols everyone again, which subscribes
// and syncs them; /readyz is 503 until the schedulers are back. How soon is printed, not checked
// against the clock.

const SWEEP_SECONDS = 20

const subOf = (sims: Simulators, p: Person) => sims.graph.driver.subscriptions().filter((s) => s.userId === p.graphUserId)

t.test('FLUSHALL: schedulers back, /readyz red then green, everyone converged and subscribed again', async (t) => {
  const people: Record<string, Person> = {}
  const T0 = Date.now()
  const svc = await startService(t, {
    workers: 1,
    env: { SWEEP_INTERVAL_SECONDS: String(SWEEP_SECONDS), WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info' },
    before: (sims) => {
      for (const name of ['alice', 'carol', 'dave', 'erin']) {
        const ids = sims.addPerson({ username: name, email: `${name}@example.com`, timeZone: 'Europe/Berlin' })
        people[name] = { name, ...ids }
        sims.mattermost.driver.presence(ids.mmUserId, 'active')
      }
      // alice is in a meeting through the whole test; carol's starts well after the flush (her
      // wake-up, scheduled before it, is lost with it).
      sims.graph.driver.addEvent(people['alice']!.graphUserId, { start: T0 - MINUTE, end: T0 + 30 * MINUTE, showAs: 'busy', subject: 'Offsite' })
      sims.graph.driver.addEvent(people['carol']!.graphUserId, { start: T0 + 100 * S, end: T0 + 115 * S, showAs: 'busy', subject: 'Sync' })
    }
  })
  const { sims } = svc
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-8000))
  })
  const P = (name: string) => people[name]!
  const everyone = Object.values(people)
  const worker = svc.workers[0]!
  const workerReadyz = (await loggedUrl(worker, 'worker metrics listening', 30 * S)).replace(/\/metrics$/, '/readyz')
  const redis = new Redis(svc.redis.url, { maxRetriesPerRequest: null })
  const queues = ['sweep', 'maintenance'].map((name) => new Queue(name, { connection: redis, prefix: svc.prefix }))
  t.teardown(async () => {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)))
    redis.disconnect()
  })
  const [sweepQueue, maintenanceQueue] = queues as [Queue, Queue]
  const schedulersThere = async (): Promise<boolean> =>
    Boolean(
      (await sweepQueue.getJobScheduler('sweep')) &&
      (await maintenanceQueue.getJobScheduler('directory')) &&
      (await maintenanceQueue.getJobScheduler('subscriptions'))
    )
  const store = createSubscriptionStore(redis, svc.prefix)
  const subscribed = async (): Promise<boolean> => {
    for (const p of everyone) {
      const ours = await store.byUser(p.mmUserId)
      if (!ours || !subOf(sims, p).some((s) => s.id === ours.id)) return false
    }
    return true
  }

  // Running: everyone subscribed, alice in DND, a sweep completed, ready.
  await waitFor('a subscription for everyone', 30 * S, async () => ((await subscribed()) ? true : undefined))
  await waitForStatus(sims, P('alice'), 'dnd', T0, 30 * S)
  await waitFor('a completed sweep', 60 * S, async () => ((await redis.llen(`${svc.prefix}:sweeps`)) > 0 ? true : undefined))
  await waitFor('web /readyz 200', 30 * S, async () => ((await httpStatus(`${svc.webUrl}/readyz`)) === 200 ? true : undefined))
  t.equal(await httpStatus(workerReadyz), 200, 'the worker is ready')
  const subsBefore = new Map(await Promise.all(everyone.map(async (p) => [p.name, (await store.byUser(p.mmUserId))!.id] as const)))
  // alice's message goes after the statuses of her sync (docs/architecture.md#messages-after-statuses):
  // counted before the flush, not after it.
  await waitFor("alice's message", 30 * S, async () => (sims.mattermost.history.posts.some((x) => x.kind === 'create') ? true : undefined))
  const dmsBefore = sims.mattermost.history.posts.filter((x) => x.kind === 'create').length
  const enrolledBefore = await redis.scard(`${svc.prefix}:enrolled`)

  // The worker is held (SIGSTOP) across the flush, so the red /readyz is seen whatever the phase
  // of its periodic check; it resumes at once.
  worker.child.kill('SIGSTOP')
  await redis.flushall()
  const webReadyz = await fetch(`${svc.webUrl}/readyz`)
  t.equal(webReadyz.status, 503, 'web /readyz is 503 after the flush')
  t.same(await webReadyz.json(), { status: 'unavailable', reason: 'schedulers missing' }, 'with a generic reason')
  t.notOk(await schedulersThere(), 'the schedulers are gone')
  const workerOutput = worker.output().length
  worker.child.kill('SIGCONT')
  const flushedAt = Date.now()

  // A meeting that starts now for dave: its notification comes on a subscription Redis no longer
  // knows; only the recovery (enrolment again, then a sync) can put him in DND.
  sims.graph.driver.addEvent(P('dave').graphUserId, { start: flushedAt - MINUTE, end: flushedAt + 30 * MINUTE, showAs: 'busy', subject: 'Incident call' })

  const restoredAt = await waitFor('the schedulers back', 120 * S, async () => ((await schedulersThere()) ? Date.now() : undefined))
  const readyAt = await waitFor('web /readyz 200 again', 120 * S, async () => ((await httpStatus(`${svc.webUrl}/readyz`)) === 200 ? Date.now() : undefined))
  t.equal(await httpStatus(workerReadyz), 200, 'the worker is ready again')
  t.match(worker.output().slice(workerOutput), /job schedulers missing from Redis/, 'the worker logged the loss')
  t.match(worker.output().slice(workerOutput), /"why":"periodic"/, 'found by its periodic check')

  const daveDnd = await waitForStatus(sims, P('dave'), 'dnd', flushedAt, 120 * S)
  const subscribedAt = await waitFor('a new subscription for everyone', 120 * S, async () => ((await subscribed()) ? Date.now() : undefined))
  for (const p of everyone) t.not((await store.byUser(p.mmUserId))?.id, subsBefore.get(p.name), `${p.name}: a new subscription`)
  t.equal(await redis.scard(`${svc.prefix}:enrolled`), enrolledBefore, 'everyone enrolled again')

  // carol's meeting: DND at its start (not before), online after its end.
  const carolStart = T0 + 100 * S
  const carolDnd = await waitForStatus(sims, P('carol'), 'dnd', flushedAt, 180 * S)
  t.ok(carolDnd >= carolStart - 50, `carol: DND not before her meeting (${carolDnd - carolStart} ms)`)
  const carolBack = await waitForStatus(sims, P('carol'), 'online', carolDnd, 120 * S)
  t.ok(carolBack >= carolStart + 15 * S - 50, 'carol: online after it')
  t.equal(sims.mattermost.driver.status(P('alice').mmUserId).status, 'dnd', 'alice is still in DND')
  t.equal(sims.mattermost.driver.status(P('erin').mmUserId).status, 'online', 'erin, with no meeting, online')

  // A new sweep completed, and the age metric counts from it.
  const summary = await waitFor('a sweep completed after the flush', 120 * S, async () => {
    const last = await redis.lindex(`${svc.prefix}:sweeps`, 0)
    return last ? (JSON.parse(last) as { finishedAt: number }) : undefined
  })
  const metrics = await (await fetch(workerReadyz.replace(/\/readyz$/, '/metrics'))).text()
  const age = Number(/^calstatus_sweep_last_completed_age_seconds\{[^}]*\} (\S+)$/m.exec(metrics)?.[1])
  t.ok(age >= 0 && age <= (Date.now() - summary.finishedAt) / 1000, `the sweep age metric counts from the last sweep (${age} s)`)

  const ours = byService(sims)
  for (const p of everyone) {
    t.equal(statusChanges(sims, p.mmUserId).filter((c) => ours(c.who) && c.from === 'dnd' && c.to === 'dnd').length, 0, `${p.name}: never DND over DND`)
  }
  // One message each for dave's and carol's meetings; none again for alice, whose DND was set
  // before the flush (the rule engine takes it as hers now: rule 3).
  const after = sims.mattermost.history.posts.filter((x) => x.kind === 'create').slice(dmsBefore)
  t.equal(after.length, 2, `two messages after the flush: dave and carol (${JSON.stringify(after.map((x) => x.message.slice(0, 70)))})`)
  if (after.length !== 2)
    for (const p of everyone) t.comment(`${p.name}: ${JSON.stringify(statusChanges(sims, p.mmUserId).map((c) => [c.time - flushedAt, c.from, c.to, c.who]))}`)
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  t.comment(
    `(for information, not checked; sweep interval ${SWEEP_SECONDS} s, check every ${SWEEP_SECONDS / 2} s) after the flush: schedulers back ${secs(restoredAt - flushedAt)}, /readyz 200 ${secs(readyAt - flushedAt)}, dave in DND ${secs(daveDnd - flushedAt)}, everyone subscribed again ${secs(subscribedAt - flushedAt)}; carol DND ${carolDnd - carolStart} ms after her start`
  )
})
