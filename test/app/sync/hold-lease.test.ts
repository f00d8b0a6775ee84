import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { holdLease, LeaseLostError } from '../../../src/app/sync/hold-lease'
import { createUserStore } from '../../../src/store/user-store'
import { usePrivateRedis } from '../../helpers/redis-server'

/** A private Redis and the user store on it. */
async function setup(t: Test) {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const users = createUserStore(redis, '{h}')
  return { redis, users }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a held lease outlives its time to live while the holder runs, and is released at the end', async (t) => {
  const { users } = await setup(t)
  const lease = await users.lease('u1', 300)
  const held = holdLease(users, lease!, 300)
  await sleep(1200) // four times the lease's time to live
  t.equal(await users.lease('u1', 300), null, 'still held: the heartbeat renewed it')
  await held.check()
  await held.release()
  t.equal(await users.leaseRemainingMs('u1'), 0, 'released')
})

t.test('a lost lease is found by the check before a write, which throws; the other holder keeps theirs', async (t) => {
  const { redis, users } = await setup(t)
  const held = holdLease(users, (await users.lease('u1', 5000))!, 5000)
  await redis.del('{h}:lease:u1')
  const other = await users.lease('u1', 5000)
  await t.rejects(held.check(), LeaseLostError)
  await t.rejects(held.check(), LeaseLostError, 'and stays lost')
  await held.release()
  t.ok((await users.leaseRemainingMs('u1')) > 4000, "the other job's lease is untouched")
  await users.release(other!)
})

t.test('holdFor: the user stays held for that long after the holder is done, then the lease runs out', async (t) => {
  const { users } = await setup(t)
  const held = holdLease(users, (await users.lease('u1', 5000))!, 5000)
  await held.holdFor(400)
  await held.release()
  t.equal(await users.lease('u1', 1000), null, 'not released by the holder')
  await sleep(600)
  t.ok(await users.lease('u1', 1000), 'free once the hold ran out')
})
