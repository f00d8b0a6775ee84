// Property tests of the Graph notification receiver (graph.md "Change notifications"):
// the real app (buildApp + inject), real BullMQ queues on a private Redis, ~10,000 generated
// bodies. Every answer is compared with an oracle written from the contract (not from the
// route's code): 202 for a schema-valid JSON body, 400/413/415 with a JSON reason otherwise,
// never a 5xx while Redis is up; and the users written to the notification inbox (read back from
// Redis: one write per POST, under its own sequence number) are exactly those of the authentic
// items. (The inbox's drain into sync-user jobs: test/app/drain-inbox.test.ts.)
import t, { type Test } from 'tap'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { SubscriptionStore } from '../../src/store/subscription-store'
import { usePrivateRedis, type PrivateRedis } from '../helpers/redis-server'
import { startWebApp } from '../helpers/web-app'

const LIMIT = 1024 * 1024
const NOTIFICATIONS = '/graph/notifications'
const LIFECYCLE = '/graph/lifecycle'
const STACK = /\bat [\w.<>]+ \(|node_modules|\.ts:\d+/

// ---------------------------------------------------------------------------------------------
// Subscriptions the app holds. Ids and secrets are chosen to be awkward: Graph's UUIDs, but also
// ids with ':' (the Redis key separator), spaces, '+', '/', non-ASCII, 200 astral code points
// (the longest id the contract allows), names of Object.prototype members; secrets of 1 to 128
// characters, one with non-ASCII and an astral character.

interface PoolSub {
  id: string
  mmUserId: string
  clientState: string
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const secret = (seed: number, length: number): string => Array.from({ length }, (_, i) => B64[(seed * 31 + i * 17 + i * i) % 64]).join('')
const uuid = (n: number): string => `7f2c3f5e-0a1b-4c2d-9e8f-${String(n).padStart(12, '0')}`

function makePool(tag: string): PoolSub[] {
  const ids = [
    uuid(0),
    uuid(1),
    'sub:with:colons',
    'sub with spaces/and+plus=',
    '日本-😀-subscription',
    '😀'.repeat(200),
    uuid(6),
    uuid(7),
    uuid(8),
    '__proto__',
    'constructor',
    'hasOwnProperty'
  ]
  const secrets = [
    secret(0, 128),
    secret(1, 32),
    `sécret-✓-日本-😀-${secret(2, 20)}`,
    'x',
    secret(4, 64),
    secret(5, 128),
    secret(6, 96),
    secret(7, 16),
    secret(8, 128),
    secret(9, 40),
    secret(10, 40),
    secret(11, 40)
  ]
  return ids.map((id, i) => ({ id, mmUserId: `mm-${tag}-${i}`, clientState: secrets[i] as string }))
}

// The pool is the same for every app of this file (each app has its own queue prefix).
const POOL = makePool('user')
const POOL_BY_ID = new Map(POOL.map((s) => [s.id, s]))
const LONG_SECRETS = POOL.map((s) => s.clientState).filter((s) => s.length >= 16)

async function savePool(subs: SubscriptionStore, pool: PoolSub[]): Promise<void> {
  for (const s of pool) {
    await subs.save({
      id: s.id,
      mmUserId: s.mmUserId,
      graphUserId: `g-${s.mmUserId}`,
      clientState: s.clientState,
      expiresAt: Date.now() + 3600_000,
      lastRenewedAt: Date.now(),
      lastError: null
    })
  }
}

// ---------------------------------------------------------------------------------------------
// The app, one per property, each with its own queue prefix on the file's private Redis.

interface InjectAnswer {
  statusCode: number
  body: string
  rawPayload: Buffer
  headers: Record<string, unknown>
}

type WebApp = Awaited<ReturnType<typeof startWebApp>>

interface Harness {
  prefix: string
  app: WebApp['app']
  queues: WebApp['queues']
  subs: SubscriptionStore
  producer: Redis
  metrics: WebApp['metrics']
  post(url: string, contentType: string | undefined, payload: Buffer | string | undefined): Promise<InjectAnswer>
}

let redis: PrivateRedis

async function harness(t: Test, prefix: string): Promise<Harness> {
  const { app, queues, subs, producer, metrics } = await startWebApp(t, redis.url, { prefix })
  await savePool(subs, POOL)
  const post = async (url: string, contentType: string | undefined, payload: Buffer | string | undefined): Promise<InjectAnswer> => {
    const res = await app.inject({
      method: 'POST',
      url,
      ...(contentType !== undefined ? { headers: { 'content-type': contentType } } : {}),
      ...(payload !== undefined ? { payload } : {})
    })
    return { statusCode: res.statusCode, body: res.body, rawPayload: res.rawPayload, headers: res.headers }
  }
  return { prefix, app, queues, subs, producer, metrics, post }
}

// ---------------------------------------------------------------------------------------------
// What reached Redis, read through the queue: BullMQ takes one id (INCR of the queue's `id`
// key) per job it is asked to add, deduplicated or not, and stores a job hash only for the
// jobs it created. So `submitted` is how many jobs the intake asked for, `created` what exists.

interface CreatedJob {
  id: string
  name: string
  userId: string
  reason: string
  deduplicationId: string | undefined
}

/**
 * What reached the notification inbox: each write takes the next sequence number and puts its
 * users under it, so `submitted` is how many writes the intake made since the last look, and
 * `created` the users they wrote (a user written again moves to the later number).
 */
function inboxTracker(prefix: string, connection: Redis) {
  let last = 0
  const seq = async (): Promise<number> => Number((await connection.get(`${prefix}:inbox-seq`)) ?? 0)
  return {
    async start(): Promise<void> {
      last = await seq()
    },
    async since(): Promise<{ submitted: number; created: Array<{ userId: string }> }> {
      const now = await seq()
      const users = now > last ? await connection.zrangebyscore(`${prefix}:inbox`, last + 1, '+inf') : []
      const submitted = now - last
      last = now
      return { submitted, created: users.map((userId) => ({ userId })) }
    }
  }
}

function tracker(queue: Queue, connection: Redis) {
  let last = 0
  const counter = async (): Promise<number> => Number((await connection.get(queue.toKey('id'))) ?? 0)
  return {
    async start(): Promise<void> {
      last = await counter()
    },
    async since(): Promise<{ submitted: number; created: CreatedJob[] }> {
      const now = await counter()
      const ids = Array.from({ length: now - last }, (_, i) => String(last + 1 + i))
      const jobs = await Promise.all(ids.map((id) => queue.getJob(id)))
      const created: CreatedJob[] = []
      for (const job of jobs) {
        if (!job) continue
        const data = job.data as { userId: string; reason: string }
        created.push({ id: String(job.id), name: job.name, userId: data.userId, reason: data.reason, deduplicationId: job.deduplicationId })
      }
      const submitted = now - last
      last = now
      return { submitted, created }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle. The contract (graph-notifications.ts, graph.md): Content-Type application/json
// (parameters allowed), at most 1 MiB, JSON without prototype-poisoning keys (Fastify refuses
// them), an object whose `value` is an array of at most 1000 objects, each with a
// `subscriptionId` string of 1..200 characters and optional strings clientState (<= 512),
// changeType (<= 100), resource (<= 2000), lifecycleEvent (<= 100); other keys are free.
// Lengths are JSON Schema lengths: code points.

type Dict = Record<string, unknown>
const isObject = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v)
const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)
const cpLength = (s: string): number => [...s].length
const optionalString = (o: Dict, k: string, max: number): boolean => !has(o, k) || (typeof o[k] === 'string' && cpLength(o[k]) <= max)

function strictlyValid(body: unknown): body is { value: Dict[] } {
  if (!isObject(body) || !has(body, 'value')) return false
  const value = body['value']
  if (!Array.isArray(value) || value.length > 1000) return false
  return value.every(
    (item) =>
      isObject(item) &&
      typeof item['subscriptionId'] === 'string' &&
      cpLength(item['subscriptionId']) >= 1 &&
      cpLength(item['subscriptionId']) <= 200 &&
      optionalString(item, 'clientState', 512) &&
      optionalString(item, 'changeType', 100) &&
      optionalString(item, 'resource', 2000) &&
      optionalString(item, 'lifecycleEvent', 100)
  )
}

/** Fastify's JSON parser refuses an own `__proto__` key, or a `constructor` object with an own `prototype`, at any depth. */
function poisoned(root: unknown): boolean {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (has(node, '__proto__')) return true
    const ctor = (node as Dict)['constructor']
    if (has(node, 'constructor') && typeof ctor === 'object' && ctor !== null && has(ctor, 'prototype')) return true
    for (const v of Object.values(node)) if (typeof v === 'object' && v !== null) stack.push(v)
  }
  return false
}

type Expected =
  | { kind: 'handshake'; statuses: readonly number[] }
  | { kind: 'refused'; statuses: readonly number[]; why: string }
  | { kind: 'accepted'; statuses: readonly number[]; body: { value: Dict[] } }

function expected(contentType: string | undefined, payload: Buffer): Expected {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase()
  const over = payload.length > LIMIT
  if (mediaType !== 'application/json') {
    // text/plain has a parser in Fastify, which reads (and limits) the body first.
    if (over && mediaType === 'text/plain') return { kind: 'refused', statuses: [413], why: 'too large' }
    return { kind: 'refused', statuses: [415], why: `media type ${String(contentType)}` }
  }
  if (over) return { kind: 'refused', statuses: [413], why: 'too large' }
  let text = payload.toString('utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { kind: 'refused', statuses: [400], why: 'not JSON' }
  }
  if (poisoned(parsed)) return { kind: 'refused', statuses: [400], why: 'prototype poisoning' }
  if (strictlyValid(parsed)) return { kind: 'accepted', statuses: [202], body: parsed }
  return { kind: 'refused', statuses: [400], why: 'schema' }
}

/** The users of the authentic items (known subscription, identical clientState), and the per-item outcomes. */
function authentic(body: { value: Dict[] }, pool: Map<string, PoolSub>) {
  const users = new Set<string>()
  const outcomes = { accepted: 0, unknown_subscription: 0, bad_client_state: 0 }
  for (const item of body.value) {
    const sub = pool.get(item['subscriptionId'] as string)
    if (!sub) outcomes.unknown_subscription++
    else if (typeof item['clientState'] !== 'string' || item['clientState'] !== sub.clientState) outcomes.bad_client_state++
    else {
      outcomes.accepted++
      users.add(sub.mmUserId)
    }
  }
  return { users, outcomes }
}

function checkAnswer(res: InjectAnswer, exp: Expected, what: () => string): void {
  const context = (): string => `${what()} -> ${res.statusCode} ${res.body.slice(0, 300)}`
  assert.ok(res.statusCode < 500, `5xx while Redis is up: ${context()}`)
  assert.ok(
    exp.statuses.includes(res.statusCode),
    `expected ${exp.statuses.join('/')} (${exp.kind}${exp.kind === 'refused' ? `: ${exp.why}` : ''}): ${context()}`
  )
  if (res.statusCode === 202) {
    assert.equal(res.body, '', `202 has no body: ${context()}`)
    return
  }
  assert.match(String(res.headers['content-type']), /^application\/json/, `a refusal is JSON: ${context()}`)
  const reason = JSON.parse(res.body) as Dict
  assert.equal(typeof reason['error'], 'string', context())
  assert.ok(typeof reason['message'] === 'string' && reason['message'].length > 0, `a refusal says why: ${context()}`)
  assert.equal(typeof reason['requestId'], 'string', context())
  assert.doesNotMatch(res.body, STACK, `no stack trace: ${context()}`)
  for (const s of LONG_SECRETS) assert.ok(!res.body.includes(s), `a refusal never echoes a clientState: ${context()}`)
}

async function metricValues(h: Harness): Promise<Record<string, number>> {
  const metric = h.metrics.registry.getSingleMetric('calstatus_graph_notifications_total')
  const out: Record<string, number> = {}
  for (const v of (await metric?.get())?.values ?? []) out[`${String(v.labels['route'])}/${String(v.labels['outcome'])}`] = v.value
  return out
}

// ---------------------------------------------------------------------------------------------
// Generators: Graph's delivery shape and every way to get it wrong.

const CHANGE = ['created', 'updated', 'deleted'] as const

function graphItem(subscriptionId: unknown, clientState: unknown, n: number, extra: Dict = {}): Dict {
  const event = `AAMkAGI2TG93AAA${n}=`
  return {
    subscriptionId,
    subscriptionExpirationDateTime: '2026-12-01T10:00:00.0000000+00:00',
    changeType: CHANGE[n % 3],
    resource: `Users/0a1b2c3d-${n}/Events/${event}`,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Event',
      '@odata.id': `Users/0a1b2c3d-${n}/Events/${event}`,
      '@odata.etag': `W/"DwAAABYAAAA${n}"`,
      id: event
    },
    clientState, // undefined: the key is left out by JSON.stringify
    tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
    ...extra
  }
}

const subArb = fc.constantFrom(...POOL)
const nArb = fc.nat({ max: 999_999 })
const codePoints = (s: string): string[] => [...s]

const validItem = fc.tuple(subArb, nArb).map(([s, n]) => graphItem(s.id, s.clientState, n))
const unknownItem = fc
  .tuple(
    fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 60 })),
    fc.oneof(
      subArb.map((s) => s.clientState),
      fc.string(),
      fc.constant(undefined)
    ),
    nArb
  )
  .filter(([id]) => !POOL_BY_ID.has(id))
  .map(([id, cs, n]) => graphItem(id, cs, n))
