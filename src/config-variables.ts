// The configuration variables, declared once. loadConfig (./config.ts) parses every variable
// through its entry here, and scripts/config-docs.js writes the README table and
// docs/configuration.md from the same entries, so a default, a range or an allowed value cannot
// say one thing in the docs and do another at start-up. The names are a contract: outside tools
// start the service with them.
import type { Config } from './config'
import { MAX_MERGE_GAP_MINUTES } from './domain/settings'
import type { OfflineUsers, StatusAction } from './domain/types'

/** Ends the parse of a bad value: `expected` completes "<NAME> ..." in the start-up error line. */
export type Reject = (expected: string) => never

/** What a variable accepts: the parser and, from the same data, the words the docs show. */
export interface Kind<T> {
  /** Markdown for the docs, built from the parser's own bounds: "whole number, 1..50". */
  readonly accepts: string
  /** Take the value as written instead of trimmed (passwords may start or end with a space). */
  readonly verbatim?: boolean
  /** The typed value of a set value (trimmed unless verbatim, never empty), or `return reject(...)`. */
  parse(value: string, reject: Reject): T
}

/** Variables that are all set or all unset; loadConfig checks it, the docs say "required when". */
export type RequiredSet = 'integrations' | 'admin'

/** Nested config fields, so a secret names where its value lands (describeConfig hides it there). */
type Section = 'microsoft' | 'mattermost' | 'admin'
export type SecretField = { [S in Section]: `${S}.${keyof NonNullable<Config[S]> & string}` }[Section]

export interface ConfigVariable<T = unknown> {
  readonly name: string
  readonly group: Group
  readonly kind: Kind<T>
  /** As it would be written in the environment; parsed by `kind` like a value that was set. */
  readonly default?: string
  /**
   * A default for everyone: the value the service uses while this is unset, written like `default`.
   * loadConfig leaves an unset one out instead, so defaults an admin stores later layer over the
   * built-in one (docs/status-rules.md#settings).
   */
  readonly builtIn?: string
  /** `expected` completes "<NAME> is required: ..." when the rest of its set is there and it is not. */
  readonly required?: { readonly with: RequiredSet; readonly expected?: string }
  /** Never logged: describeConfig shows "[redacted]" at `field` instead. */
  readonly secret?: { readonly field: SecretField }
  readonly description: string
}

const code = (text: string): string => '`' + text + '`'
const either = (words: readonly string[]): string => words.join(' or ')
/** "a, b or c" */
const anyOf = (words: readonly string[]): string => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`)

// ---- Kinds ---------------------------------------------------------------------------------

export function wholeNumber(min: number, max: number): Kind<number> {
  return {
    accepts: `whole number, ${min}..${max}`,
    parse: (value, reject) => {
      const n = Number(value)
      return /^\d+$/.test(value) && n >= min && n <= max ? n : reject(`must be a whole number from ${min} to ${max}, got "${value}"`)
    }
  }
}

function parseUrl(value: string, protocols: readonly string[], reject: Reject): URL {
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    return reject(`must be a URL (${either(protocols)}), got "${value}"`)
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) return reject(`must be a ${either(protocols)} URL, got "${value}"`)
  return parsed
}

const schemes = (protocols: readonly string[]): string => either(protocols.map((p) => code(`${p}://`)))

/** A URL used as written. */
function url(protocols: readonly string[]): Kind<string> {
  return {
    accepts: `${schemes(protocols)} URL`,
    parse: (value, reject) => (parseUrl(value, protocols, reject), value)
  }
}

/** A URL that routes are appended to: no query, fragment or credentials, no trailing slash. */
function baseUrl(protocols: readonly string[]): Kind<string> {
  return {
    accepts: `${schemes(protocols)} base URL without query, fragment or credentials (a trailing ${code('/')} is dropped)`,
    parse: (value, reject) => {
      const parsed = parseUrl(value, protocols, reject)
      if (parsed.search || parsed.hash) return reject(`must be a base URL without query or fragment, got "${value}"`)
      if (parsed.username || parsed.password) return reject('must not carry credentials in the URL')
      return value.replace(/\/+$/, '')
    }
  }
}

