import t from 'tap'
import { Redis } from 'ioredis'
import { createUserStore } from '../../src/store/user-store'
import { usePrivateRedis } from '../helpers/redis-server'

const entry = (id: string) => ({ mmUserId: id, email: `${id}@Example.com`, username: id, timeZone: 'Europe/Paris', isSystemAdmin: false })

t.test('directory entries, Graph identity, indexes and removal', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore<{ block: number }, { notify: boolean }>(redis, '{t}')

  await store.upsertFromDirectory([entry('u1'), entry('u2')])
  t.same(await store.enrolledIds(), ['u1', 'u2'])
  t.match(await store.get('u1'), { email: 'u1@example.com', timeZone: 'Europe/Paris', graphUserId: null, mailbox: 'pending', remembered: null, settings: null })

  await store.setGraphIdentity('u1', 'g1', 'ok')
  t.equal(await store.mmIdForGraphId('g1'), 'u1')
  await store.setGraphIdentity('u1', 'g1b', 'ok')
  t.equal(await store.mmIdForGraphId('g1'), null, 'the old Graph id no longer points at the user')
  t.equal(await store.mmIdForGraphId('g1b'), 'u1')

  await store.setSettings('u2', { notify: false })
  t.same((await store.get('u2'))?.settings, { notify: false })
  t.same([...(await store.getMany(['u1', 'u2', 'nobody'])).keys()], ['u1', 'u2'])

  t.equal(await store.remove('u1'), true)
  t.equal(await store.remove('u1'), false)
  t.same(await store.enrolledIds(), ['u2'])
  t.equal(await store.mmIdForGraphId('g1b'), null, 'index entry dropped with the user')
  t.equal(await store.get('u1'), null)
})

t.test('lease and compare-and-set: a decision on an older view is dropped', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore<{ block: number }>(redis, '{t}')
  await store.upsertFromDirectory([entry('u1')])

  const first = await store.lease('u1', 5000)
  t.ok(first, 'first job gets the lease')
  t.equal(await store.lease('u1', 5000), null, 'a second job does not, while the first holds it')
  t.equal(await store.commit(first!, { viewAt: 2000, remembered: { block: 1 }, lastSyncAt: 2100, lastError: null }), 'committed')
  await store.release(first!)

  // A shard that fetched its schedules before the sync-user above (view 1000 < 2000).
  const late = await store.lease('u1', 5000)
  t.equal(await store.commit(late!, { viewAt: 1000, remembered: { block: 99 }, lastSyncAt: 2200, lastError: null }), 'stale-view')
  t.same((await store.get('u1'))?.remembered, { block: 1 }, 'the older decision was not applied')
  t.equal(
    await store.commit(late!, { viewAt: 2000, remembered: { block: 2 }, lastSyncAt: 2300, lastError: null }),
    'committed',
    'the same view may commit again (idempotent re-evaluation)'
  )
  await store.release(late!)

  // A lease that expired and was taken by another job cannot commit any more.
  const short = await store.lease('u1', 50)
  await new Promise((r) => setTimeout(r, 120))
  const other = await store.lease('u1', 5000)
  t.ok(other, 'lease expired, another job took it')
  t.equal(await store.commit(short!, { viewAt: 9000, remembered: { block: 3 }, lastSyncAt: 9000, lastError: null }), 'lease-lost')
  await store.release(short!) // must not release the other job's lease
  t.equal(await store.lease('u1', 5000), null, "releasing an expired lease leaves the new holder's lease alone")
  await store.release(other!)

  await store.recordError('u1', 'graph: 503', 9500)
  t.match(await store.get('u1'), { lastError: 'graph: 503', lastSyncAt: 9500, remembered: { block: 2 } }, 'an error never changes what is remembered')
})

t.test('renewing a lease: only while it is ours; the time left is readable by the next job', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore(redis, '{t}')
  t.equal(await store.leaseRemainingMs('u1'), 0, 'nobody holds it')
  const lease = await store.lease('u1', 1000)
  t.equal(await store.renew(lease!, 60_000), true)
  const left = await store.leaseRemainingMs('u1')
  t.ok(left > 50_000 && left <= 60_000, `renewed to a minute (${left} ms left)`)
  await redis.del('{t}:lease:u1')
  const other = await store.lease('u1', 5000)
  t.equal(await store.renew(lease!, 60_000), false, 'lost: another job holds it now')
  t.ok((await store.leaseRemainingMs('u1')) <= 5000, "the other job's lease is not extended")
  await store.release(other!)
})

t.test('a job finishing after its user left changes nothing', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore(redis, '{t}')
  await store.upsertFromDirectory([entry('u1')])
  const lease = await store.lease('u1', 5000)
  await store.remove('u1')
  t.equal(await store.commit(lease!, { viewAt: 1, remembered: { x: 1 }, lastSyncAt: 1, lastError: null }), 'lease-lost')
  await store.recordError('u1', 'late', 2)
  t.equal(await store.get('u1'), null, 'not resurrected')
})