/** The right length, one ASCII character changed. */
const wrongSameLength = fc.tuple(subArb, nArb, fc.nat()).map(([s, n, k]) => {
  const cps = codePoints(s.clientState)
  const ascii = cps.map((c, i) => (/^[\x20-\x7e]$/.test(c) ? i : -1)).filter((i) => i >= 0)
  const at = ascii[k % ascii.length] as number
  cps[at] = cps[at] === 'A' ? 'B' : 'A'
  return graphItem(s.id, cps.join(''), n)
})
const wrongOtherLength = fc
  .tuple(
    subArb,
    nArb,
    fc.oneof(
      fc.nat().map((k) => ({ cut: k })),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map((tail) => ({ tail }))
    )
  )
  .map(([s, n, change]) => {
    const cps = codePoints(s.clientState)
    const cs = 'cut' in change ? cps.slice(0, change.cut % cps.length).join('') : s.clientState + change.tail
    return graphItem(s.id, cs, n)
  })
/** Another subscription's secret (some have the same length, some not). */
const otherSecret = fc
  .tuple(subArb, subArb, nArb)
  .filter(([a, b]) => a.clientState !== b.clientState)
  .map(([a, b, n]) => graphItem(a.id, b.clientState, n))
const missingClientState = fc.tuple(subArb, nArb).map(([s, n]) => graphItem(s.id, undefined, n))
const missingSubscriptionId = fc.tuple(subArb, nArb).map(([s, n]) => {
  const item = graphItem(s.id, s.clientState, n)
  delete item['subscriptionId']
  return item
})
const wrongType = (right: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    fc.constant([right]),
    fc.constant([right, right]),
    fc.constant([[right]]),
    fc.constant({ value: right })
  )
