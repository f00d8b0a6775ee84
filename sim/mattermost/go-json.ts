// Go's encoding/json, as the server uses it, differs from JSON.stringify in ways a client can
// observe when it compares strings: it escapes <, > and & (HTML-safe) and U+2028/U+2029, and
// replaces invalid UTF-16 (lone surrogates, which JSON.parse lets through) with U+FFFD on
// decode. The stored `props.customStatus` string is produced this way.

const HTML_UNSAFE = /[<>&\u2028\u2029]/g

function escapeChar(ch: string): string {
  return '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')
}

/** json.Marshal of a plain JSON value. */
export function goMarshal(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? 'null' : text.replace(HTML_UNSAFE, escapeChar)
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** What a string looks like after Go decoded it: lone surrogates become U+FFFD. */
export function goDecodedString(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD')
}

/** Go counts and slices strings by rune (code point), not by UTF-16 unit or byte. */
export function runeCount(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

export function truncateRunes(s: string, max: number): string {
  let out = ''
  let n = 0
  for (const ch of s) {
    if (n === max) break
    out += ch
    n++
  }
  return out
}

/** strconv.ParseBool */
export function goParseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false
  return undefined
}

/** strconv.Atoi / ParseInt(s, 10, 64) */
export function goParseInt(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}
