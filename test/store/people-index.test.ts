import t, { type Test } from 'tap'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { createPeopleIndex, peopleIndexKeys } from '../../src/store/people-index'
import { createUserStore, type DirectoryEntry } from '../../src/store/user-store'
import { usePrivateRedis } from '../helpers/redis-server'

// The admin page's people index against a private Redis, kept in step by the real user store.

const person = (id: string, username: string, email: string): DirectoryEntry => ({ mmUserId: id, username, email, timeZone: 'UTC', isSystemAdmin: false })

async function setup(t: Test, prefix = '{ppl}') {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  const keys = peopleIndexKeys(prefix)
  const sizes = async () => ({ names: await redis.zcard(keys.names), search: await redis.zcard(keys.search), both: await redis.zcard(keys.both) })
  return { redis, users: createUserStore(redis, prefix), index: createPeopleIndex(redis, prefix), keys, sizes }
}

/** Every page of a query, in order. */
async function allPages(index: ReturnType<typeof createPeopleIndex>, query: string, perPage: number) {
  const rows: string[] = []
  const totals = new Set<number>()
  for (let page = 1; ; page++) {
    const r = await index.searchPeople({ query, page, perPage })
    totals.add(r.total)
    if (r.rows.length === 0) break
    rows.push(...r.rows)
  }
  return { rows, totals: [...totals] }
}

t.test('the index follows upserts: a new e-mail or username moves the entry; search is by prefix, any case', async (t) => {
  const { users, index, sizes } = await setup(t)
  await users.upsertFromDirectory([person('u1', 'alice', 'Alice.Smith@Example.com'), person('u2', 'bob', 'bob@example.com')])
  t.same(await index.searchPeople({ query: 'ALI', page: 1, perPage: 10 }), { total: 1, rows: ['u1'] }, 'username and e-mail both match: once')
  t.same(await index.searchPeople({ query: 'alice.s', page: 1, perPage: 10 }), { total: 1, rows: ['u1'] }, 'by e-mail prefix')
  t.same(await index.searchPeople({ query: '  Bob@Ex ', page: 1, perPage: 10 }), { total: 1, rows: ['u2'] })
  t.same(await index.searchPeople({ query: 'example', page: 1, perPage: 10 }), { total: 0, rows: [] }, 'a prefix, not a substring')
  t.same(await sizes(), { names: 2, search: 4, both: 2 })

  await users.upsertFromDirectory([person('u1', 'alice', 'zed@example.com')])
  t.same(await index.searchPeople({ query: 'alice.', page: 1, perPage: 10 }), { total: 0, rows: [] }, 'the old e-mail is gone')
  t.same(await index.searchPeople({ query: 'zed', page: 1, perPage: 10 }), { total: 1, rows: ['u1'] })
  t.same(await index.searchPeople({ query: 'alice', page: 1, perPage: 10 }), { total: 1, rows: ['u1'] })
  await users.upsertFromDirectory([person('u1', 'Carol', 'zed@example.com')])
  t.same(await index.searchPeople({ query: 'alice', page: 1, perPage: 10 }), { total: 0, rows: [] }, 'the old username is gone')
  t.same(await index.searchPeople({ query: '', page: 1, perPage: 10 }), { total: 2, rows: ['u2', 'u1'] }, 'the plain list by username: bob, carol')
  t.same(await sizes(), { names: 2, search: 4, both: 1 }, 'no leftover entries (carol and zed share nothing)')
})

t.test('remove takes the person out of every part of the index', async (t) => {
  const { users, index, sizes } = await setup(t)
  await users.upsertFromDirectory([person('u1', 'alice', 'alice@example.com'), person('u2', 'bob', 'bob@example.com')])
  t.equal(await users.remove('u1'), true)
  t.same(await index.searchPeople({ query: 'a', page: 1, perPage: 10 }), { total: 0, rows: [] })
  t.same(await index.searchPeople({ query: '', page: 1, perPage: 10 }), { total: 1, rows: ['u2'] })
  t.same(await sizes(), { names: 1, search: 2, both: 1 })
})

