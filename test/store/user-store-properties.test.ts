import t from 'tap'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { createUserStore, type Lease } from '../../src/store/user-store'
import { usePrivateRedis } from '../helpers/redis-server'

// The state store's compare-and-set, as a model: any interleaving of record reads, leased
// commits, lease-free commits of decisions made on an earlier read, and another job holding
// the lease, against real Redis. The invariant the sync pipeline relies on: a lease-free commit
// lands only if no commit happened since its read and nobody holds the user, and never over a
// newer view; what is remembered is always the last commit that landed.

type Op =
  | { kind: 'read'; slot: number }
  | { kind: 'leased'; viewAt: number; value: number }
  | { kind: 'quiet'; slot: number; viewAt: number; value: number }
  | { kind: 'hold' }
  | { kind: 'unhold' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), slot: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant('leased' as const), viewAt: fc.integer({ min: 1, max: 20 }), value: fc.nat({ max: 999 }) }),
  fc.record({ kind: fc.constant('quiet' as const), slot: fc.nat({ max: 2 }), viewAt: fc.integer({ min: 1, max: 20 }), value: fc.nat({ max: 999 }) }),
  fc.constant({ kind: 'hold' as const }),
  fc.constant({ kind: 'unhold' as const })
)

t.test('lease-free commits land exactly when the model says; the last landed commit is what is remembered', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  let run = 0

  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
      const store = createUserStore<{ v: number }>(redis, `{prop${run++}}`)
      await store.upsertFromDirectory([{ mmUserId: 'u', email: 'u@example.com', username: 'u', timeZone: 'UTC', isSystemAdmin: false }])
      const model = { rev: 0, appliedViewAt: 0, remembered: null as { v: number } | null }
      const slots: Array<number | undefined> = [undefined, undefined, undefined]
      let held: Lease | null = null

      for (const op of ops) {
        if (op.kind === 'read') {
          slots[op.slot] = (await store.get('u'))!.rev
        } else if (op.kind === 'hold') {
          if (!held) held = await store.lease('u', 60_000)
          if (!held) return false
        } else if (op.kind === 'unhold') {
          if (held) await store.release(held)
          held = null
        } else if (op.kind === 'leased') {
          const lease = await store.lease('u', 60_000)
          if (held) {
            if (lease !== null) return false // the lease is exclusive
            continue
          }
          if (!lease) return false
          const result = await store.commit(lease, { viewAt: op.viewAt, remembered: { v: op.value }, lastSyncAt: 1, lastError: null })
          await store.release(lease)
          const expected = op.viewAt < model.appliedViewAt ? 'stale-view' : 'committed'
          if (result !== expected) return false
          if (result === 'committed') Object.assign(model, { rev: model.rev + 1, appliedViewAt: op.viewAt, remembered: { v: op.value } })
        } else {
          const readRev = slots[op.slot]
          if (readRev === undefined) continue // no decision without a read
          const [result] = await store.commitUnchanged([
            { mmUserId: 'u', rev: readRev, viewAt: op.viewAt, remembered: { v: op.value }, lastSyncAt: 1, lastError: null }
          ])
          const expected = held ? 'busy' : readRev !== model.rev ? 'changed' : op.viewAt < model.appliedViewAt ? 'stale-view' : 'committed'
          if (result !== expected) return false
          if (result === 'committed') Object.assign(model, { rev: model.rev + 1, appliedViewAt: op.viewAt, remembered: { v: op.value } })
        }
        const record = (await store.get('u'))!
        if (record.rev !== model.rev || record.appliedViewAt !== model.appliedViewAt) return false
        if (JSON.stringify(record.remembered) !== JSON.stringify(model.remembered)) return false
      }
      return true
    }),
    { numRuns: 150 }
  )
  t.pass('150 generated interleavings matched the model')
})