/** One of a fixed list, in any case; `meanings` (optional) explains each value in the docs. */
function oneOf<T extends string>(values: readonly T[], meanings?: Readonly<Record<T, string>>): Kind<T> {
  const isValue = (v: string): v is T => (values as readonly string[]).includes(v)
  return {
    accepts: meanings ? values.map((v) => `${code(v)}: ${meanings[v]}`).join('; ') : `one of ${values.map(code).join(', ')}`,
    parse: (value, reject) => {
      const lower = value.toLowerCase()
      return isValue(lower) ? lower : reject(`must be one of ${values.join(', ')}, got "${value}"`)
    }
  }
}

const TRUE_WORDS = ['true', 'yes', '1']
const FALSE_WORDS = ['false', 'no', '0']

/** A switch: true/yes/1 or false/no/0, in any case. */
function flag(): Kind<boolean> {
  return {
    accepts: `${code('true')} or ${code('false')}`,
    parse: (value, reject) => {
      const lower = value.toLowerCase()
      if (TRUE_WORDS.includes(lower)) return true
      if (FALSE_WORDS.includes(lower)) return false
      return reject(`must be true or false, got "${value}"`)
    }
  }
}

/** Free text, trimmed. */
function text(): Kind<string> {
  return { accepts: 'text', parse: (value) => value }
}

/**
 * A password kept exactly as written, at least `min` characters (Unicode code points) and not
 * only whitespace: /admin is only as safe as this password.
 */
function password(min: number): Kind<string> {
  return {
    accepts: `text, kept as written (spaces included), at least ${min} characters, not only whitespace`,
    verbatim: true,
    parse: (value, reject) => {
      if (value.trim() === '') return reject('must not be blank (it is only whitespace)')
      const length = [...value].length
      return length >= min ? value : reject(`must be at least ${min} characters long, got ${length}`)
    }
  }
}

/** A token pasted from a UI: whitespace inside is a copy-paste accident, not part of it. */
function token(): Kind<string> {
  return {
    accepts: 'text without whitespace',
    parse: (value, reject) => (/\s/.test(value) ? reject('must not contain whitespace') : value)
  }
}

/** A Redis key prefix: ":" separates key parts, and whitespace breaks commands typed by hand. */
function keyPrefix(): Kind<string> {
  return {
    accepts: `text without whitespace or ${code(':')}`,
    parse: (value, reject) => (/[\s:]/.test(value) ? reject(`must not contain whitespace or ":", got "${value}"`) : value)
  }
}