const wrongTypes = fc
  .tuple(subArb, nArb, fc.constantFrom('subscriptionId', 'clientState', 'both'))
  .chain(([s, n, which]) =>
    fc
      .tuple(which === 'clientState' ? fc.constant(s.id) : wrongType(s.id), which === 'subscriptionId' ? fc.constant(s.clientState) : wrongType(s.clientState))
      .map(([id, cs]) => graphItem(id, cs, n))
  )
/** Strings around each limit (in code points, of 1-, 2- and 4-byte characters), and large free fields. */
const hugeStrings = fc.oneof(
  fc
    .tuple(
      subArb,
      nArb,
      fc.constantFrom(['subscriptionId', 200], ['clientState', 512], ['changeType', 100], ['resource', 2000], ['lifecycleEvent', 100]),
      fc.constantFrom(-1, 0, 1, 300),
      fc.constantFrom('a', 'é', '😀')
    )
    .map(([s, n, [field, limit], delta, ch]) => {
      const long = ch.repeat((limit as number) + delta)
      return field === 'subscriptionId' ? graphItem(long, s.clientState, n) : graphItem(s.id, s.clientState, n, { [field as string]: long })
    }),
  fc
    .tuple(subArb, nArb, fc.integer({ min: 10_000, max: 300_000 }))
    .map(([s, n, size]) => graphItem(s.id, s.clientState, n, { resourceData: { id: 'x', blob: 'ø'.repeat(size) } }))
)
const notAnObject = fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }))

