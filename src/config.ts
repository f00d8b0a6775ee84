// Typed configuration from the environment: parsed once at start-up, then passed down.
// Nothing else in the service reads process.env. The variable names are a contract
// (../shared/design/architecture.md, "Configuration"): outside tools start the service with them.

export type SyncUsers = 'all' | 'opt-in'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface MicrosoftConfig {
  tenantId: string
  clientId: string
  clientSecret: string
  authorityHost: string
  graphUrl: string
  maxConcurrentBatches: number
  timeoutSeconds: number
  subscriptionLifetimeMinutes: number
}

export interface MattermostConfig {
  url: string
  botToken: string
  commandToken: string | null
  adminUsers: string[]
  maxRequestsPerSecond: number
}

export interface Config {
  redisUrl: string
  port: number
  host: string
  publicUrl: string | null
  /** null when neither MS_* nor MM_* is set: the service has nothing to sync (the demo's case). */
  microsoft: MicrosoftConfig | null
  mattermost: MattermostConfig | null
  admin: { username: string; password: string } | null
  sweepIntervalSeconds: number
  syncUsers: SyncUsers
  logLevel: LogLevel
  queuePrefix: string
  workerMetricsPort: number | null
  shutdownTimeoutSeconds: number
}

export interface LoadedConfig {
  config: Config
  /** Things that work but deserve an operator's attention (logged once at start-up). */
  warnings: string[]
}

/** A configuration problem: one variable, what was expected. Printed as one line, no stack. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string
  ) {
    super(`${variable} ${expected}`)
    this.name = 'ConfigError'
  }
}

export type Env = Readonly<Record<string, string | undefined>>

/** The table of the README, generated from here so the two cannot drift. */
export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; default: string; meaning: string }> = [
  { name: 'REDIS_URL', default: 'redis://127.0.0.1:6379', meaning: 'Redis for queues and state (redis:// or rediss://)' },
  { name: 'PORT', default: '3000', meaning: 'web listener port' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'web listener address' },
  {
    name: 'PUBLIC_URL',
    default: '(none)',
    meaning:
      'base URL Graph can reach, e.g. https://calstatus.example.com; required for change notifications (http:// allowed for local testing, with a warning)'
  },
  { name: 'MS_TENANT_ID', default: 'required', meaning: 'Microsoft Entra tenant id (GUID) or primary domain' },
  { name: 'MS_CLIENT_ID', default: 'required', meaning: 'app registration client id (GUID), application permissions, admin consent' },
  { name: 'MS_CLIENT_SECRET', default: 'required', meaning: 'app registration client secret' },
  { name: 'MS_AUTHORITY_HOST', default: 'https://login.microsoftonline.com', meaning: 'identity host (a sovereign cloud, or a simulator); https' },
  { name: 'MS_GRAPH_URL', default: 'https://graph.microsoft.com', meaning: 'Graph host (a sovereign cloud, or a simulator); https' },
  {
    name: 'GRAPH_MAX_CONCURRENT_BATCHES',
    default: '10',
    meaning: 'Graph $batch requests (400 users each) in flight at once per process, and so sweep shards run at once per worker (1..50)'
  },
  { name: 'GRAPH_TIMEOUT_SECONDS', default: '30', meaning: 'timeout of one Graph HTTP attempt (1..300)' },
  {
    name: 'GRAPH_SUBSCRIPTION_LIFETIME_MINUTES',
    default: '4200',
    meaning: 'lifetime asked for change-notification subscriptions (60..10080; renewed well before expiry)'
  },
  { name: 'MM_URL', default: 'required', meaning: 'Mattermost site URL' },
  { name: 'MM_BOT_TOKEN', default: 'required', meaning: 'bot access token; the bot needs a role with edit_other_users' },
  { name: 'MM_COMMAND_TOKEN', default: '(none)', meaning: 'token of the /calstatus slash command; the command is off without it' },
  { name: 'ADMIN_USERNAME', default: '(none)', meaning: 'basic-auth user for /admin (admin pages and Bull Board); /admin is off without it' },
  { name: 'ADMIN_PASSWORD', default: '(none)', meaning: 'basic-auth password for /admin' },
  { name: 'ADMIN_MM_USERS', default: '(none)', meaning: 'comma-separated Mattermost usernames that get failure notices by DM' },
  { name: 'SWEEP_INTERVAL_SECONDS', default: '300', meaning: 'safety-net sweep period (10..86400)' },
  { name: 'SYNC_USERS', default: 'all', meaning: '`all`: every active Mattermost user with a mailbox, users may opt out; `opt-in`: only users who turn it on' },
  { name: 'MM_MAX_REQUESTS_PER_SECOND', default: '20', meaning: 'cluster-wide ceiling on calls to Mattermost' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'pino level: fatal, error, warn, info, debug, trace, silent' },
  { name: 'QUEUE_PREFIX', default: '{calstatus}', meaning: 'BullMQ key prefix; the braces make one hash tag so Redis Cluster works' },
  { name: 'WORKER_METRICS_PORT', default: '(none)', meaning: 'port on which a worker process serves /metrics' },
  { name: 'SHUTDOWN_TIMEOUT_SECONDS', default: '25', meaning: 'how long SIGTERM waits for active jobs and requests before closing anyway' }
]

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i
// Mattermost usernames: 3-22 characters, start with a letter, then letters, digits, '.', '-', '_'.
const MM_USERNAME = /^[a-z][a-z0-9._-]{2,21}$/

