import t from 'tap'
import { createContextSigner, type ActionContext, type ContextValue } from '../../src/shared/signed-context'

const SECRET = 'a secret of at least sixteen bytes'
const NOW = Date.UTC(2024, 5, 3, 9, 0)
const EXPIRES = NOW + 15 * 60_000
const signer = createContextSigner(SECRET, { now: () => NOW })
const PAYLOAD: ActionContext = { action: 'confirm', userId: 'u1abcdefghijklmnopqrstuvwx', minutes: 30, dnd: true }
const signed = (): ActionContext => signer.sign(PAYLOAD, EXPIRES)

t.test('round trip: the payload, the nonce and the expiry come back', async (t) => {
  const context = signed()
  t.strictSame(Object.keys(context).sort(), ['action', 'dnd', 'exp', 'minutes', 'nonce', 'sig', 'userId'])
  t.equal(context['exp'], EXPIRES)
  const result = signer.verify(context)
  if (!result.ok) return t.fail(`not verified: ${result.reason}`)
  t.strictSame(result.payload, PAYLOAD)
  t.equal(result.nonce, context['nonce'])
  t.equal(result.expiresAtMs, EXPIRES)
  t.equal(result.selectedOption, null)
})

t.test('it survives the trip through Mattermost: JSON, and the keys in another order', async (t) => {
  const context = signed()
  const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(context)) as ActionContext).reverse())
  t.equal(signer.verify(reordered).ok, true)
})

t.test('every signature gets its own nonce', async (t) => {
  const nonces = new Set(Array.from({ length: 50 }, () => signed()['nonce']))
  t.equal(nonces.size, 50)
})

t.test('every field tampered with: forged', async (t) => {
  const context = signed()
  const changes: Record<string, ContextValue> = {
    action: 'cancel',
    userId: 'someone-else',
    minutes: 31,
    dnd: false,
    exp: EXPIRES + 60_000,
    nonce: 'AAAAAAAAAAAAAAAAAAAAAA'
  }
  for (const [key, value] of Object.entries(changes)) {
    t.strictSame(signer.verify({ ...context, [key]: value }), { ok: false, reason: 'forged' }, key)
  }
  t.strictSame(signer.verify({ ...context, minutes: '30' }), { ok: false, reason: 'forged' }, 'a number turned into a string')
  const sig = String(context['sig'])
  const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)
  t.strictSame(signer.verify({ ...context, sig: flipped }), { ok: false, reason: 'forged' }, 'the signature itself')
})
t.test('a field added or removed: forged', async (t) => {
  const context = signed()
  t.strictSame(signer.verify({ ...context, admin: true }), { ok: false, reason: 'forged' }, 'added')
  const { minutes, ...without } = context
  t.equal(minutes, 30)
  t.strictSame(signer.verify(without), { ok: false, reason: 'forged' }, 'removed')
})

t.test('no field can pose as another: keys and values are encoded apart', async (t) => {
  const a = createContextSigner(SECRET, { now: () => NOW })
  const context = a.sign({ ab: 'c' }, EXPIRES)
  t.strictSame(a.verify({ ...withoutField(context, 'ab'), a: 'bc' }), { ok: false, reason: 'forged' })
  t.strictSame(a.verify({ ...withoutField(context, 'ab'), 'ab"': 'c' }), { ok: false, reason: 'forged' })
})
const withoutField = (context: ActionContext, key: string): ActionContext => Object.fromEntries(Object.entries(context).filter(([k]) => k !== key))

t.test('the signature removed, or not a signature: malformed', async (t) => {
  const context = signed()
  t.strictSame(signer.verify(withoutField(context, 'sig')), { ok: false, reason: 'malformed' })
  for (const sig of ['', 'short', 12, true, String(context['sig']) + 'A', String(context['sig']).replace(/^./, '+')]) {
    t.strictSame(signer.verify({ ...context, sig }), { ok: false, reason: 'malformed' }, String(sig))
  }
  t.strictSame(signer.verify(withoutField(context, 'nonce')), { ok: false, reason: 'malformed' }, 'no nonce')
  t.strictSame(signer.verify({ ...context, exp: String(EXPIRES) }), { ok: false, reason: 'malformed' }, 'exp as text')
})

