import { Gauge, type Registry } from 'prom-client'

/** How long a scrape waits for Redis before it answers with what it knew. */
const READ_TIMEOUT_MS = 1000

/**
 * `calstatus_sweep_last_completed_age_seconds`: seconds since the last sweep completed, read from
 * Redis at each scrape (README, "How it stays in step"). With no completed sweep in Redis (a
 * fresh install, or Redis lost its data) or while Redis does not answer, it counts from the last
 * completion this process read, or else from when it started: no sweep completed while it
 * watched, so the age is at least that. Either way the value only grows while no sweep
 * completes, so one threshold alert catches a cluster that stopped sweeping.
 */
export function registerSweepAgeMetric(registry: Registry, lastCompletedAt: () => Promise<number | null>, now: () => number = Date.now): void {
  const startedAt = now()
  let known: number | null = null
  new Gauge({
    name: 'calstatus_sweep_last_completed_age_seconds',
    help: 'Seconds since the last sweep completed (from Redis; since this process started when Redis holds none)',
    registers: [registry],
    async collect() {
      let timer: NodeJS.Timeout | undefined
      try {
        const read = await Promise.race([
          lastCompletedAt(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), READ_TIMEOUT_MS)
          })
        ])
        // None in Redis (it lost its data): the last completion this process read still stands.
        if (read !== null && Number.isFinite(read)) known = Math.max(known ?? read, read)
      } catch {
        // Redis away or slow: answer from what was read last.
      } finally {
        clearTimeout(timer)
      }
      this.set(Math.max(0, (now() - (known ?? startedAt)) / 1000))
    }
  })
}
