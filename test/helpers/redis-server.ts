import { rmSync } from 'node:fs'
import { startPrivateRedis, type PrivateRedis } from '../../sim/private-redis'

export type { PrivateRedis } from '../../sim/private-redis'

/** For tap: one private Redis for the whole test, stopped and its directory removed at teardown. */
export async function usePrivateRedis(t: { teardown(fn: () => unknown): void }): Promise<PrivateRedis> {
  const redis = await startPrivateRedis()
  t.teardown(async () => {
    await redis.stop()
    rmSync(redis.dir, { recursive: true, force: true })
  })
  return redis
}