const anyItem = fc.oneof(
  { arbitrary: validItem, weight: 6 },
  { arbitrary: unknownItem, weight: 2 },
  { arbitrary: wrongSameLength, weight: 2 },
  { arbitrary: wrongOtherLength, weight: 2 },
  { arbitrary: otherSecret, weight: 1 },
  { arbitrary: missingClientState, weight: 1 },
  { arbitrary: missingSubscriptionId, weight: 1 },
  { arbitrary: wrongTypes, weight: 1 },
  { arbitrary: hugeStrings, weight: 1 },
  { arbitrary: notAnObject, weight: 1 }
)

/** Mostly items that are each schema-valid (so bodies are accepted and the enqueue checks bite), sometimes anything. */
const graphBody = fc
  .tuple(
    fc.oneof(
      {
        arbitrary: fc.array(fc.oneof({ arbitrary: validItem, weight: 4 }, unknownItem, wrongSameLength, wrongOtherLength, otherSecret, missingClientState), {
          maxLength: 6
        }),
        weight: 3
      },
      { arbitrary: fc.array(anyItem, { maxLength: 6 }), weight: 2 }
    ),
    fc.option(fc.array(fc.string(), { maxLength: 2 }), { nil: undefined })
  )
  .map(([value, validationTokens]) => JSON.stringify({ value, ...(validationTokens ? { validationTokens } : {}) }))

const nest = (depth: number, kind: 'array' | 'object', inner: string): string =>
  kind === 'array' ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth)