t.test('lease-free commits of quiet decisions: only while nobody committed or holds the user', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore<{ block: number }>(redis, '{t}')
  await store.upsertFromDirectory(['a', 'b', 'c', 'd', 'e'].map(entry))
  const read = await store.getMany(['a', 'b', 'c', 'd', 'e'])
  t.ok(
    [...read.values()].every((r) => r.rev === 0),
    'a new record is at rev 0'
  )
  const update = (id: string, viewAt = 5000) => ({
    mmUserId: id,
    rev: read.get(id)!.rev,
    viewAt,
    remembered: { block: 7 },
    lastSyncAt: viewAt,
    lastError: null
  })

  // b: another job holds it; c: another job committed since the read; d: left; e: newer view applied.
  const held = await store.lease('b', 5000)
  const other = await store.lease('c', 5000)
  await store.commit(other!, { viewAt: 4000, remembered: { block: 1 }, lastSyncAt: 4000, lastError: null })
  await store.release(other!)
  await store.remove('d')
  const newer = await store.lease('e', 5000)
  await store.commit(newer!, { viewAt: 9000, remembered: { block: 2 }, lastSyncAt: 9000, lastError: null })
  await store.release(newer!)
  // e's commit bumped its rev too; read it again so only the view decides.
  const eNow = (await store.get('e'))!

  const results = await store.commitUnchanged([update('a'), update('b'), update('c'), update('d'), { ...update('e'), rev: eNow.rev }])
  t.same(results, ['committed', 'busy', 'changed', 'gone', 'stale-view'])
  t.match(await store.get('a'), { remembered: { block: 7 }, appliedViewAt: 5000, rev: 1 })
  t.match(await store.get('b'), { remembered: null, rev: 0 }, 'held: untouched')
  t.match(await store.get('c'), { remembered: { block: 1 }, rev: 1 }, "changed: the other job's state kept")
  t.equal(await store.get('d'), null, 'left: not resurrected')
  t.match(await store.get('e'), { remembered: { block: 2 }, appliedViewAt: 9000 }, 'the newer view kept')
  t.same(await store.commitUnchanged([update('a')]), ['changed'], 'a decision commits at most once on the record it read')
  await store.release(held!)
  t.same(await store.commitUnchanged([]), [])
})

t.test("both commit paths keep the decision's reason codes for the admin page", async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore<{ block: number }>(redis, '{t}')
  await store.upsertFromDirectory([entry('u1')])
  t.same((await store.get('u1'))?.lastReasons, [], 'none before the first decision')

  const lease = await store.lease('u1', 5000)
  t.equal(
    await store.commit(lease!, {
      viewAt: 1000,
      remembered: { block: 1 },
      lastSyncAt: 1100,
      lastError: null,
      reasons: ['rule-6-entered', 'rule-15-custom-status-set']
    }),
    'committed'
  )
  await store.release(lease!)
  t.same((await store.get('u1'))?.lastReasons, ['rule-6-entered', 'rule-15-custom-status-set'])

  const rev = (await store.get('u1'))!.rev
  t.same(
    await store.commitUnchanged([
      { mmUserId: 'u1', rev, viewAt: 2000, remembered: { block: 1 }, lastSyncAt: 2100, lastError: null, reasons: ['rule-10-no-change'] }
    ]),
    ['committed']
  )
  t.same((await store.get('u1'))?.lastReasons, ['rule-10-no-change'])

  const again = await store.lease('u1', 5000)
  t.equal(await store.commit(again!, { viewAt: 3000, remembered: null, lastSyncAt: 3100, lastError: null }), 'committed')
  t.same((await store.get('u1'))?.lastReasons, [], 'a commit without reasons leaves none behind')
})

t.test('a person’s own choice, read alone; an answer to Ask first only for someone known', async (t) => {
  const redis = new Redis((await usePrivateRedis(t)).url)
  t.teardown(() => redis.disconnect())
  const store = createUserStore(redis, '{c}')
  t.equal(await store.choiceOf('a'), null, 'no choice yet')
  await store.setChoice('a', 'in')
  await store.setChoice('b', 'out')
  t.same([await store.choiceOf('a'), await store.choiceOf('b')], ['in', 'out'])
  await store.setChoice('a', 'out')
  t.equal(await store.choiceOf('a'), 'out', 'the last choice wins')
  t.equal(await store.setAnswer('ghost', { blockStart: 1, choice: 'yes' }), false, 'nobody known: no record made')
  t.equal(await redis.exists('{c}:user:ghost'), 0)
  await store.upsertFromDirectory([entry('a')])
  t.equal(await store.setAnswer('a', { blockStart: 5, choice: 'no' }), true)
  t.same((await store.get('a'))?.answer, { blockStart: 5, choice: 'no' })
})
