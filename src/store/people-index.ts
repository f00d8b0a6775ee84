import type { ChainableCommander, Redis } from 'ioredis'
import type { RedisScripts } from './redis-scripts'
import { redisScripts } from './redis-scripts'

// The admin page's people index (docs/architecture.md#redis-keys): search and paging over
// 100,000 people without a scan. Three sorted sets, every score 0, so Redis orders them by the
// member's bytes (https://redis.io/docs/latest/commands/zrangebylex/):
// - names:  `<username>\0u<id>`: the plain list, paged by rank (ZRANGE start stop);
// - search: the names' members and `<e-mail>\0m<id>`: a prefix search is one ZRANGEBYLEX;
// - both:   `<common prefix of username and e-mail>\0b<id>`: how many people a prefix matches
//           twice, so the total of a search is two ZLEXCOUNTs, exact, without reading the matches.
// Keys are lowercased. The index is kept in step by the user store, in the same pipeline as the
// record (src/store/lua/index-person.lua, unindex-person.lua); `ensureIndexed` fills it once on
// an install from before it.

export const MAX_PER_PAGE = 100

export interface PeopleSearch {
  /** a prefix of a username or e-mail, any case; '' lists everyone by username */
  query: string
  /** from 1 */
  page: number
  /** 1 to MAX_PER_PAGE */
  perPage: number
}

export interface PeoplePage {
  /** everyone the query matches, each once */
  total: number
  /** Mattermost ids of the page, by username (a search: by the first key that matched) */
  rows: string[]
}

export interface PeopleIndex {
  searchPeople(search: PeopleSearch): Promise<PeoplePage>
  /**
   * Fills the index from the enrolled users once, when it was never filled (an install from
   * before it): cheap when done (one GET). Returns how many people it indexed (0 when done before
   * or another process is at it).
   */
  ensureIndexed(): Promise<number>
}

/** The entries of one person, as the index stores them. */
interface PersonEntries {
  user: string
  mail: string
  /** '' when username and e-mail share no prefix */
  both: string
}

/** A key as stored and as searched: lowercased, without NUL (the separator). */
const indexKey = (text: string): string => text.toLowerCase().replace(/\0/g, '')

/** Longest common prefix in whole characters (a query never ends inside one). */
function commonPrefix(a: string, b: string): string {
  const ca = Array.from(a)
  const cb = Array.from(b)
  let i = 0
  while (i < ca.length && i < cb.length && ca[i] === cb[i]) i++
  return ca.slice(0, i).join('')
}

function personEntries(mmUserId: string, username: string, email: string): PersonEntries {
  const u = indexKey(username)
  const m = indexKey(email)
  const both = commonPrefix(u, m)
  return { user: `${u}\0u${mmUserId}`, mail: `${m}\0m${mmUserId}`, both: both ? `${both}\0b${mmUserId}` : '' }
}

/** The Mattermost id in an entry: after the separator and the one-letter kind. */
const idOf = (entry: string): string => entry.slice(entry.indexOf('\0') + 2)

/** The index's keys under the prefix; the user hash and enrolled set are the user store's. */
export function peopleIndexKeys(prefix: string) {
  return {
    user: (mmUserId: string): string => `${prefix}:user:${mmUserId}`,
    enrolled: `${prefix}:enrolled`,
    names: `${prefix}:people:names`,
    search: `${prefix}:people:search`,
    both: `${prefix}:people:both`,
    filled: `${prefix}:people:filled`,
    filling: `${prefix}:people:filling`
  }
}

/** Queues "index this person as their record now says" (the record's HSET goes first). */
export function queueIndexPerson(
  pipe: ChainableCommander,
  scripts: RedisScripts,
  prefix: string,
  p: { mmUserId: string; username: string; email: string }
): void {
  const k = peopleIndexKeys(prefix)
  const e = personEntries(p.mmUserId, p.username, p.email)
  scripts.queue(pipe, 'indexPerson', [k.user(p.mmUserId), k.names, k.search, k.both], [p.username, p.email, e.user, e.mail, e.both])
}

/** Queues "take this person out of the index" (before the DEL of their record). */
export function queueUnindexPerson(pipe: ChainableCommander, scripts: RedisScripts, prefix: string, mmUserId: string): void {
  const k = peopleIndexKeys(prefix)
  scripts.queue(pipe, 'unindexPerson', [k.user(mmUserId), k.names, k.search, k.both], [])
}

/**
 * A lex range for everything starting with `key`: `[key` to `(key\xff`. A query's characters
 * after the `[` are literal to Redis; UTF-8 never has the byte 0xff, so every match is below.
 */