const deepJson = fc
  .tuple(
    fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 60_000 })),
    fc.constantFrom<'array' | 'object'>('array', 'object'),
    fc.constantFrom('top', 'value', 'free field', 'clientState', 'subscriptionId'),
    subArb,
    nArb
  )
  .map(([depth, kind, where, s, n]) => {
    const item = JSON.stringify(graphItem(s.id, s.clientState, n))
    if (where === 'top') return nest(depth, kind, `{"value":[${item}]}`)
    if (where === 'value') return `{"value":${nest(depth, kind, item)}}`
    if (where === 'free field') return `{"value":[${item.slice(0, -1)},"extensions":${nest(depth, kind, '1')}}]}`
    if (where === 'clientState')
      return `{"value":[{"subscriptionId":${JSON.stringify(s.id)},"clientState":${nest(depth, kind, JSON.stringify(s.clientState))}}]}`
    return `{"value":[{"subscriptionId":${nest(depth, kind, JSON.stringify(s.id))},"clientState":${JSON.stringify(s.clientState)}}]}`
  })

const poisonJson = fc.tuple(subArb, nArb, fc.constantFrom(0, 1, 2, 3, 4, 5)).map(([s, n, variant]) => {
  const item = JSON.stringify(graphItem(s.id, s.clientState, n))
  return [
    `{"value":[${item}],"__proto__":{"polluted":true}}`,
    `{"value":[${item.slice(0, -1)},"__proto__":{"polluted":true}}]}`,
    `{"value":[${item}],"constructor":{"prototype":{"polluted":true}}}`,
    `{"value":[${item}],"\\u005f_proto__":{"polluted":true}}`,
    `{"value":[${item}],"constructor":{"name":"not poison"}}`,
    `{"value":[${item}],"prototype":{"polluted":true},"constructor":null}`
  ][variant] as string
})

const manyItems = fc
  .tuple(fc.constantFrom(999, 1000, 1001), subArb)
  .map(([count, s]) => JSON.stringify({ value: Array.from({ length: count }, (_, i) => graphItem(s.id, s.clientState, i)) }))

/** Any JSON: non-objects, random shapes, deep nesting, prototype poisoning, the item-count limit. */
const anyJson = fc.oneof(
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'null',
      '[]',
      '{}',
      '0',
      '-1.5e300',
      '"value"',
      'true',
      '{"value":null}',
      '{"value":{}}',
      '{"value":"[]"}',
      '{"value":[]}',
      '[{"value":[]}]',
      '{"Value":[]}',
      '{"value":[],"value":3}',
      '{"value":3,"value":[]}'
    ),
    weight: 2
  },
  { arbitrary: fc.record({ value: fc.jsonValue() }).map((v) => JSON.stringify(v)), weight: 4 },
  {
    arbitrary: fc
      .record({ value: fc.array(fc.oneof(validItem, fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })), { maxLength: 4 }) })
      .map((v) => JSON.stringify(v)),
    weight: 4
  },
  { arbitrary: deepJson, weight: 3 },
  { arbitrary: poisonJson, weight: 2 },
  { arbitrary: manyItems, weight: 1 }
)

const CONTENT_TYPES = [
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=latin1',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/vnd.api+json',
  'text/json',
  'application/octet-stream'
] as const

/** Bytes rather than JSON texts: garbage, cut-off JSON, invalid UTF-8 in strings, empty, around the size limit. */
const rawBody = fc.oneof(
  { arbitrary: graphBody.map((s) => Buffer.from(s)), weight: 3 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), weight: 2 },
  { arbitrary: fc.tuple(graphBody, fc.nat()).map(([s, k]) => Buffer.from(s).subarray(0, k % Math.max(1, Buffer.byteLength(s)))), weight: 2 },
  {
    arbitrary: fc
      .tuple(
        subArb,
        nArb,
        fc.constantFrom('resource', 'clientState', 'subscriptionId'),
        fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f], [0xc0, 0xaf])
      )
      .map(([s, n, field, bytes]) => {
        const marker = 'INVALID_UTF8_HERE'
        const item =
          field === 'subscriptionId'
            ? graphItem(s.id + marker, s.clientState, n)
            : field === 'clientState'
              ? graphItem(s.id, s.clientState + marker, n)
              : graphItem(s.id, s.clientState, n, { resource: `Users/x/Events/${marker}` })
        const [before, after] = JSON.stringify({ value: [item] }).split(marker) as [string, string]
        return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)])
      }),
    weight: 1
  },
  { arbitrary: fc.constant(Buffer.alloc(0)), weight: 1 },
  {
    arbitrary: fc.tuple(subArb, fc.integer({ min: -2, max: 2048 })).map(([s, delta]) => {
      // A valid notification padded with spaces to exactly LIMIT + delta bytes.
      const body = JSON.stringify({ value: [graphItem(s.id, s.clientState, 1)] })
      return Buffer.from(body + ' '.repeat(LIMIT + delta - Buffer.byteLength(body)))
    }),
    weight: 1
  }
)

// ---------------------------------------------------------------------------------------------
// The shared check of one POST: the answer, and exactly the authentic users' jobs.

