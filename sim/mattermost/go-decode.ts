import { invalidBodyParam } from './app-error'
import { goDecodedString } from './go-json'

// json.NewDecoder(r.Body).Decode(&struct) in the server: a field of the wrong JSON type is an
// error (400), `null` leaves the zero value, unknown fields are ignored, a float in an int64
// field is an error. JSON.parse alone would accept all of these, so the handlers check the
// fields they read with these helpers.

export type GoFieldType = 'string' | 'int64' | 'bool' | 'object' | 'string[]' | 'time'

export class GoDecodeError extends Error {}

function check(value: unknown, type: GoFieldType, field: string): unknown {
  if (value === null || value === undefined) return undefined
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type string`)
      return goDecodedString(value)
    case 'int64':
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type int64`)
      return value
    case 'bool':
      if (typeof value !== 'boolean') throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type bool`)
      return value
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value))
        throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type map[string]interface {}`)
      return value
    case 'string[]':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && v !== null))
        throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type []string`)
      return value.map((v) => (typeof v === 'string' ? goDecodedString(v) : ''))
    case 'time':
      if (typeof value !== 'string') throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field .${field} of type time.Time`)
      return value
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return 'number'
  return typeof v
}

/**
 * Decode a JSON body into a "struct" of the given field types. A top-level `null` gives the
 * zero struct (as in Go); anything but an object is an error.
 */
export function decodeStruct<T extends Record<string, GoFieldType>>(raw: string, fields: T): { [K in keyof T]: unknown } {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    throw new GoDecodeError(raw.trim() === '' ? 'EOF' : `invalid character in JSON: ${(err as Error).message}`)
  }
  const out = {} as { [K in keyof T]: unknown }
  if (parsed === null) return out
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new GoDecodeError(`json: cannot unmarshal ${jsonKind(parsed)} into Go value of type struct`)
  const obj = parsed as Record<string, unknown>
  for (const key of Object.keys(fields) as (keyof T & string)[]) {
    out[key] = check(obj[key], fields[key] as GoFieldType, key)
  }
  return out
}

/** Decode a JSON body into []string; null gives an empty list. */
export function decodeStringArray(raw: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    throw new GoDecodeError(raw.trim() === '' ? 'EOF' : `invalid character in JSON: ${(err as Error).message}`)
  }
  if (parsed === null) return []
  if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string' && v !== null))
    throw new GoDecodeError('json: cannot unmarshal into Go value of type []string')
  return parsed.map((v) => (typeof v === 'string' ? goDecodedString(v) : ''))
}

/** Run a decode and map its failure to the handler's 400. */
export function decodeOr400<R>(param: string, decode: () => R): R {
  try {
    return decode()
  } catch (err) {
    if (err instanceof GoDecodeError) throw invalidBodyParam(param, err.message)
    throw err
  }
}
