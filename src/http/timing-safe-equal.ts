import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Constant-time string comparison that does not leak the length either: both sides are
 * hashed to the same size before timingSafeEqual (which throws on different lengths).
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest()
  const hb = createHash('sha256').update(b, 'utf8').digest()
  return timingSafeEqual(ha, hb)
}