interface Ledger {
  /** every user written to the inbox so far (no worker drains it here) */
  pending: Set<string>
  outcomes: { accepted: number; unknown_subscription: number; bad_client_state: number }
  statuses: Record<string, number>
}

const newLedger = (): Ledger => ({ pending: new Set(), outcomes: { accepted: 0, unknown_subscription: 0, bad_client_state: 0 }, statuses: {} })

async function postAndCheck(
  h: Harness,
  jobs: ReturnType<typeof inboxTracker>,
  ledger: Ledger,
  contentType: string | undefined,
  payload: Buffer
): Promise<void> {
  const exp = expected(contentType, payload)
  const res = await h.post(NOTIFICATIONS, contentType, payload)
  const what = (): string => `content-type ${JSON.stringify(contentType)}, ${payload.length} bytes: ${payload.subarray(0, 400).toString('utf8')}`
  checkAnswer(res, exp, what)
  ledger.statuses[res.statusCode] = (ledger.statuses[res.statusCode] ?? 0) + 1
  const { submitted, created } = await jobs.since()
  if (res.statusCode !== 202 || exp.kind === 'refused' || exp.kind === 'handshake') {
    assert.equal(submitted, 0, `a refused POST enqueues nothing: ${what()}`)
    return
  }
  const { users, outcomes } = authentic(exp.body, POOL_BY_ID)
  for (const k of Object.keys(outcomes) as Array<keyof typeof outcomes>) ledger.outcomes[k] += outcomes[k]
  assert.equal(submitted, users.size > 0 ? 1 : 0, `one inbox write for a POST with authentic items, none without: ${what()}`)
  const written = created.map((c) => c.userId).sort()
  assert.deepEqual(written, [...users].sort(), `exactly the authentic items' users, each once (${[...users].join(', ')}): ${what()}`)
  for (const u of written) ledger.pending.add(u)
}

async function checkLedger(t: Test, h: Harness, ledger: Ledger, route = 'notifications'): Promise<void> {
  t.same(
    (await h.producer.zrange(`${h.prefix}:inbox`, 0, -1)).sort(),
    [...ledger.pending].sort(),
    'the inbox holds every user written, once each, and no one else'
  )
  const pending = await h.queues.sync.getJobs(['delayed', 'waiting', 'active', 'completed', 'failed'])
  t.same(
    pending.map((j) => j.name),
    ledger.pending.size > 0 ? ['drain-inbox'] : [],
    'one drain asked for, however many writes (and no job per notification)'
  )
  const metrics = await metricValues(h)
  t.same(
    {
      accepted: metrics[`${route}/accepted`] ?? 0,
      unknown_subscription: metrics[`${route}/unknown_subscription`] ?? 0,
      bad_client_state: metrics[`${route}/bad_client_state`] ?? 0
    },
    ledger.outcomes,
    'every item counted under its outcome'
  )
  const health = await h.app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200, 'still alive')
  t.equal(({} as Dict)['polluted'], undefined, 'Object.prototype untouched')
  t.comment(`answers ${JSON.stringify(ledger.statuses)}; items ${JSON.stringify(ledger.outcomes)}; ${ledger.pending.size} users with a pending sync`)
}

// ---------------------------------------------------------------------------------------------

t.before(async () => {
  redis = await usePrivateRedis(t)
})

t.test('Graph-shaped bodies: the answer the contract says, and jobs for exactly the authentic items (4,000)', async (t) => {
  const h = await harness(t, '{a}')
  const jobs = inboxTracker(h.prefix, h.producer)
  await jobs.start()
  const ledger = newLedger()
  await fc.assert(
    fc.asyncProperty(graphBody, async (body) => postAndCheck(h, jobs, ledger, 'application/json', Buffer.from(body))),
    { numRuns: 4000 }
  )
  t.ok(
    ledger.outcomes.accepted > 1000 && ledger.outcomes.bad_client_state > 1000 && ledger.outcomes.unknown_subscription > 500,
    'the mix has every kind of item'
  )
  t.ok((ledger.statuses['202'] ?? 0) > 2000 && (ledger.statuses['400'] ?? 0) > 300, 'accepted and refused bodies both common')
  await checkLedger(t, h, ledger)
})

t.test('any JSON: non-objects, random shapes, deep nesting, prototype poisoning, 1000-item limit (2,500)', async (t) => {
  const h = await harness(t, '{b}')
  const jobs = inboxTracker(h.prefix, h.producer)
  await jobs.start()
  const ledger = newLedger()
  await fc.assert(
    fc.asyncProperty(anyJson, fc.constantFrom('application/json', 'application/json; charset=utf-8'), async (body, type) =>
      postAndCheck(h, jobs, ledger, type, Buffer.from(body))
    ),
    { numRuns: 2500 }
  )
  await checkLedger(t, h, ledger)
})

