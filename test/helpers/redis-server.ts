import { rmSync } from 'node:fs'
import { startPrivateRedis, type AppendFsync, type PrivateRedis } from '../../sim/private-redis'

export type { PrivateRedis } from '../../sim/private-redis'

/**
 * For tap: one private Redis for the whole test, stopped and its directory removed at teardown.
 * `appendfsync`: with AOF persistence, so `restart()` (same port, same directory) keeps the data.
 */
export async function usePrivateRedis(t: { teardown(fn: () => unknown): void }, opts: { appendfsync?: AppendFsync } = {}): Promise<PrivateRedis> {
  const redis = await startPrivateRedis(opts)
  t.teardown(async () => {
    await redis.stop()
    rmSync(redis.dir, { recursive: true, force: true })
  })
  return redis
}
