import t from 'tap'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { Redis } from 'ioredis'
import { createRateCeiling } from '../../src/mattermost/create-rate-ceiling'
import { usePrivateRedis } from '../helpers/redis-server'
import { assertBuilt, ROOT } from '../helpers/processes'

/** Redis's clock in microseconds (the ceiling reserves its slots on it). */
async function redisMicros(client: Redis): Promise<number> {
  const [s, us] = await client.time()
  return Number(s) * 1_000_000 + Number(us)
}

// Calls per second are not counted here against the wall clock: under CPU load timers fire
// late and bunch, and such a count says more about the machine than about the ceiling (what
// Mattermost sees per second is measured by bench/freshness.ts). What is checked is what the
// ceiling does: every call reserves its own slot, 1/rate apart, in Redis (the next free slot
// ends up at least N/rate after the first call), and a call never leaves before its slot (the
// calls take at least that long); each call then reports an answer without rate-limit headers,
// as create-mattermost-http.ts does (until the first answer only 8 calls go). Neither gets flaky when the machine is slow. (Slots are spaced
// for 90% of the ceiling, so N slots span more than N/rate.)

t.test('one process: calls are paced at the ceiling and leave in the order they asked', async (t) => {
  const redis = await usePrivateRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const ceiling = createRateCeiling(client, { key: 'test:ceiling:a', perSecond: 50 })
  const order: number[] = []
  const times: number[] = []
  const reservedFrom = await redisMicros(client)
  const t0 = Date.now()
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const slot = await ceiling.acquire()
      order.push(i)
      times.push(Date.now())
      // An answer without X-Ratelimit-* headers, as from a server that does not limit.
      await ceiling.observe({ throttled: false }, 'ticket' in slot ? slot.ticket : undefined)
    })
  )
  const elapsed = Date.now() - t0
  t.ok(elapsed >= 1900, `100 calls at 50/s take about 2 s (took ${elapsed} ms)`)
  const nextFree = Number(await client.hget('test:ceiling:a', 'nextMax'))
  t.ok(nextFree - reservedFrom >= 100 * (1_000_000 / 50), `100 slots of 1/50 s reserved (${((nextFree - reservedFrom) / 1000).toFixed(0)} ms)`)
  t.same(
    order,
    [...order].sort((a, b) => a - b),
    'first asked, first served'
  )
})

t.test('two processes share one ceiling through Redis', async (t) => {
  assertBuilt()
  const redis = await usePrivateRedis(t)
  const client = new Redis(redis.url)
  t.teardown(() => client.disconnect())
  const reservedFrom = await redisMicros(client)
  const script = `
    const { Redis } = require('ioredis')
    const { createRateCeiling } = require(${JSON.stringify(path.join(ROOT, 'dist/src/mattermost/create-rate-ceiling.js'))})
    const redis = new Redis(process.argv[1])
    const ceiling = createRateCeiling(redis, { key: 'test:ceiling:shared', perSecond: 20 })
    ;(async () => {
      const times = []
      await Promise.all(Array.from({ length: 40 }, async () => { const slot = await ceiling.acquire(); times.push(Date.now()); await ceiling.observe({ throttled: false }, slot.ticket) }))
      // The next free slot under the configured ceiling, read at once.
      const nextFree = Number(await redis.hget('test:ceiling:shared', 'nextMax'))
      process.stdout.write(JSON.stringify({ times, nextFree }))
      redis.disconnect()
    })()
  `
  const run = (): Promise<{ times: number[]; nextFree: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, redis.url], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (d) => (out += String(d)))
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { times: number[]; nextFree: number }) : reject(new Error(`child exited ${code}`))))
    })
  const [a, b] = await Promise.all([run(), run()])
  const all = [...a.times, ...b.times]
  t.equal(all.length, 80)
  const span = Math.max(...all) - Math.min(...all)
  // Shared, not per process: unshared, each process would reserve its own 40 slots (2 s).
  t.ok(span >= 3500, `80 calls at 20/s across two processes take about 4 s (took ${span} ms)`)
  const nextFree = Math.max(a.nextFree, b.nextFree)
  t.ok(
    nextFree - reservedFrom >= 80 * (1_000_000 / 20),
    `80 slots of 1/20 s reserved on the one shared key (${((nextFree - reservedFrom) / 1000).toFixed(0)} ms)`
  )
})