t.test('bytes and media types: garbage, truncated, invalid UTF-8, empty, around 1 MiB, wrong content types (1,500)', async (t) => {
  const h = await harness(t, '{c}')
  const jobs = inboxTracker(h.prefix, h.producer)
  await jobs.start()
  const ledger = newLedger()
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...CONTENT_TYPES), rawBody, async (type, body) => postAndCheck(h, jobs, ledger, type, body)),
    { numRuns: 1500 }
  )
  t.ok(
    (ledger.statuses['413'] ?? 0) > 0 && (ledger.statuses['415'] ?? 0) > 0 && (ledger.statuses['400'] ?? 0) > 0 && (ledger.statuses['202'] ?? 0) > 0,
    'every answer seen'
  )
  await checkLedger(t, h, ledger)
  // No body at all, with and without a JSON content type.
  const none = await h.post(NOTIFICATIONS, undefined, undefined)
  checkAnswer(none, { kind: 'refused', statuses: [415], why: 'no content type' }, () => 'no body, no content type')
  const emptyJson = await h.post(NOTIFICATIONS, 'application/json', undefined)
  checkAnswer(emptyJson, { kind: 'refused', statuses: [400], why: 'empty JSON' }, () => 'no body, JSON content type')
  t.equal((await jobs.since()).submitted, 0)
})

t.test('duplicates in one POST and across POSTs leave each user in the inbox once; bad items in between change nothing (1,000 runs)', async (t) => {
  const h = await harness(t, '{d}')
  const jobs = inboxTracker(h.prefix, h.producer)
  await jobs.start()
  let run = 0
  // No worker drains the inbox here, so a user written once stays for the whole test: every later
  // authentic item for them, however long after, moves them to the later write instead of
  // adding them twice. Nothing depends on how fast the POSTs follow each other.
  // (A wrongly typed item makes the whole POST a 400: its own test below.)
  const kinds = ['valid', 'valid', 'valid', 'wrong', 'missing', 'unknown'] as const
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 3 }),
      fc.array(fc.array(fc.record({ who: fc.nat({ max: 2 }), kind: fc.constantFrom(...kinds) }), { minLength: 1, maxLength: 5 }), {
        minLength: 2,
        maxLength: 4
      }),
      async (userCount, posts) => {
        run++
        const pool = makePool(`d${run}`)
          .slice(0, userCount)
          .map((s, i) => ({ ...s, id: `${s.id}-d${run}-${i}` }))
        await savePool(h.subs, pool)
        const byId = new Map(pool.map((s) => [s.id, s]))
        const firstSeen = new Set<string>()
        for (const [p, picks] of posts.entries()) {
          const value = picks.map(({ who, kind }, i) => {
            const s = pool[who % pool.length] as PoolSub
            if (kind === 'valid') return graphItem(s.id, s.clientState, i)
            if (kind === 'wrong') return graphItem(s.id, s.clientState.slice(1) + 'A', i)
            if (kind === 'missing') return graphItem(s.id, undefined, i)
            return graphItem(`${s.id}-unknown`, s.clientState, i)
          })
          const res = await h.post(NOTIFICATIONS, 'application/json', JSON.stringify({ value }))
          assert.equal(res.statusCode, 202, res.body)
          const { users } = authentic({ value: JSON.parse(JSON.stringify(value)) as Dict[] }, byId)
          const { submitted, created } = await jobs.since()
          assert.equal(submitted, users.size > 0 ? 1 : 0, `post ${p}: one write when it had authentic items`)
          const here = new Set(created.map((j) => j.userId))
          assert.equal(here.size, created.length, `post ${p}: each user once per write`)
          assert.deepEqual([...here].sort(), [...users].sort(), `post ${p}: the write holds exactly the authentic users`)
          for (const u of users) firstSeen.add(u)
        }
        for (const s of pool) {
          const inInbox = (await h.producer.zscore(`${h.prefix}:inbox`, s.mmUserId)) !== null
          assert.equal(inInbox, firstSeen.has(s.mmUserId), `${s.mmUserId}: in the inbox exactly when an authentic item named them`)
        }
      }
    ),
    { numRuns: 1000 }
  )
  const members = await h.producer.zrange(`${h.prefix}:inbox`, 0, -1)
  t.ok(members.length > 0, `${members.length} users in the inbox over ${run} runs`)
  t.equal(new Set(members).size, members.length, 'each once')
  const pending = await h.queues.sync.getJobs(['delayed', 'waiting'])
  t.same(
    pending.map((j) => j.name),
    ['drain-inbox'],
    'one drain pending for all of them'
  )
})