/** A basic-auth user name: the header separates user and password with ":". */
function basicAuthUser(): Kind<string> {
  return {
    accepts: `text without ${code(':')}`,
    parse: (value, reject) => (value.includes(':') ? reject('must not contain ":" (basic auth separates user and password with it)') : value)
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i

/** A GUID; `what` names it in the error ("the app registration's client id"). */
function guid(what: string): Kind<string> {
  return {
    accepts: 'GUID',
    parse: (value, reject) => (GUID.test(value) ? value : reject(`must be a GUID (${what}), got "${value}"`))
  }
}

// Client credentials need a tenant-specific authority: these multi-tenant aliases are refused.
const MULTI_TENANT = ['common', 'organizations', 'consumers']

/** One Entra tenant, by GUID or by domain. */
function tenant(): Kind<string> {
  return {
    accepts: `tenant GUID or domain such as ${code('contoso.onmicrosoft.com')}; not ${anyOf(MULTI_TENANT.map(code))}`,
    parse: (value, reject) => {
      if (MULTI_TENANT.includes(value.toLowerCase())) {
        return reject(`must name one tenant (client credentials need a tenant-specific authority), got "${value}"`)
      }
      if (!GUID.test(value) && !DOMAIN.test(value)) return reject(`must be a tenant GUID or a domain such as contoso.onmicrosoft.com, got "${value}"`)
      return value
    }
  }
}

// Mattermost usernames: 3-22 characters, start with a letter, then letters, digits, '.', '-', '_'.
const USERNAME_LENGTH = { min: 3, max: 22 }
const MM_USERNAME = new RegExp(`^[a-z][a-z0-9._-]{${USERNAME_LENGTH.min - 1},${USERNAME_LENGTH.max - 1}}$`)

/** Comma-separated Mattermost usernames, as people write them: "@alice, Bob.Smith". */
function mattermostUsernames(): Kind<string[]> {
  const { min, max } = USERNAME_LENGTH
  return {
    accepts:
      `comma-separated Mattermost usernames (${min}..${max} characters: a letter, then letters, digits, ${code('.')}, ${code('-')} or ${code('_')}); ` +
      `a leading ${code('@')} is dropped, case is ignored`,
    parse: (value, reject) => {
      const names = value
        .split(',')
        .map((u) => u.trim().replace(/^@/, '').toLowerCase())
        .filter((u) => u !== '')
      const bad = names.find((u) => !MM_USERNAME.test(u))
      return bad === undefined ? names : reject(`must be comma-separated Mattermost usernames, "${bad}" is not one`)
    }
  }
}

// ---- Values shared with the types of ./config.ts -------------------------------------------

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const SYNC_USERS_MODES = ['all', 'opt-in'] as const
/** What a meeting does to the status; `none` leaves it alone (docs/status-rules.md#mapping). */
export const STATUS_ACTIONS = ['dnd', 'away', 'offline', 'none'] as const satisfies readonly StatusAction[]
export const NOTIFY_MODES = ['every', 'daily', 'off'] as const
export const OFFLINE_USERS = ['skip', 'apply'] as const satisfies readonly OfflineUsers[]
/** The shortest ADMIN_PASSWORD accepted. */
export const MIN_PASSWORD_LENGTH = 12

// ---- The groups, in the order the docs show them -------------------------------------------

export interface ConfigGroup {
  readonly title: string
  readonly intro: string
  /** Its variables other than the required ones are read only when the required ones are set. */
  readonly onlyWithRequired?: boolean
}

export type Group = 'service' | 'microsoft' | 'mattermost' | 'defaults' | 'admin' | 'operations'

export const CONFIG_GROUPS: Readonly<Record<Group, ConfigGroup>> = {
  service: { title: 'Service', intro: 'Where the service listens, where it keeps its state, and whose statuses it keeps.' },
  microsoft: {
    title: 'Microsoft 365',
    intro:
      'The Entra app registration (application permissions `Calendars.Read`, or `Calendars.ReadBasic` without `PUBLIC_URL`, and `User.Read.All`, admin consent) and how Microsoft Graph is called.',
    onlyWithRequired: true
  },
  mattermost: { title: 'Mattermost', intro: 'The Mattermost site, the bot that sets statuses, and how hard it is called.', onlyWithRequired: true },
  defaults: {
    title: 'Defaults for everyone',
    intro: 'Settings for everyone who has not chosen otherwise in `/calstatus settings`. While one is unset, its built-in value (the *default* shown) applies.'
  },
  admin: { title: 'Admin', intro: 'Basic auth for `/admin` (the admin pages and Bull Board).' },
  operations: { title: 'Operations', intro: 'Timing, logging and process-level settings.' }
}

// ---- The variables, in the order the docs show them ----------------------------------------

const WHEN: Readonly<Record<(typeof STATUS_ACTIONS)[number], string>> = {
  dnd: 'Do Not Disturb',
  away: 'Away',
  offline: 'Offline',
  none: 'leave the status as it is'
}

const SPECS = {
  REDIS_URL: { group: 'service', kind: url(['redis', 'rediss']), default: 'redis://127.0.0.1:6379', description: 'Redis for queues and state' },
  PORT: { group: 'service', kind: wholeNumber(0, 65_535), default: '3000', description: 'web listener port' },
  HOST: { group: 'service', kind: text(), default: '0.0.0.0', description: 'web listener address' },
  PUBLIC_URL: {
    group: 'service',
    kind: baseUrl(['http', 'https']),
    description:
      'base URL Graph can reach, e.g. https://calstatus.example.com; change notifications need it (without it, a warning at start-up says so; http:// works for local testing, with a warning)'
  },
  SYNC_USERS: {
    group: 'service',
    kind: oneOf(SYNC_USERS_MODES, { all: 'every active Mattermost user with a mailbox, users may opt out', 'opt-in': 'only users who turn it on' }),
    default: 'all',
    description: 'whose statuses follow their calendars'
  },
  SYNC_UNVERIFIED_EMAILS: {
    group: 'service',
    kind: flag(),
    default: 'false',
    description:
      "also sync users who sign in with e-mail and password, whose address Mattermost does not show the bot as verified: one who changes it to a colleague's would mirror that colleague's calendar (docs/mattermost.md#who-is-enrolled)"
  },

  MS_TENANT_ID: {
    group: 'microsoft',
    kind: tenant(),
    required: { with: 'integrations', expected: 'the Entra tenant id (GUID) or primary domain' },
    description: 'Microsoft Entra tenant id (GUID) or primary domain'
  },
  MS_CLIENT_ID: {
    group: 'microsoft',
    kind: guid("the app registration's client id"),
    required: { with: 'integrations', expected: "the app registration's client id (a GUID)" },
    description: 'app registration client id (GUID), application permissions, admin consent'
  },
  MS_CLIENT_SECRET: {
    group: 'microsoft',
    kind: text(),
    required: { with: 'integrations', expected: "the app registration's client secret" },
    secret: { field: 'microsoft.clientSecret' },
    description: 'app registration client secret'
  },
  // msal-node accepts only https authorities; Graph only gets the bearer token over https.
  MS_AUTHORITY_HOST: {
    group: 'microsoft',
    kind: baseUrl(['https']),
    default: 'https://login.microsoftonline.com',
    description: 'identity host (a sovereign cloud, or a simulator)'
  },
  MS_GRAPH_URL: {
    group: 'microsoft',
    kind: baseUrl(['https']),
    default: 'https://graph.microsoft.com',
    description: 'Graph host (a sovereign cloud, or a simulator)'
  },
  // Graph's Outlook limits are per app and mailbox, and each getSchedule of a batch runs under a
  // mailbox of its own (src/graph/mailbox-gate.ts): more batches in flight cost no mailbox more.
  // 25 puts a 10,000-person sweep (25 batches) in one round trip; what bounds it is this process's
  // memory and CPU per shard in flight (docs/graph.md#how-many-batches-at-once): at 50 per worker
  // on 2 busy cores, some batch answers waited past GRAPH_TIMEOUT_SECONDS to be read.
  GRAPH_MAX_CONCURRENT_BATCHES: {
    group: 'microsoft',
    kind: wholeNumber(1, 100),
    default: '25',
    description:
      'Graph $batch requests (400 users each) in flight at once per process, and so sweep shards run at once per worker; Graph limits each mailbox, not batches, and every request of a batch runs under a mailbox of its own, so this only bounds our own memory and CPU'
  },
  GRAPH_TIMEOUT_SECONDS: { group: 'microsoft', kind: wholeNumber(1, 300), default: '30', description: 'timeout of one Graph HTTP attempt' },
  // Events allow 10,080 minutes (older pages: 4,230); the default stays under both.
  GRAPH_SUBSCRIPTION_LIFETIME_MINUTES: {
    group: 'microsoft',
    kind: wholeNumber(60, 10_080),
    default: '4200',
    description: 'lifetime asked for change-notification subscriptions (renewed well before expiry)'
  },

  // Graph's subscription service allows 1,000 creations, renewals and deletions per 20 s per app
  // and tenant (50/s; an older published version says 500) and 2,000 per tenant for all apps:
  // 40/s leaves room for renewals and other apps, and a 429 slows it down by itself
  // (docs/graph.md#creating-subscriptions-at-scale).
  GRAPH_SUBSCRIPTION_CREATES_PER_SECOND: {
    group: 'microsoft',
    kind: wholeNumber(1, 50),
    default: '40',
    description:
      "change-notification subscriptions created (or renewed) per second, cluster-wide, under Graph's 50/s per app and tenant; halved on a 429 and won back gradually. At 40/s a first start at 100,000 people has everyone subscribed in about 42 minutes"
  },

  MM_URL: {
    group: 'mattermost',
    kind: baseUrl(['http', 'https']),
    required: { with: 'integrations', expected: 'the Mattermost site URL, e.g. https://chat.example.com' },
    description: `Mattermost site URL; ${code('http://')} only for localhost (the bot token would travel unencrypted) unless MM_ALLOW_INSECURE_HTTP is set`
  },
  MM_ALLOW_INSECURE_HTTP: {
    group: 'mattermost',
    kind: flag(),
    default: 'false',
    description: `allow an ${code('http://')} MM_URL on another host than localhost (a network you trust end to end), with a warning at start-up`
  },
  MM_BOT_TOKEN: {
    group: 'mattermost',
    kind: token(),
    required: { with: 'integrations', expected: "a bot's access token (System Console > Integrations > Bot Accounts)" },
    secret: { field: 'mattermost.botToken' },
    description: 'bot access token; the bot needs a role with edit_other_users'
  },
  MM_COMMAND_TOKEN: {
    group: 'mattermost',
    kind: token(),
    secret: { field: 'mattermost.commandToken' },
    description: 'token of the /calstatus slash command; the command is off without it'
  },
  MM_MAX_REQUESTS_PER_SECOND: {
    group: 'mattermost',
    kind: wholeNumber(1, 10_000),
    default: '200',
    description:
      "cluster-wide ceiling on calls to Mattermost; below it the service follows Mattermost's own rate limit when that is on (learned from its X-Ratelimit-* headers and 429s)"
  },
  ADMIN_MM_USERS: { group: 'mattermost', kind: mattermostUsernames(), description: 'Mattermost users that get failure notices by DM' },

  DEFAULT_WHEN_BUSY: { group: 'defaults', kind: oneOf(STATUS_ACTIONS, WHEN), builtIn: 'dnd', description: 'status during a meeting shown as busy' },
  DEFAULT_WHEN_TENTATIVE: {
    group: 'defaults',
    kind: oneOf(STATUS_ACTIONS, WHEN),
    builtIn: 'dnd',
    description: 'status during a meeting shown as tentative'
  },
  DEFAULT_WHEN_OUT_OF_OFFICE: { group: 'defaults', kind: oneOf(STATUS_ACTIONS, WHEN), builtIn: 'dnd', description: 'status while out of office' },
  DEFAULT_WHEN_WORKING_ELSEWHERE: {
    group: 'defaults',
    kind: oneOf(STATUS_ACTIONS, WHEN),
    builtIn: 'none',
    description: 'status while the calendar shows working elsewhere'
  },
  DEFAULT_CUSTOM_STATUS: {
    group: 'defaults',
    kind: flag(),
    builtIn: 'true',
    description: 'set a custom status such as "📅 In a meeting" too, and put back the previous one afterwards'
  },
  DEFAULT_SHOW_SUBJECT: { group: 'defaults', kind: flag(), builtIn: 'false', description: "show the meeting's subject in the custom status" },
  DEFAULT_NOTIFY: {
    group: 'defaults',
    kind: oneOf(NOTIFY_MODES, {
      every: 'a direct message at every change',
      daily: 'one direct message a day at most',
      off: 'no messages'
    }),
    builtIn: 'daily',
    description: 'direct messages about status changes the service makes'
  },
  DEFAULT_CONFIRM: {
    group: 'defaults',
    kind: flag(),
    builtIn: 'false',
    description: '"Ask first": a direct message with buttons asks before each change, instead of changing the status right away'
  },
  DEFAULT_OFFLINE_USERS: {
    group: 'defaults',
    kind: oneOf(OFFLINE_USERS, { skip: 'leave people who are offline alone', apply: 'change their status like everyone else' }),
    builtIn: 'skip',
    description: 'what a meeting does for someone who is offline'
  },
  DEFAULT_MERGE_GAP_MINUTES: {
    group: 'defaults',
    kind: wholeNumber(0, MAX_MERGE_GAP_MINUTES),
    builtIn: '0',
    description: 'meetings at most this many minutes apart count as one, so the status does not flick back in between'
  },

  ADMIN_USERNAME: {
    group: 'admin',
    kind: basicAuthUser(),
    required: { with: 'admin' },
    description: 'basic-auth user for /admin (admin pages and Bull Board); /admin is off without it'
  },
  ADMIN_PASSWORD: {
    group: 'admin',
    kind: password(MIN_PASSWORD_LENGTH),
    required: { with: 'admin' },
    secret: { field: 'admin.password' },
    description: 'basic-auth password for /admin; a shorter or blank one stops the process at start-up with a configuration error'
  },

  SWEEP_INTERVAL_SECONDS: { group: 'operations', kind: wholeNumber(10, 86_400), default: '300', description: 'safety-net sweep period' },
  MAX_EARLY_SECONDS: {
    group: 'operations',
    kind: wholeNumber(0, 300),
    default: '60',
    description:
      'how long before a meeting starts its Do Not Disturb may be set when many people start at the same minute, so that the last one lands by the start at the rate Mattermost allows (0: never early; ends are never early)'
  },
  OUTAGE_NOTICE_SECONDS: {
    group: 'operations',
    kind: wholeNumber(5, 86_400),
    default: '300',
    description: 'how long every call to Microsoft Graph (or to Mattermost) must have failed before ADMIN_MM_USERS are told of an outage'
  },
  LOG_LEVEL: { group: 'operations', kind: oneOf(LOG_LEVELS), default: 'info', description: 'pino log level' },
  QUEUE_PREFIX: {
    group: 'operations',
    kind: keyPrefix(),
    default: '{calstatus}',
    description: 'prefix of every Redis key (BullMQ and state); the braces make one hash tag, which multi-key scripts rely on'
  },
  WEB_METRICS_PORT: {
    group: 'operations',
    kind: wholeNumber(0, 65_535),
    description: 'port on which a web process serves /metrics, apart from the public `PORT`; without it the web serves no /metrics'
  },
  WORKER_METRICS_PORT: { group: 'operations', kind: wholeNumber(0, 65_535), description: 'port on which a worker process serves /metrics' },
  SHUTDOWN_TIMEOUT_SECONDS: {
    group: 'operations',
    kind: wholeNumber(1, 600),
    default: '25',
    description: 'how long SIGTERM waits for active jobs and requests before closing anyway'
  }
} satisfies Record<string, Omit<ConfigVariable, 'name'>>

type Named<S> = { readonly [K in keyof S & string]: S[K] & { readonly name: K } }

function named<S extends Record<string, Omit<ConfigVariable, 'name'>>>(specs: S): Named<S> {
  return Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { name, ...spec }])) as Named<S>
}

/** Every variable by name, typed: `VARIABLES.PORT.kind` parses to a number. */
export const VARIABLES = named(SPECS)

/** Every variable the service reads, in the order the docs show them. */
export const CONFIG_VARIABLES: ReadonlyArray<ConfigVariable> = Object.values(VARIABLES)
