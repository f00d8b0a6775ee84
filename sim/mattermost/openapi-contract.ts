import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { parse as parseYaml } from 'yaml'

// Contract checking against Mattermost's own OpenAPI spec. The spec is assembled the way
// upstream's api/Makefile does it (sim/mattermost/openapi/SOURCE.md): introduction.yaml
// (ends with "paths:") + the path fragments + definitions.yaml (starts with "components:").
// A request is checked for: a path template and method the spec knows, path parameters,
// query parameters (known names, types), and the JSON body against the requestBody schema.
//
// OpenAPI 3.0 schemas are not JSON Schema: `nullable`, the boolean exclusiveMinimum/Maximum,
// and keywords such as `example` are translated or dropped before ajv sees them, and formats
// ajv does not know (int64, binary) are accepted as is.
//
// Known difference (SOURCE.md): the Status schema has no dnd_end_time although the server
// accepts and returns it (seconds). The assembled spec adds it to Status, so responses carrying
// it validate; the PUT /users/{user_id}/status body schema already lists it.

export const SPEC_FRAGMENTS = [
  'introduction.yaml',
  'users.yaml',
  'status.yaml',
  'channels.yaml',
  'posts.yaml',
  'commands.yaml',
  'bots.yaml',
  'teams.yaml',
  'definitions.yaml'
] as const

export interface ContractViolation {
  method: string
  /** the request path as received (no query) */
  path: string
  /** "PUT /api/v4/users/{user_id}/status" when the path matched a spec template */
  operation?: string
  where: 'route' | 'method' | 'path' | 'query' | 'body' | 'response'
  message: string
}

export interface ContractRequest {
  method: string
  /** raw (still percent-encoded) path, without the query string */
  path: string
  query?: URLSearchParams | string
  /** the raw body; undefined or '' when there was none */
  body?: string
  contentType?: string
  /** the body was not kept (over the size limit): check path and query only */
  skipBody?: boolean
}

export interface OpenApiContract {
  readonly specDir: string
  readonly pathCount: number
  /** the assembled document (parsed YAML, with the dnd_end_time patch) */
  readonly spec: OpenApiDoc
  /** The spec template for a raw path, preferring literal segments over parameters. */
  matchPath(path: string): { template: string; params: Record<string, string> } | undefined
  validateRequest(req: ContractRequest): ContractViolation[]
  /** Checks a response body against the documented schema for that status (2xx must be documented). */
  validateResponse(method: string, path: string, status: number, body: unknown): ContractViolation[]
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type JsonObject = { [k: string]: Json }

interface OpenApiParameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonObject
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[]
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> }
  responses?: Record<string, JsonObject>
}

export interface OpenApiDoc {
  openapi: string
  paths: Record<string, Record<string, OpenApiOperation | OpenApiParameter[]>>
  components: { schemas: Record<string, JsonObject>; responses?: Record<string, JsonObject> }
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']

/** Walk up from `from` to the directory holding package.json; the spec sits beside the repo. */
/** The vendored fragments (sim/mattermost/openapi, see SOURCE.md there), beside this file in the source tree. */
export function findSpecDir(from: string = __dirname): string {
  let dir = resolve(from)
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'sim', 'mattermost', 'openapi')
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`mattermost sim: no package.json above ${from}, so no vendored OpenAPI fragments`)
    dir = parent
  }
}

export function assembleSpecText(specDir: string): string {
  return SPEC_FRAGMENTS.map((f) => {
    const text = readFileSync(join(specDir, f), 'utf8')
    return text.endsWith('\n') ? text : text + '\n'
  }).join('')
}

// ---- OpenAPI 3.0 schema -> JSON Schema (draft-07 as ajv reads it) ----

const COPIED_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'required',
  'minProperties',
  'maxProperties',
  'multipleOf',
  'description',
  'title',
  'default'
])