t.test('an install from before the index: the backfill fills it once and drops entries of people who left', async (t) => {
  const { redis, index, keys, sizes } = await setup(t)
  // Records as the user store wrote them before the index existed.
  for (let i = 0; i < 2500; i++) {
    await redis.hset(keys.user(`id${i}`), { mmUserId: `id${i}`, username: `user${String(i).padStart(4, '0')}`, email: `u${i}@example.com`, timeZone: 'UTC' })
    await redis.sadd(keys.enrolled, `id${i}`)
  }
  await redis.zadd(keys.names, 0, 'ghost\0ughost') // someone who left while an older process ran
  t.equal((await index.searchPeople({ query: 'user0001', page: 1, perPage: 10 })).total, 0, 'not found before the backfill')
  t.equal(await index.ensureIndexed(), 2500)
  t.same(await sizes(), { names: 2500, search: 5000, both: 2500 }, 'the ghost is gone')
  t.same(await index.searchPeople({ query: 'user001', page: 1, perPage: 20 }), { total: 10, rows: Array.from({ length: 10 }, (_, i) => `id${10 + i}`) })
  t.same(await index.searchPeople({ query: 'u2499@', page: 1, perPage: 10 }), { total: 1, rows: ['id2499'] })
  t.equal(await index.ensureIndexed(), 0, 'done once')
})

t.test('paging is stable and complete: every id once, in the plain list and in a search', async (t) => {
  const { users, index } = await setup(t)
  const entries = Array.from({ length: 1000 }, (_, i) => person(`id${i}`, `p${(i * 7919) % 1000}x`, i % 3 === 0 ? `p${i}@example.com` : `q${i}@example.com`))
  await users.upsertFromDirectory(entries)
  const plain = await allPages(index, '', 37)
  t.equal(plain.rows.length, 1000)
  t.equal(new Set(plain.rows).size, 1000, 'no id twice')
  t.same(plain.totals, [1000])
  const usernames = plain.rows.map((id) => entries[Number(id.slice(2))]?.username)
  t.same(usernames, [...usernames].sort(), 'ordered by username')

  const search = await allPages(index, 'P', 23)
  t.equal(search.rows.length, 1000, 'everyone: all usernames start with p')
  t.equal(new Set(search.rows).size, 1000, 'people matched by username and e-mail come once')
  t.same(search.totals, [1000])
  t.same(
    (await allPages(index, 'p1', 10)).rows.sort(),
    entries
      .filter((e) => e.username.startsWith('p1') || e.email.startsWith('p1'))
      .map((e) => e.mmUserId)
      .sort()
  )
})

t.test("Redis' lex syntax in a query is literal and never an error", async (t) => {
  const { users, index } = await setup(t)
  await users.upsertFromDirectory([
    person('a', 'a[b', 'x@example.com'),
    person('b', 'c(d', '(e@example.com'),
    person('c', '-dash', '+plus@example.com'),
    person('d', 'ÿves', 'yves@example.com'),
    person('e', 'plain', 'p@example.com')
  ])
  const ids = async (query: string) => (await index.searchPeople({ query, page: 1, perPage: 10 })).rows
  t.same(await ids('a['), ['a'])
  t.same(await ids('['), [])
  t.same(await ids('('), ['b'])
  t.same(await ids('c('), ['b'])
  t.same(await ids('-'), ['c'])
  t.same(await ids('+'), ['c'])
  t.same(await ids('ÿ'), ['d'])
  t.same(await ids('\xff'), ['d'], '\\xff is the character ÿ, not the byte')
  t.same(await ids('Ÿ'), ['d'], 'case-insensitive beyond ASCII')
  t.same(await ids('\0'), ['c', 'a', 'b', 'e', 'd'], 'NUL alone is no query: the plain list')
  t.same(await ids('*'), [])
  t.same(await index.searchPeople({ query: 'a', page: 0, perPage: 1000 }), { total: 1, rows: ['a'] }, 'page and perPage are clamped')
})

t.test('search equals a scan of every record (random names, special characters, e-mail changes)', async (t) => {
  const { users, index } = await setup(t, '{prop}')
  const word = fc.stringMatching(/^[ab[(\-+ÿA.@]{1,5}$/)
  let round = 0
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: 15 }), word, word), { minLength: 1, maxLength: 30 }), word, async (ops, query) => {
      const model = new Map<string, { username: string; email: string }>()
      const prefix = `r${round++}`
      for (const [n, username, local] of ops) {
        const id = `${prefix}-${n}`
        model.set(id, { username, email: `${local}@x`.toLowerCase() })
        await users.upsertFromDirectory([person(id, username, `${local}@x`)])
      }
      const q = query.toLowerCase()
      const expected = [...model].filter(([, p]) => p.username.toLowerCase().startsWith(q) || p.email.startsWith(q)).map(([id]) => id)
      const got = await allPages(index, query, 3)
      t.same([...got.rows].sort(), expected.sort(), `query ${JSON.stringify(query)}`)
      t.same(got.totals, [expected.length])
      for (const id of model.keys()) await users.remove(id)
      return true
    }),
    { numRuns: 60 }
  )
})