t.test('expired: at and after the expiry, and only when genuine', async (t) => {
  const context = signed()
  t.equal(createContextSigner(SECRET, { now: () => EXPIRES - 1 }).verify(context).ok, true, 'a millisecond before')
  t.strictSame(createContextSigner(SECRET, { now: () => EXPIRES }).verify(context), { ok: false, reason: 'expired' })
  t.strictSame(createContextSigner(SECRET, { now: () => EXPIRES + 86_400_000 }).verify(context), { ok: false, reason: 'expired' })
  const late = createContextSigner(SECRET, { now: () => EXPIRES + 1 })
  t.strictSame(late.verify({ ...context, exp: EXPIRES + 3_600_000 }), { ok: false, reason: 'forged' }, 'a later expiry written in is forged, not expired')
})

t.test('another secret: forged; a short secret is refused', async (t) => {
  const other = createContextSigner(Buffer.from('another secret of sixteen bytes or more'), { now: () => NOW })
  t.strictSame(other.verify(signed()), { ok: false, reason: 'forged' })
  t.throws(() => createContextSigner('too short'), /at least 16 bytes/)
  t.throws(() => createContextSigner(Buffer.alloc(0)), /at least 16 bytes/)
})

t.test('what is not a context object: malformed', async (t) => {
  const inputs: unknown[] = [undefined, null, 0, 42, 'context', true, [], [signed()], new Date(NOW), new Map(Object.entries(signed())), () => signed()]
  for (const input of inputs) t.strictSame(signer.verify(input), { ok: false, reason: 'malformed' }, Object.prototype.toString.call(input))
  t.strictSame(signer.verify({ ...signed(), nested: { a: 1 } }), { ok: false, reason: 'malformed' }, 'a nested object')
  t.strictSame(signer.verify({ ...signed(), list: [1] }), { ok: false, reason: 'malformed' }, 'an array value')
  t.strictSame(signer.verify({ ...signed(), nothing: null }), { ok: false, reason: 'malformed' }, 'a null value')
  t.strictSame(signer.verify({ ...signed(), minutes: Infinity }), { ok: false, reason: 'malformed' }, 'a non-finite number')
  t.strictSame(signer.verify(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(signed()).slice(1)}`)), { ok: false, reason: 'malformed' })
})

t.test('huge inputs: malformed without hashing them', async (t) => {
  const context = signed()
  t.strictSame(signer.verify({ ...context, userId: 'x'.repeat(5_000_000) }), { ok: false, reason: 'malformed' }, 'a huge value')
  t.strictSame(signer.verify({ ...context, ['k'.repeat(100_000)]: 1 }), { ok: false, reason: 'malformed' }, 'a huge key')
  const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`f${i}`, i]))
  t.strictSame(signer.verify({ ...context, ...many }), { ok: false, reason: 'malformed' }, 'a huge number of fields')
})

t.test('selected_option is left out of the signature and handed back', async (t) => {
  const context = signed()
  const result = signer.verify({ ...context, selected_option: '60' })
  if (!result.ok) return t.fail(`not verified: ${result.reason}`)
  t.equal(result.selectedOption, '60')
  t.strictSame(result.payload, PAYLOAD, 'not part of the payload')
  t.strictSame(signer.verify({ ...context, selected_option: 60 }).ok, true, 'a number there is ignored too')
})

t.test('sign refuses what it could not verify', async (t) => {
  for (const key of ['exp', 'nonce', 'sig', 'selected_option']) t.throws(() => signer.sign({ [key]: 'x' }, EXPIRES), /reserved/, key)
  t.throws(() => signer.sign({ a: NaN }, EXPIRES), /field "a"/)
  t.throws(() => signer.sign({ a: 'x'.repeat(2000) }, EXPIRES), /field "a"/)
  t.throws(() => signer.sign({ a: { b: 1 } as unknown as string }, EXPIRES), /field "a"/)
  t.throws(() => signer.sign(PAYLOAD, NaN), /expiresAtMs/)
  t.throws(() => signer.sign(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i])), EXPIRES), /at most 29 fields/)
})
