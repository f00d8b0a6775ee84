import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// Mattermost POSTs a button or menu click to the integration URL without any authentication,
// echoing the `context` object the post carried (https://developers.mattermost.com/integrate/plugins/interactive-messages/).
// So the context carries its own proof: an HMAC over every field, an expiry, and a random nonce
// that the caller spends once (src/store/nonce-store.ts) so a click cannot be replayed.

export type ContextValue = string | number | boolean
export type ActionContext = Record<string, ContextValue>

export type VerifiedContext =
  | {
      ok: true
      /** The fields given to sign(), without exp, nonce, sig and selected_option. */
      payload: ActionContext
      nonce: string
      expiresAtMs: number
      /** The option a person picked in a menu; Mattermost adds it, so it is not signed. */
      selectedOption: string | null
    }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' }

export interface ContextSigner {
  /** The payload plus `exp`, `nonce` and `sig`, to put in an action's `integration.context`. */
  sign(payload: ActionContext, expiresAtMs: number): ActionContext
  /** Whatever came back as `context`: genuine, unexpired, and its fields; or why not. */
  verify(context: unknown): VerifiedContext
}

const EXP = 'exp'
const NONCE = 'nonce'
const SIG = 'sig'
/** Added by the Mattermost server to a menu's context (server/channels/app/integration_action.go). */
const SELECTED_OPTION = 'selected_option'
const RESERVED = new Set([EXP, NONCE, SIG, SELECTED_OPTION])

// Our contexts hold a few short ids. Anything far larger is refused before any hashing.
const MAX_FIELDS = 32
const MAX_TEXT_LENGTH = 1024
const MIN_SECRET_BYTES = 16
const NONCE_BYTES = 16
const SIG_TEXT = /^[A-Za-z0-9_-]{43}$/ // base64url of a SHA-256 HMAC, no padding
const NONCE_TEXT = /^[A-Za-z0-9_-]{22}$/
// Names the purpose inside the MAC, so a signature made for something else never verifies here.
const PURPOSE = 'calstatus action context v1\n'

const isValue = (v: unknown): v is ContextValue =>
  typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_TEXT_LENGTH)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** JSON of the entries sorted by key: one text per set of fields, and no field can pose as two. */
function canonical(fields: ActionContext): string {
  const keys = Object.keys(fields).sort()
  return PURPOSE + JSON.stringify(keys.map((key) => [key, fields[key]]))
}

function withoutKeys(context: Record<string, unknown>, drop: ReadonlySet<string>): ActionContext {
  return Object.fromEntries(Object.entries(context).filter(([key]) => !drop.has(key))) as ActionContext
}

/** The fields as they were signed, or null when the shape alone rules it out. */
function signedFields(context: unknown): ActionContext | null {
  if (!isPlainObject(context)) return null
  const entries = Object.entries(context)
  if (entries.length > MAX_FIELDS) return null
  if (entries.some(([key, value]) => key.length > MAX_TEXT_LENGTH || !isValue(value))) return null
  const fields = withoutKeys(context, new Set([SIG, SELECTED_OPTION]))
  const exp = fields[EXP]
  const nonce = fields[NONCE]
  if (typeof exp !== 'number' || typeof nonce !== 'string' || !NONCE_TEXT.test(nonce)) return null
  return fields
}

function checkPayload(payload: ActionContext, expiresAtMs: number): void {
  if (!Number.isFinite(expiresAtMs)) throw new Error('signed context: expiresAtMs must be a finite number')
  const entries = Object.entries(payload)
  if (entries.length > MAX_FIELDS - 3) throw new Error(`signed context: at most ${MAX_FIELDS - 3} fields`)
  for (const [key, value] of entries) {
    if (RESERVED.has(key)) throw new Error(`signed context: "${key}" is reserved`)
    if (key.length > MAX_TEXT_LENGTH || !isValue(value)) throw new Error(`signed context: field "${key}" is not a short string, finite number or boolean`)
  }
}

export function createContextSigner(secret: string | Buffer, opts: { now?: () => number } = {}): ContextSigner {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
  if (key.length < MIN_SECRET_BYTES) throw new Error(`signed context: the secret must be at least ${MIN_SECRET_BYTES} bytes`)
  const now = opts.now ?? Date.now
  const mac = (fields: ActionContext): string => createHmac('sha256', key).update(canonical(fields)).digest('base64url')

  return {
    sign(payload, expiresAtMs) {
      checkPayload(payload, expiresAtMs)
      const fields: ActionContext = { ...payload, [EXP]: expiresAtMs, [NONCE]: randomBytes(NONCE_BYTES).toString('base64url') }
      return { ...fields, [SIG]: mac(fields) }
    },

    verify(context) {
      const fields = signedFields(context)
      if (fields === null) return { ok: false, reason: 'malformed' }
      const sig = (context as Record<string, unknown>)[SIG]
      if (typeof sig !== 'string' || !SIG_TEXT.test(sig)) return { ok: false, reason: 'malformed' }
      // Equal lengths (both 43 characters), so timingSafeEqual compares without throwing.
      if (!timingSafeEqual(Buffer.from(mac(fields)), Buffer.from(sig))) return { ok: false, reason: 'forged' }
      const expiresAtMs = fields[EXP] as number
      if (now() >= expiresAtMs) return { ok: false, reason: 'expired' }
      const selected = (context as Record<string, unknown>)[SELECTED_OPTION]
      return {
        ok: true,
        payload: withoutKeys(fields, RESERVED),
        nonce: fields[NONCE] as string,
        expiresAtMs,
        selectedOption: typeof selected === 'string' ? selected : null
      }
    }
  }
}
