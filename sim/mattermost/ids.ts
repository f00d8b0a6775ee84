import { randomBytes } from 'node:crypto'

// Mattermost ids (model.NewId) are 16 random bytes in base32 with this alphabet, no padding:
// 26 characters of [a-z0-9]. Reproducing the alphabet keeps generated ids indistinguishable
// from real ones (e.g. for code that validates ids with a regex).
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769'

export function newId(): string {
  const bytes = randomBytes(16)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** model.IsValidId: exactly 26 letters or digits. */
export function isValidId(id: string): boolean {
  return /^[A-Za-z0-9]{26}$/.test(id)
}