/** Empty strings count as unset: `FOO=` in an env file means "not configured". */
function read(env: Env, name: string): string | undefined {
  const value = env[name]
  if (value === undefined) return undefined
  const trimmed = value.trim()
  return trimmed === '' ? undefined : trimmed
}

function url(env: Env, name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
  const raw = read(env, name) ?? fallback
  if (raw === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')}), got "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `must be a ${protocols.join(' or ')} URL, got "${raw}"`)
  }
  return raw
}

/** A base URL: no query or fragment, no trailing slash (routes are appended to it). */
function baseUrl(env: Env, name: string, fallback: string | undefined, protocols: readonly string[]): string | undefined {
  const raw = url(env, name, fallback, protocols)
  if (raw === undefined) return undefined
  const parsed = new URL(raw)
  if (parsed.search || parsed.hash) throw new ConfigError(name, `must be a base URL without query or fragment, got "${raw}"`)
  if (parsed.username || parsed.password) throw new ConfigError(name, 'must not carry credentials in the URL')
  return raw.replace(/\/+$/, '')
}

function integer(env: Env, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`)
  return value
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name)
  if (raw === undefined) return fallback
  const value = raw.toLowerCase() as T
  if (!allowed.includes(value)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`)
  return value
}

function token(env: Env, name: string): string | undefined {
  const raw = read(env, name)
  if (raw !== undefined && /\s/.test(raw)) throw new ConfigError(name, 'must not contain whitespace')
  return raw
}

function required<T>(value: T | undefined, name: string, expected: string): T {
  if (value === undefined) throw new ConfigError(name, `is required: ${expected}`)
  return value
}

function microsoft(env: Env): MicrosoftConfig | null {
  const names = ['MS_TENANT_ID', 'MS_CLIENT_ID', 'MS_CLIENT_SECRET'] as const
  if (names.every((n) => read(env, n) === undefined)) return null
  const tenantId = required(read(env, 'MS_TENANT_ID'), 'MS_TENANT_ID', 'the Entra tenant id (GUID) or primary domain')
  if (['common', 'organizations', 'consumers'].includes(tenantId.toLowerCase())) {
    throw new ConfigError('MS_TENANT_ID', `must name one tenant (client credentials need a tenant-specific authority), got "${tenantId}"`)
  }
  if (!GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    throw new ConfigError('MS_TENANT_ID', `must be a tenant GUID or a domain such as contoso.onmicrosoft.com, got "${tenantId}"`)
  }
  const clientId = required(read(env, 'MS_CLIENT_ID'), 'MS_CLIENT_ID', "the app registration's client id (a GUID)")
  if (!GUID.test(clientId)) throw new ConfigError('MS_CLIENT_ID', `must be a GUID (the app registration's client id), got "${clientId}"`)
  const clientSecret = required(read(env, 'MS_CLIENT_SECRET'), 'MS_CLIENT_SECRET', "the app registration's client secret")
  return {
    tenantId,
    clientId,
    clientSecret,
    // msal-node accepts only https authorities; Graph only gets the bearer token over https.
    authorityHost: baseUrl(env, 'MS_AUTHORITY_HOST', 'https://login.microsoftonline.com', ['https']) as string,
    graphUrl: baseUrl(env, 'MS_GRAPH_URL', 'https://graph.microsoft.com', ['https']) as string,
    maxConcurrentBatches: integer(env, 'GRAPH_MAX_CONCURRENT_BATCHES', 10, 1, 50) as number,
    timeoutSeconds: integer(env, 'GRAPH_TIMEOUT_SECONDS', 30, 1, 300) as number,
    // Events allow 10,080 minutes (older pages: 4,230); stay under both.
    subscriptionLifetimeMinutes: integer(env, 'GRAPH_SUBSCRIPTION_LIFETIME_MINUTES', 4200, 60, 10_080) as number
  }
}