t.test('validation handshake: 200 text/plain with exactly the decoded token, on both routes, whatever the body (1,000)', async (t) => {
  const h = await harness(t, '{e}')
  const syncJobs = inboxTracker(h.prefix, h.producer)
  const maintenanceJobs = tracker(h.queues.maintenance, h.producer)
  await syncJobs.start()
  await maintenanceJobs.start()
  const authenticBody = JSON.stringify({ value: [graphItem(POOL[0]?.id, POOL[0]?.clientState, 1, { lifecycleEvent: 'missed' })] })
  const bodies: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['text/plain; charset=utf-8', ''],
    ['text/plain', 'hello'],
    ['application/json', '{"value": ['],
    ['application/json', authenticBody],
    ['application/xml', '<a/>']
  ]
  const tokenArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({
      unit: fc.constantFrom(' ', '+', '/', '=', '%', '&', '#', '?', ';', ':', '"', '\\', 'é', '日', '✓', '😀', 'a', 'Z', '9', '-', '\n', '\t'),
      maxLength: 60
    }),
    fc.constantFrom(
      'Validation: Testing client application reachability for subscription Request-Id: 7f2c3f5e-0a1b-4c2d-9e8f-000000000000',
      '%2B',
      '%',
      '%%',
      '+',
      '',
      '='
    )
  )
  await fc.assert(
    fc.asyncProperty(
      tokenArb,
      fc.constantFrom(NOTIFICATIONS, LIFECYCLE),
      fc.constantFrom('component', 'form'),
      fc.nat({ max: bodies.length - 1 }),
      async (token, route, encoding, b) => {
        const query = encoding === 'component' ? `validationToken=${encodeURIComponent(token)}` : new URLSearchParams({ validationToken: token }).toString()
        const [type, payload] = bodies[b] as [string | undefined, string | undefined]
        const res = await h.post(`${route}?${query}`, type, payload)
        const what = `${route}?${query} (${String(type)})`
        assert.equal(res.statusCode, 200, what)
        assert.match(String(res.headers['content-type']), /^text\/plain/, what)
        assert.equal(res.body, token, what)
        assert.ok(res.rawPayload.equals(Buffer.from(token, 'utf8')), `${what}: the bytes are the token's UTF-8`)
        assert.equal((await syncJobs.since()).submitted, 0, `${what}: a handshake enqueues nothing`)
        assert.equal((await maintenanceJobs.since()).submitted, 0, `${what}: a handshake enqueues nothing`)
      }
    ),
    { numRuns: 1000 }
  )
  t.pass('1,000 handshakes answered with their token')
})

t.test('wrongly typed fields are refused with 400, not coerced', async (t) => {
  const h = await harness(t, '{f}')
  const jobs = inboxTracker(h.prefix, h.producer)
  await jobs.start()
  const s = POOL[0] as PoolSub
  const cases: Array<[string, Dict]> = [
    ['subscriptionId a number', graphItem(12345, s.clientState, 1)],
    ['subscriptionId a boolean', graphItem(true, s.clientState, 1)],
    ['subscriptionId in an array', graphItem([s.id], s.clientState, 1)],
    ['clientState null', graphItem(s.id, null, 1)],
    ['clientState a number', graphItem(s.id, 42, 1)],
    ['clientState in an array', graphItem(s.id, [s.clientState], 1)],
    ['both in arrays', graphItem([s.id], [s.clientState], 1)]
  ]
  for (const [name, item] of cases) {
    const res = await h.post(NOTIFICATIONS, 'application/json', JSON.stringify({ value: [item] }))
    t.ok(res.statusCode < 500, `${name}: never a 5xx`)
    t.equal(res.statusCode, 400, `${name}: 400 (got ${res.statusCode})`)
  }
  const { created } = await jobs.since()
  t.same(
    created.map((j) => j.userId),
    [],
    `nothing enqueued for wrongly typed items (got ${created.map((j) => j.userId).join(', ')})`
  )
})

t.test('a user notified again while in the inbox stays there once, under the latest write', async (t) => {
  const h = await harness(t, '{g}')
  const s = POOL[1] as PoolSub
  const seqs: number[] = []
  for (let i = 0; i < 3; i++) {
    const res = await h.post(NOTIFICATIONS, 'application/json', JSON.stringify({ value: [graphItem(s.id, s.clientState, i)] }))
    t.equal(res.statusCode, 202)
    seqs.push(Number(await h.producer.zscore(`${h.prefix}:inbox`, s.mmUserId)))
  }
  t.same(await h.producer.zrange(`${h.prefix}:inbox`, 0, -1), [s.mmUserId], 'one entry')
  t.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!, `moved to each later write (${seqs.join(', ')}), so a drain that took an earlier one leaves it in`)
})
