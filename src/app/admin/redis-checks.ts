import type { Redis } from 'ioredis'
import { errorMessage } from '../../shared/to-error'
import { redactUrlCredentials } from '../../shared/redact-url-credentials'
import type { CheckSpec, Finding, SetupCheck } from './setup-check'

// Redis: a version with the commands we use, persistence (docs/architecture.md#processes) and
// no eviction (BullMQ needs every key kept: https://docs.bullmq.io/guide/going-to-production#max-memory-policy).

// GETDEL (admin consent) and BullMQ need 6.2.
const MIN_VERSION = [6, 2]

export type RedisInfoPort = Pick<Redis, 'info' | 'config'>

/** `field:value` lines of an INFO section. */
function infoField(info: string, field: string): string | null {
  const line = info.split(/\r?\n/).find((l) => l.startsWith(`${field}:`))
  return line ? line.slice(field.length + 1).trim() : null
}

/** CONFIG GET's value, or null when CONFIG is refused (managed Redis often renames or blocks it). */
async function configGet(redis: RedisInfoPort, name: string): Promise<{ value: string } | { refused: string }> {
  try {
    const pair = await redis.config('GET', name)
    return { value: pair[1] ?? '' }
  } catch (err) {
    return { refused: errorMessage(err) }
  }
}

async function versionFinding(redis: RedisInfoPort): Promise<Finding> {
  const version = infoField(await redis.info('server'), 'redis_version')
  if (!version) return { state: 'warn', detail: 'the server did not say its version' }
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const recent = major > MIN_VERSION[0]! || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1]!)
  if (recent) return { state: 'ok', detail: `Redis ${version}` }
  return { state: 'fail', detail: `Redis ${version} is too old`, fix: `Use Redis ${MIN_VERSION.join('.')} or later.` }
}

async function persistenceFinding(redis: RedisInfoPort): Promise<Finding> {
  if (infoField(await redis.info('persistence'), 'aof_enabled') === '1') return { state: 'ok', detail: 'append-only file on' }
  const save = await configGet(redis, 'save')
  const fix =
    "Turn on the append-only file (appendonly yes; on a managed Redis, its persistence setting): without it a restart loses everyone's state and the schedules."
  if ('refused' in save) return { state: 'warn', detail: `append-only file off; the snapshot schedule could not be read (${save.refused})`, fix }
  if (save.value.trim() !== '') return { state: 'warn', detail: `snapshots only (save ${save.value}): a restart loses what changed since the last one`, fix }
  return { state: 'fail', detail: 'no persistence: a restart loses everything', fix }
}

async function evictionFinding(redis: RedisInfoPort): Promise<Finding> {
  const policy = await configGet(redis, 'maxmemory-policy')
  const fix = "Set maxmemory-policy noeviction: an evicted key loses a queued job or a person's state."
  if ('refused' in policy) return { state: 'warn', detail: `could not read maxmemory-policy (${policy.refused})`, fix }
  if (policy.value === 'noeviction') return { state: 'ok', detail: 'maxmemory-policy noeviction' }
  return { state: 'fail', detail: `maxmemory-policy ${policy.value}: Redis may delete keys when memory is full`, fix }
}

export function redisChecks(redis: RedisInfoPort): CheckSpec[] {
  return [
    { id: 'redis-version', group: 'redis', title: 'Redis version', run: () => versionFinding(redis) },
    { id: 'redis-persistence', group: 'redis', title: 'Redis persistence', run: () => persistenceFinding(redis) },
    { id: 'redis-eviction', group: 'redis', title: 'Redis eviction policy', run: () => evictionFinding(redis) }
  ]
}

/**
 * The line when Redis cannot be reached at all (the doctor connects before checking anything):
 * the other checks need it (enrolled people, subscriptions, the Mattermost rate ceiling), so
 * they wait for this to be fixed.
 */
export function redisUnreachableCheck(redisUrl: string, reason: string): SetupCheck {
  return {
    id: 'redis-connection',
    group: 'redis',
    title: 'Redis connection',
    state: 'fail',
    detail: `${redactUrlCredentials(redisUrl)} could not be reached: ${redactUrlCredentials(reason)}; nothing else was checked, as every other check needs Redis`,
    fix: 'Start Redis, or correct REDIS_URL (redis://[user:password@]host:port/db, rediss:// for TLS).'
  }
}