function mattermost(env: Env): MattermostConfig | null {
  if (read(env, 'MM_URL') === undefined && read(env, 'MM_BOT_TOKEN') === undefined) return null
  const mmUrl = required(baseUrl(env, 'MM_URL', undefined, ['http', 'https']), 'MM_URL', 'the Mattermost site URL, e.g. https://chat.example.com')
  const botToken = required(token(env, 'MM_BOT_TOKEN'), 'MM_BOT_TOKEN', "a bot's access token (System Console > Integrations > Bot Accounts)")
  const adminUsers = (read(env, 'ADMIN_MM_USERS') ?? '')
    .split(',')
    .map((u) => u.trim().replace(/^@/, '').toLowerCase())
    .filter((u) => u !== '')
  for (const u of adminUsers) {
    if (!MM_USERNAME.test(u)) throw new ConfigError('ADMIN_MM_USERS', `must be comma-separated Mattermost usernames, "${u}" is not one`)
  }
  return {
    url: mmUrl,
    botToken,
    commandToken: token(env, 'MM_COMMAND_TOKEN') ?? null,
    adminUsers,
    maxRequestsPerSecond: integer(env, 'MM_MAX_REQUESTS_PER_SECOND', 20, 1, 10_000) as number
  }
}

function admin(env: Env, warnings: string[]): Config['admin'] {
  const username = read(env, 'ADMIN_USERNAME')
  const password = env['ADMIN_PASSWORD'] === '' ? undefined : env['ADMIN_PASSWORD'] // passwords may have spaces
  if (username === undefined && password === undefined) return null
  if (username === undefined) throw new ConfigError('ADMIN_USERNAME', 'is required when ADMIN_PASSWORD is set')
  if (password === undefined) throw new ConfigError('ADMIN_PASSWORD', 'is required when ADMIN_USERNAME is set')
  if (username.includes(':')) throw new ConfigError('ADMIN_USERNAME', 'must not contain ":" (basic auth separates user and password with it)')
  if (password.length < 12) warnings.push('ADMIN_PASSWORD is shorter than 12 characters; /admin is only as safe as this password')
  return { username, password }
}

export function loadConfig(env: Env): LoadedConfig {
  const warnings: string[] = []
  const publicUrl = baseUrl(env, 'PUBLIC_URL', undefined, ['http', 'https']) ?? null
  if (publicUrl?.startsWith('http://')) {
    warnings.push('PUBLIC_URL is http://: fine for local testing, but Microsoft Graph only delivers change notifications to https URLs')
  }
  const ms = microsoft(env)
  const mm = mattermost(env)
  if (ms && !mm) throw new ConfigError('MM_URL', 'is required: the Mattermost site URL (MS_* is set, so MM_URL and MM_BOT_TOKEN are needed too)')
  if (mm && !ms)
    throw new ConfigError('MS_TENANT_ID', 'is required: the Entra tenant id (MM_* is set, so MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET are needed too)')
  if (ms && !publicUrl) {
    warnings.push('PUBLIC_URL is not set: no change notifications; statuses follow calendars through sweeps and boundary wake-ups only')
  }
  const queuePrefix = read(env, 'QUEUE_PREFIX') ?? '{calstatus}'
  if (/[\s:]/.test(queuePrefix)) throw new ConfigError('QUEUE_PREFIX', `must not contain whitespace or ":", got "${queuePrefix}"`)
  const config: Config = {
    redisUrl: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis', 'rediss']) as string,
    port: integer(env, 'PORT', 3000, 0, 65_535) as number,
    host: read(env, 'HOST') ?? '0.0.0.0',
    publicUrl,
    microsoft: ms,
    mattermost: mm,
    admin: admin(env, warnings),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 300, 10, 86_400) as number,
    syncUsers: oneOf<SyncUsers>(env, 'SYNC_USERS', 'all', ['all', 'opt-in']),
    logLevel: oneOf<LogLevel>(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    queuePrefix,
    workerMetricsPort: integer(env, 'WORKER_METRICS_PORT', undefined, 0, 65_535) ?? null,
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 600) as number
  }
  return { config, warnings }
}

/** The configuration as it may be logged: secrets replaced, everything else visible. */
export function describeConfig(config: Config): Record<string, unknown> {
  const hidden = '[redacted]'
  return {
    ...config,
    microsoft: config.microsoft && { ...config.microsoft, clientSecret: hidden },
    mattermost: config.mattermost && {
      ...config.mattermost,
      botToken: hidden,
      commandToken: config.mattermost.commandToken && hidden
    },
    admin: config.admin && { username: config.admin.username, password: hidden },
    redisUrl: redactUrlPassword(config.redisUrl)
  }
}

function redactUrlPassword(raw: string): string {
  const parsed = new URL(raw)
  if (parsed.password) parsed.password = 'redacted'
  return parsed.toString()
}