function convertSchema(node: Json | undefined, refBase: string): Json {
  if (node === undefined || node === null || typeof node !== 'object' || Array.isArray(node)) return node ?? {}
  const s = node
  const nullable = s['nullable'] === true
  if (typeof s['$ref'] === 'string') {
    const ref: JsonObject = { $ref: s['$ref'].startsWith('#') ? refBase + s['$ref'] : s['$ref'] }
    return nullable ? { anyOf: [ref, { type: 'null' }] } : ref
  }
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(s)) {
    if (COPIED_KEYWORDS.has(k)) out[k] = v
  }
  if (s['properties'] && typeof s['properties'] === 'object' && !Array.isArray(s['properties'])) {
    const props: JsonObject = {}
    for (const [name, sub] of Object.entries(s['properties'])) props[name] = convertSchema(sub, refBase)
    out['properties'] = props
  }
  if (s['items'] !== undefined) out['items'] = convertSchema(s['items'], refBase)
  if (s['additionalProperties'] !== undefined) {
    out['additionalProperties'] = typeof s['additionalProperties'] === 'boolean' ? s['additionalProperties'] : convertSchema(s['additionalProperties'], refBase)
  }
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = s[k]
    if (Array.isArray(list)) out[k] = list.map((x) => convertSchema(x, refBase))
  }
  if (s['not'] !== undefined) out['not'] = convertSchema(s['not'], refBase)
  // OpenAPI 3.0: exclusiveMinimum/Maximum are booleans qualifying minimum/maximum.
  if (s['exclusiveMinimum'] === true && typeof s['minimum'] === 'number') {
    out['exclusiveMinimum'] = s['minimum']
    delete out['minimum']
  }
  if (s['exclusiveMaximum'] === true && typeof s['maximum'] === 'number') {
    out['exclusiveMaximum'] = s['maximum']
    delete out['maximum']
  }
  if (Array.isArray(out['required']) && out['required'].length === 0) delete out['required']
  if (nullable) {
    if (typeof out['type'] === 'string') {
      out['type'] = [out['type'], 'null']
      if (Array.isArray(out['enum'])) out['enum'] = [...out['enum'], null]
    } else {
      return { anyOf: [out, { type: 'null' }] }
    }
  }
  return out
}

function collectFormats(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) for (const x of node) collectFormats(x, into)
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'format' && typeof v === 'string') into.add(v)
      else collectFormats(v, into)
    }
  }
}

// ---- path templates ----

interface CompiledPath {
  template: string
  regex: RegExp
  names: string[]
  /** literal segment positions, for precedence */
  literals: boolean[]
}

function compilePath(template: string): CompiledPath {
  const names: string[] = []
  const literals: boolean[] = []
  const parts = template.split('/').map((seg) => {
    const m = /^\{([^}]+)\}$/.exec(seg)
    if (m) {
      names.push(m[1] as string)
      literals.push(false)
      return '([^/]+)'
    }
    literals.push(true)
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  })
  return { template, regex: new RegExp(`^${parts.join('/')}$`), names, literals }
}

/** More literal segments, earlier, wins: /users/me/teams over /users/{user_id}/teams. */
function morePrecise(a: CompiledPath, b: CompiledPath): boolean {
  for (let i = 0; i < Math.min(a.literals.length, b.literals.length); i++) {
    if (a.literals[i] !== b.literals[i]) return a.literals[i] === true
  }
  return false
}

function coerceQuery(value: string, schema: JsonObject | undefined): { ok: true; value: Json } | { ok: false; message: string } {
  const type = schema?.['type']
  if (type === 'integer') return /^-?\d+$/.test(value) ? { ok: true, value: Number(value) } : { ok: false, message: `"${value}" is not an integer` }
  if (type === 'number')
    return value.trim() !== '' && Number.isFinite(Number(value)) ? { ok: true, value: Number(value) } : { ok: false, message: `"${value}" is not a number` }
  if (type === 'boolean')
    return value === 'true' || value === 'false' ? { ok: true, value: value === 'true' } : { ok: false, message: `"${value}" is not true or false` }
  return { ok: true, value }
}

