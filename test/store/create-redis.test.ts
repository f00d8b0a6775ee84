import t from 'tap'
import { Redis } from 'ioredis'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/observability/create-logger'
import { createRedis } from '../../src/store/create-redis'
import { freePort } from '../../sim/private-redis'
import { usePrivateRedis } from '../helpers/redis-server'
import { waitFor } from '../helpers/processes'

// A failover leaves the old primary up as a replica: it answers writes with READONLY on a
// connection that stays open. The test makes a real redis-server a replica (REPLICAOF a port
// nobody listens on), then a primary again (REPLICAOF NO ONE).

const silent = createLogger({ level: 'silent', name: 'test' }, new Writable({ write: (_c, _e, done) => done() }))

async function makeReplica(admin: Redis): Promise<void> {
  await admin.call('REPLICAOF', '127.0.0.1', String(await freePort()))
}

async function makePrimary(admin: Redis): Promise<void> {
  await admin.call('REPLICAOF', 'NO', 'ONE')
}

function countReady(redis: Redis): () => number {
  let ready = 0
  redis.on('ready', () => (ready += 1))
  return () => ready
}

t.test('command connection: a READONLY write fails and the client reconnects; the next write reaches the primary', async (t) => {
  const server = await usePrivateRedis(t)
  const admin = new Redis(server.url)
  const redis = createRedis(server.url, 'command', silent)
  t.teardown(() => {
    admin.disconnect()
    redis.disconnect()
  })
  await redis.set('k', 'before')
  const readies = countReady(redis)
  const idBefore = await redis.client('ID')

  await makeReplica(admin)
  await t.rejects(redis.set('k', 'during'), /READONLY/, 'the write is refused, not hidden')
  await waitFor('a reconnect after READONLY', 20_000, async () => (readies() >= 1 ? true : undefined))
  t.not(await redis.client('ID'), idBefore, 'a new connection')

  await makePrimary(admin)
  t.equal(await redis.set('k', 'after'), 'OK', 'once the server is a primary, writes succeed')
  t.equal(await admin.get('k'), 'after')
})

t.test('worker connection (BullMQ): a READONLY write is sent again after reconnecting, and succeeds once there is a primary', async (t) => {
  const server = await usePrivateRedis(t)
  const admin = new Redis(server.url)
  const redis = createRedis(server.url, 'worker', silent)
  t.teardown(() => {
    admin.disconnect()
    redis.disconnect()
  })
  await redis.ping()
  const readies = countReady(redis)
  await makeReplica(admin)
  let settled = false
  const write = redis.set('w', 'value').finally(() => (settled = true))
  await waitFor('reconnects while the server is a replica', 20_000, async () => (readies() >= 2 ? true : undefined))
  t.equal(settled, false, 'the write waits while the server is read-only')
  await makePrimary(admin)
  t.equal(await write, 'OK', 'the same write succeeds once the server is a primary again')
  t.equal(await admin.get('w'), 'value')
})