function prefixRange(key: string): [Buffer, Buffer] {
  const k = Buffer.from(key, 'utf8')
  return [Buffer.concat([Buffer.from('['), k]), Buffer.concat([Buffer.from('('), k, Buffer.from([0xff])])]
}

/** The replies of a MULTI or pipeline, throwing the first error. */
async function execAll(tx: ChainableCommander): Promise<unknown[]> {
  const results = (await tx.exec()) ?? []
  return results.map(([err, value]) => {
    if (err) throw err
    return value
  })
}

const BACKFILL_BATCH = 1000
/** Longest a backfill may hold its claim (a killed process's claim expires). */
const BACKFILL_CLAIM_MS = 10 * 60_000

export function createPeopleIndex(redis: Redis, prefix: string): PeopleIndex {
  const k = peopleIndexKeys(prefix)
  const scripts = redisScripts(redis)

  const plainList = async (from: number, count: number): Promise<PeoplePage> => {
    const [total, members] = await execAll(
      redis
        .multi()
        .zcard(k.names)
        .zrange(k.names, String(from), String(from + count - 1))
    )
    return { total: Number(total), rows: (members as string[]).map(idOf) }
  }

  /**
   * A person whose username and e-mail both match comes twice in the range: the first
   * `2 × (page × perPage)` entries hold the first `page × perPage` people. Page 1 reads at
   * most 2 × perPage entries; a deep page of a broad search reads more (bench/RESULTS.md).
   */
  const prefixSearch = async (key: string, from: number, count: number): Promise<PeoplePage> => {
    const [min, max] = prefixRange(key)
    const tx = redis
      .multi()
      .zlexcount(k.search, min, max)
      .zlexcount(k.both, min, max)
      .zrangebylex(k.search, min, max, 'LIMIT', 0, 2 * (from + count))
    const [matches, twice, entries] = await execAll(tx)
    const ids = [...new Set((entries as string[]).map(idOf))]
    return { total: Number(matches) - Number(twice), rows: ids.slice(from, from + count) }
  }

  const reindexBatch = async (ids: string[]): Promise<number> => {
    const read = redis.pipeline()
    for (const id of ids) read.hmget(k.user(id), 'username', 'email')
    const records = (await read.exec()) ?? []
    const write = redis.pipeline()
    let queued = 0
    records.forEach(([err, fields], i) => {
      const [username, email] = (err ? [] : fields) as Array<string | null>
      if (username == null || email == null) return // gone meanwhile
      queueIndexPerson(write, scripts, prefix, { mmUserId: ids[i] as string, username, email })
      queued += 1
    })
    await execAll(write)
    return queued
  }

  /** Entries of people no longer enrolled (left while a process without the index ran). */
  const dropStale = async (key: string): Promise<void> => {
    let cursor = '0'
    do {
      const [next, flat] = await redis.zscan(key, cursor, 'COUNT', BACKFILL_BATCH)
      cursor = next
      const entries = flat.filter((_, i) => i % 2 === 0)
      if (entries.length === 0) continue
      const enrolled = await redis.smismember(k.enrolled, entries.map(idOf))
      const stale = entries.filter((_, i) => enrolled[i] === 0)
      if (stale.length > 0) await redis.zrem(key, ...stale)
    } while (cursor !== '0')
  }

  const backfill = async (): Promise<number> => {
    let indexed = 0
    let cursor = '0'
    do {
      const [next, ids] = await redis.sscan(k.enrolled, cursor, 'COUNT', BACKFILL_BATCH)
      cursor = next
      if (ids.length > 0) indexed += await reindexBatch(ids)
    } while (cursor !== '0')
    for (const key of [k.names, k.search, k.both]) await dropStale(key)
    return indexed
  }

  return {
    async searchPeople({ query, page, perPage }) {
      const count = Math.min(MAX_PER_PAGE, Math.max(1, Math.floor(perPage) || 1))
      const from = (Math.max(1, Math.floor(page) || 1) - 1) * count
      const key = indexKey(query.trim())
      return key === '' ? plainList(from, count) : prefixSearch(key, from, count)
    },
    async ensureIndexed() {
      if ((await redis.exists(k.filled)) === 1) return 0
      if ((await redis.set(k.filling, '1', 'PX', BACKFILL_CLAIM_MS, 'NX')) !== 'OK') return 0
      try {
        const indexed = await backfill()
        await redis.set(k.filled, String(Date.now()))
        return indexed
      } finally {
        await redis.del(k.filling)
      }
    }
  }
}