function ajvMessages(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ')
}

export function createOpenApiContract(specDir: string): OpenApiContract {
  const spec = parseYaml(assembleSpecText(specDir), { maxAliasCount: -1 }) as OpenApiDoc
  if (!spec?.paths || !spec.components?.schemas) throw new Error(`mattermost sim: ${specDir} does not assemble into an OpenAPI document`)
  const status = spec.components.schemas['Status']
  if (status && typeof status['properties'] === 'object' && status['properties'] !== null && !Array.isArray(status['properties'])) {
    status['properties']['dnd_end_time'] = {
      type: 'integer',
      format: 'int64',
      description: 'seconds (server accepts and returns it; missing upstream, see sim/mattermost/openapi/SOURCE.md)'
    }
  }

  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
  addFormats(ajv)
  const formats = new Set<string>()
  collectFormats(spec, formats)
  for (const f of formats) {
    // Unknown formats (int64 on numbers, binary, ...) are documentation here, not constraints.
    if (!ajv.formats[f]) ajv.addFormat(f, true)
  }
  const ROOT = 'mattermost-openapi'
  const convertedSchemas: JsonObject = {}
  for (const [name, schema] of Object.entries(spec.components.schemas)) convertedSchemas[name] = convertSchema(schema, ROOT)
  ajv.addSchema({ $id: ROOT, components: { schemas: convertedSchemas } })

  const paths = Object.keys(spec.paths).map(compilePath)
  const validators = new Map<string, ValidateFunction>()
  const compile = (key: string, schema: JsonObject | undefined): ValidateFunction => {
    let v = validators.get(key)
    if (!v) {
      v = ajv.compile(convertSchema(schema ?? {}, ROOT) as object)
      validators.set(key, v)
    }
    return v
  }

  const matchPath: OpenApiContract['matchPath'] = (path) => {
    let best: { cp: CompiledPath; m: RegExpExecArray } | undefined
    for (const cp of paths) {
      const m = cp.regex.exec(path)
      if (m && (!best || morePrecise(cp, best.cp))) best = { cp, m }
    }
    if (!best) return undefined
    const params: Record<string, string> = {}
    best.cp.names.forEach((n, i) => {
      params[n] = best.m[i + 1] as string
    })
    return { template: best.cp.template, params }
  }

  const operationOf = (template: string, method: string): { op: OpenApiOperation; shared: OpenApiParameter[] } | undefined => {
    const item = spec.paths[template]
    const op = item?.[method.toLowerCase()]
    if (!item || !op || Array.isArray(op)) return undefined
    const shared = Array.isArray(item['parameters']) ? item['parameters'] : []
    return { op, shared }
  }

  return {
    specDir,
    pathCount: Object.keys(spec.paths).length,
    spec,
    matchPath,
    validateRequest(req) {
      const method = req.method.toUpperCase()
      const out: ContractViolation[] = []
      const v = (where: ContractViolation['where'], message: string, operation?: string): void => {
        out.push({ method, path: req.path, ...(operation ? { operation } : {}), where, message })
      }
      const match = matchPath(req.path)
      if (!match) {
        v('route', `no path in the spec matches ${req.path}`)
        return out
      }
      const operation = `${method} ${match.template}`
      const found = operationOf(match.template, method)
      if (!found) {
        const allowed = Object.keys(spec.paths[match.template] ?? {})
          .filter((k) => METHODS.includes(k))
          .map((k) => k.toUpperCase())
        v('method', `${method} is not defined for ${match.template} (defined: ${allowed.join(', ')})`, operation)
        return out
      }
      const params = [...found.shared, ...(found.op.parameters ?? [])]

      for (const p of params.filter((x) => x.in === 'path')) {
        const raw = match.params[p.name]
        if (raw === undefined) continue
        let decoded: string
        try {
          decoded = decodeURIComponent(raw)
        } catch {
          v('path', `path parameter ${p.name} is not valid percent-encoding: ${raw}`, operation)
          continue
        }
        const c = coerceQuery(decoded, p.schema)
        if (!c.ok) v('path', `path parameter ${p.name}: ${c.message}`, operation)
      }

      const query = typeof req.query === 'string' ? new URLSearchParams(req.query) : (req.query ?? new URLSearchParams())
      const known = new Map(params.filter((x) => x.in === 'query').map((x) => [x.name, x]))
      for (const name of new Set(query.keys())) {
        const p = known.get(name)
        if (!p) {
          v('query', `unknown query parameter ${name} (the server ignores it)`, operation)
          continue
        }
        for (const value of query.getAll(name)) {
          const c = coerceQuery(value, p.schema)
          if (!c.ok) {
            v('query', `query parameter ${name}: ${c.message}`, operation)
            continue
          }
          const validate = compile(`${operation} query ${name}`, p.schema)
          if (!validate(c.value)) v('query', `query parameter ${name}: ${ajvMessages(validate)}`, operation)
        }
      }
      for (const p of known.values()) if (p.required && !query.has(p.name)) v('query', `required query parameter ${p.name} is missing`, operation)

      if (req.skipBody) return out
      const body = req.body ?? ''
      const rb = found.op.requestBody
      if (!rb) {
        if (body.trim() !== '') v('body', 'the operation takes no request body', operation)
        return out
      }
      if (body.trim() === '') {
        if (rb.required) v('body', 'a request body is required', operation)
        return out
      }
      const json = rb.content?.['application/json']
      if (!json) return out // form or multipart bodies are not checked here
      const ct = (req.contentType ?? '').split(';')[0]?.trim().toLowerCase()
      if (ct !== 'application/json') v('body', `Content-Type is "${req.contentType ?? ''}", the spec expects application/json`, operation)
      let parsed: unknown
      try {
        parsed = JSON.parse(body)
      } catch {
        v('body', 'the body is not valid JSON', operation)
        return out
      }
      const validate = compile(`${operation} body`, json.schema)
      if (!validate(parsed)) v('body', ajvMessages(validate), operation)
      return out
    },
    validateResponse(method, path, status, body) {
      const m = method.toUpperCase()
      const match = matchPath(path)
      if (!match) return [{ method: m, path, where: 'response', message: `no path in the spec matches ${path}` }]
      const operation = `${m} ${match.template}`
      const found = operationOf(match.template, m)
      if (!found) return [{ method: m, path, operation, where: 'response', message: `${m} is not defined for ${match.template}` }]
      let resp = found.op.responses?.[String(status)] ?? found.op.responses?.['default']
      if (!resp) {
        return status >= 200 && status < 300 ? [{ method: m, path, operation, where: 'response', message: `status ${status} is not documented` }] : []
      }
      const ref = resp['$ref']
      if (typeof ref === 'string') resp = spec.components.responses?.[ref.replace('#/components/responses/', '')] ?? {}
      const content = resp['content']
      const schema =
        content && typeof content === 'object' && !Array.isArray(content) ? (content['application/json'] as JsonObject | undefined)?.['schema'] : undefined
      if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return []
      const validate = compile(`${operation} response ${status}`, schema)
      return validate(body) ? [] : [{ method: m, path, operation, where: 'response', message: ajvMessages(validate) }]
    }
  }
}

const loaded = new Map<string, OpenApiContract>()

/**
 * The contract for a spec directory (default: found by walking up from this file). Parsing the
 * 400 KB spec takes a moment, so one parsed contract is reused per directory.
 */
export function loadOpenApiContract(opts: { specDir?: string } = {}): OpenApiContract {
  const key = resolve(opts.specDir ?? findSpecDir())
  let c = loaded.get(key)
  if (!c) {
    c = createOpenApiContract(key)
    loaded.set(key, c)
  }
  return c
}
