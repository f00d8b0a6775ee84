// loadConfig reads the environment only through the list of src/config-variables.ts, and the
// list's data (defaults, required sets, secrets) is what loadConfig does.
import t from 'tap'
import { ConfigError, describeConfig, loadConfig, type Env } from '../src/config'
import { CONFIG_GROUPS, CONFIG_VARIABLES, type ConfigVariable } from '../src/config-variables'
import { resolveSettings } from '../src/domain/settings'

// A value for each variable without a default; the others get their default, written out.
const EXAMPLES: Record<string, string> = {
  PUBLIC_URL: 'https://calstatus.example.com',
  MS_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  MS_CLIENT_SECRET: 'client-secret-value',
  MM_URL: 'https://chat.example.com',
  MM_BOT_TOKEN: 'bot-token-value',
  MM_COMMAND_TOKEN: 'command-token-value',
  ADMIN_MM_USERS: 'alice,bob',
  ADMIN_USERNAME: 'ops',
  ADMIN_PASSWORD: 'admin password value',
  WEB_METRICS_PORT: '9101',
  WORKER_METRICS_PORT: '9100'
}
const FULL: Env = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.default ?? v.builtIn ?? EXAMPLES[v.name]]))

/** The env as loadConfig sees it, and every name it asked for (enumerating it counts as "*"). */
function recording(env: Env): { env: Env; names: Set<string> } {
  const names = new Set<string>()
  const note = (key: string | symbol): void => void names.add(String(key))
  const proxy = new Proxy(env, {
    get: (target, key) => (note(key), Reflect.get(target, key) as unknown),
    has: (target, key) => (note(key), Reflect.has(target, key)),
    getOwnPropertyDescriptor: (target, key) => (note(key), Reflect.getOwnPropertyDescriptor(target, key)),
    ownKeys: (target) => (note('*'), Reflect.ownKeys(target))
  })
  return { env: proxy, names }
}

const listed = CONFIG_VARIABLES.map((v) => v.name)

t.test('every variable of the list has a value in the full configuration of these tests', async (t) => {
  t.same(
    listed.filter((name) => FULL[name] === undefined),
    [],
    'add an example to EXAMPLES'
  )
  t.same(loadConfig(FULL).warnings, [])
})

t.test('a full configuration: loadConfig reads every variable of the list, and nothing else', async (t) => {
  const { env, names } = recording(FULL)
  loadConfig(env)
  t.same(
    [...names].filter((name) => !listed.includes(name)),
    [],
    'every name read is in the list'
  )
  t.same(
    listed.filter((name) => !names.has(name)),
    [],
    'every name in the list is read'
  )
})

t.test('no configuration: the groups marked onlyWithRequired read their required variables only', async (t) => {
  const { env, names } = recording({})
  loadConfig(env)
  const skipped = (v: ConfigVariable): boolean => CONFIG_GROUPS[v.group].onlyWithRequired === true && !v.required
  const expected = CONFIG_VARIABLES.filter((v) => !skipped(v)).map((v) => v.name)
  t.same([...names].sort(), expected.sort())
})

t.test('the recorder sees every way of reading', async (t) => {
  const { env, names } = recording({ A: '1' })
  void env['A']
  void ('B' in env)
  void Object.prototype.hasOwnProperty.call(env, 'C')
  void Object.keys(env)
  t.same([...names].sort(), ['*', 'A', 'B', 'C'])
})

t.test('every default and built-in value is accepted by its own parser', async (t) => {
  for (const v of CONFIG_VARIABLES) {
    const value = v.default ?? v.builtIn
    if (value === undefined) continue
    t.doesNotThrow(
      () =>
        v.kind.parse(value, (expected) => {
          throw new Error(`${v.name} default ${expected}`)
        }),
      v.name
    )
  }
})

// The docs show each DEFAULT_* variable's built-in value; the rule engine's own defaults must say the same.
t.test('setting every default for everyone to its built-in value resolves to the built-in settings', async (t) => {
  const builtIns = Object.fromEntries(CONFIG_VARIABLES.filter((v) => v.builtIn !== undefined).map((v) => [v.name, v.builtIn]))
  t.equal(Object.keys(builtIns).length, 10)
  const { defaults } = loadConfig(builtIns).config
  t.equal(Object.keys(defaults).length, 7, 'every one of them was read')
  // Until the engine takes notify modes and confirm (issue 16), it ignores those two fields.
  t.same(resolveSettings(defaults, null), resolveSettings(null, null))
})

t.test('setting a variable to its default changes nothing', async (t) => {
  const defaults = Object.fromEntries(CONFIG_VARIABLES.filter((v) => v.default !== undefined).map((v) => [v.name, v.default]))
  const credentials = Object.fromEntries(CONFIG_VARIABLES.filter((v) => v.required?.with === 'integrations').map((v) => [v.name, EXAMPLES[v.name]]))
  t.same(loadConfig({ ...credentials, ...defaults }), loadConfig(credentials))
})

t.test('each required variable: a full configuration without it names it', async (t) => {
  for (const v of CONFIG_VARIABLES.filter((v) => v.required)) {
    const env = { ...FULL, [v.name]: undefined }
    try {
      loadConfig(env)
      t.fail(`${v.name}: loaded without it`)
    } catch (err) {
      t.ok(err instanceof ConfigError, v.name)
      t.match((err as ConfigError).message, new RegExp(`^${v.name} is required`), v.name)
    }
  }
})

t.test('each secret lands in its field and describeConfig hides it there', async (t) => {
  const { config } = loadConfig(FULL)
  const described = JSON.stringify(describeConfig(config))
  for (const v of CONFIG_VARIABLES.filter((v) => v.secret)) {
    const [section = '', key = ''] = (v.secret?.field ?? '').split('.')
    t.equal((config as unknown as Record<string, Record<string, unknown>>)[section]?.[key], FULL[v.name], `${v.name} is read into ${v.secret?.field}`)
    t.notMatch(described, FULL[v.name], `${v.name} is not in the logged configuration`)
  }
  t.match(described, EXAMPLES['MS_CLIENT_ID'], 'what is not secret is shown')
})

t.test('the list is well formed', async (t) => {
  t.equal(new Set(listed).size, listed.length, 'names are unique')
  for (const v of CONFIG_VARIABLES) {
    t.match(v.name, /^[A-Z][A-Z0-9_]*$/, `${v.name}: an environment variable name`)
    t.ok(v.group in CONFIG_GROUPS, `${v.name}: a known group`)
    t.ok(v.description.length > 0 && v.kind.accepts.length > 0, `${v.name}: described`)
    t.notOk(v.default !== undefined && v.required, `${v.name}: a default or required, not both`)
    t.notOk(v.builtIn !== undefined && (v.default !== undefined || v.required), `${v.name}: a built-in value only alone`)
  }
  const groupOrder = CONFIG_VARIABLES.map((v) => v.group).filter((g, i, all) => g !== all[i - 1])
  t.same(groupOrder, Object.keys(CONFIG_GROUPS), 'variables are listed group by group, in the groups order')
})

t.test('ranges in the docs come from the parser bounds', async (t) => {
  for (const v of CONFIG_VARIABLES) {
    const range = /whole number, (\d+)\.\.(\d+)/.exec(v.kind.accepts)
    if (!range) continue
    const reject = (expected: string): never => {
      throw new Error(expected)
    }
    const [min, max] = [Number(range[1]), Number(range[2])]
    t.equal(v.kind.parse(String(min), reject), min, `${v.name} takes ${min}`)
    t.equal(v.kind.parse(String(max), reject), max, `${v.name} takes ${max}`)
    if (min > 0) t.throws(() => v.kind.parse(String(min - 1), reject), `${v.name} refuses ${min - 1}`)
    t.throws(() => v.kind.parse(String(max + 1), reject), `${v.name} refuses ${max + 1}`)
  }
})
