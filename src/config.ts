// Typed configuration from the environment: parsed once at start-up, then passed down.
// Nothing else in the service reads process.env. The variable names are a contract
// (docs/configuration.md): outside tools start the service with them.
// Each variable is read through its entry in ./config-variables.ts (default, range, allowed
// values, secret); what stays here is the shape of Config and the rules between variables.
import {
  CONFIG_VARIABLES,
  VARIABLES,
  type ConfigVariable,
  type LOG_LEVELS,
  type NOTIFY_MODES,
  type STATUS_ACTIONS,
  type SYNC_USERS_MODES
} from './config-variables'
import type { Availability, OfflineUsers } from './domain/types'
import { redactUrlCredentials } from './shared/redact-url-credentials'

export { CONFIG_VARIABLES }

export type SyncUsers = (typeof SYNC_USERS_MODES)[number]
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface MicrosoftConfig {
  tenantId: string
  clientId: string
  clientSecret: string
  authorityHost: string
  graphUrl: string
  maxConcurrentBatches: number
  timeoutSeconds: number
  subscriptionLifetimeMinutes: number
  subscriptionCreatesPerSecond: number
}

export interface MattermostConfig {
  url: string
  botToken: string
  commandToken: string | null
  adminUsers: string[]
  maxRequestsPerSecond: number
}

export type NotifyMode = (typeof NOTIFY_MODES)[number]

/**
 * The admin's defaults for everyone, from DEFAULT_* (docs/configuration.md#defaults-for-everyone):
 * the shape of the domain's SettingsOverrides, holding only the variables that were set, so an
 * unset one leaves the built-in default and defaults stored in Redis layer over these.
 */
export interface DefaultsFromEnvironment {
  mapping?: Partial<Record<Availability, { status: (typeof STATUS_ACTIONS)[number] }>>
  customStatus?: boolean
  showSubject?: boolean
  notify?: NotifyMode
  confirm?: boolean
  offlineUsers?: OfflineUsers
  mergeGapMinutes?: number
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
  /** sustained failure of Graph or Mattermost before admins are told (docs/architecture.md#failure-notices) */
  outageNoticeSeconds: number
  /** MAX_EARLY_SECONDS: how early a crowded minute's block may be entered (docs/status-rules.md#early-starts) */
  maxEarlySeconds: number
  syncUsers: SyncUsers
  /** Enrol e-mail-login users too, whose address Mattermost does not show as verified (docs/mattermost.md#who-is-enrolled). */
  syncUnverifiedEmails: boolean
  /** Settings for everyone without their own, from DEFAULT_*; only those that were set. */
  defaults: DefaultsFromEnvironment
  logLevel: LogLevel
  queuePrefix: string
  webMetricsPort: number | null
  workerMetricsPort: number | null
  shutdownTimeoutSeconds: number
}

export interface LoadedConfig {
  config: Config
  /** Things that work but deserve an operator's attention (logged once at start-up). */
  warnings: string[]
}

/**
 * A configuration problem: one variable, what was expected. Printed as one line, no stack.
 * A value quoted in it loses any URL credentials (REDIS_URL may carry a password).
 */
export class ConfigError extends Error {
  readonly expected: string
  constructor(
    readonly variable: string,
    expected: string
  ) {
    const shown = redactUrlCredentials(expected)
    super(`${variable} ${shown}`)
    this.expected = shown
    this.name = 'ConfigError'
  }
}

export type Env = Readonly<Record<string, string | undefined>>

/** The value as set, or undefined: empty strings count as unset (`FOO=` in an env file means "not configured"). */
function raw(env: Env, v: ConfigVariable): string | undefined {
  const value = env[v.name]
  if (value === undefined) return undefined
  const kept = v.kind.verbatim ? value : value.trim()
  return kept === '' ? undefined : kept
}

const isSet = (env: Env, v: ConfigVariable): boolean => raw(env, v) !== undefined

function parse<T>(v: ConfigVariable<T>, value: string): T {
  return v.kind.parse(value, (expected) => {
    throw new ConfigError(v.name, expected)
  })
}

function optional<T>(env: Env, v: ConfigVariable<T>): T | undefined {
  const value = raw(env, v)
  return value === undefined ? undefined : parse(v, value)
}

function withDefault<T>(env: Env, v: ConfigVariable<T> & { default: string }): T {
  return parse(v, raw(env, v) ?? v.default)
}

/** A variable its group cannot do without; the entry says what to set. */
function required<T>(env: Env, v: ConfigVariable<T> & { required: { expected: string } }): T {
  const value = raw(env, v)
  if (value === undefined) throw new ConfigError(v.name, `is required: ${v.required.expected}`)
  return parse(v, value)
}

function microsoft(env: Env): MicrosoftConfig | null {
  const { MS_TENANT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET } = VARIABLES
  if (![MS_TENANT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET].some((v) => isSet(env, v))) return null
  return {
    tenantId: required(env, MS_TENANT_ID),
    clientId: required(env, MS_CLIENT_ID),
    clientSecret: required(env, MS_CLIENT_SECRET),
    authorityHost: withDefault(env, VARIABLES.MS_AUTHORITY_HOST),
    graphUrl: withDefault(env, VARIABLES.MS_GRAPH_URL),
    maxConcurrentBatches: withDefault(env, VARIABLES.GRAPH_MAX_CONCURRENT_BATCHES),
    timeoutSeconds: withDefault(env, VARIABLES.GRAPH_TIMEOUT_SECONDS),
    subscriptionLifetimeMinutes: withDefault(env, VARIABLES.GRAPH_SUBSCRIPTION_LIFETIME_MINUTES),
    subscriptionCreatesPerSecond: withDefault(env, VARIABLES.GRAPH_SUBSCRIPTION_CREATES_PER_SECOND)
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The bot token goes with every request: over http:// only to this machine, or where the
 * operator says the network is trusted (then with a warning).
 */
function checkMattermostScheme(url: string, allowInsecureHttp: boolean, warnings: string[]): void {
  const parsed = new URL(url)
  if (parsed.protocol !== 'http:') return
  const host = parsed.hostname.toLowerCase()
  if (LOOPBACK_HOSTS.has(host) || host.startsWith('127.')) return
  const { MM_URL, MM_ALLOW_INSECURE_HTTP } = VARIABLES
  if (!allowInsecureHttp) {
    throw new ConfigError(
      MM_URL.name,
      `is http:// on ${parsed.host}: the bot token would travel unencrypted; use the site's https:// URL (or set ${MM_ALLOW_INSECURE_HTTP.name}=true on a network you trust end to end)`
    )
  }
  warnings.push(`${MM_URL.name} is http:// on ${parsed.host} (${MM_ALLOW_INSECURE_HTTP.name}=true): the bot token travels unencrypted`)
}

function mattermost(env: Env, warnings: string[]): MattermostConfig | null {
  const { MM_URL, MM_BOT_TOKEN } = VARIABLES
  if (![MM_URL, MM_BOT_TOKEN].some((v) => isSet(env, v))) return null
  const url = required(env, MM_URL)
  checkMattermostScheme(url, withDefault(env, VARIABLES.MM_ALLOW_INSECURE_HTTP), warnings)
  const botToken = required(env, MM_BOT_TOKEN)
  const adminUsers = optional(env, VARIABLES.ADMIN_MM_USERS) ?? [] // nobody to notify
  return {
    url,
    botToken,
    commandToken: optional(env, VARIABLES.MM_COMMAND_TOKEN) ?? null,
    adminUsers,
    maxRequestsPerSecond: withDefault(env, VARIABLES.MM_MAX_REQUESTS_PER_SECOND)
  }
}

function admin(env: Env): Config['admin'] {
  const { ADMIN_USERNAME, ADMIN_PASSWORD } = VARIABLES
  // Both are checked for presence before either value, so the error names the one missing.
  const username = raw(env, ADMIN_USERNAME)
  const password = raw(env, ADMIN_PASSWORD)
  if (username === undefined && password === undefined) return null
  if (username === undefined) throw new ConfigError(ADMIN_USERNAME.name, `is required when ${ADMIN_PASSWORD.name} is set`)
  if (password === undefined) throw new ConfigError(ADMIN_PASSWORD.name, `is required when ${ADMIN_USERNAME.name} is set`)
  return { username: parse(ADMIN_USERNAME, username), password: parse(ADMIN_PASSWORD, password) }
}

const MAPPING_VARIABLES = [
  ['busy', VARIABLES.DEFAULT_WHEN_BUSY],
  ['tentative', VARIABLES.DEFAULT_WHEN_TENTATIVE],
  ['oof', VARIABLES.DEFAULT_WHEN_OUT_OF_OFFICE],
  ['workingElsewhere', VARIABLES.DEFAULT_WHEN_WORKING_ELSEWHERE]
] as const satisfies ReadonlyArray<readonly [Availability, ConfigVariable]>

/** Only the fields whose value is set: an absent key lets the layer below decide. */
function onlySet<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>
}

function defaults(env: Env): DefaultsFromEnvironment {
  const mapping: DefaultsFromEnvironment['mapping'] = {}
  for (const [availability, v] of MAPPING_VARIABLES) {
    const status = optional(env, v)
    if (status !== undefined) mapping[availability] = { status }
  }
  return onlySet({
    mapping: Object.keys(mapping).length > 0 ? mapping : undefined,
    customStatus: optional(env, VARIABLES.DEFAULT_CUSTOM_STATUS),
    showSubject: optional(env, VARIABLES.DEFAULT_SHOW_SUBJECT),
    notify: optional(env, VARIABLES.DEFAULT_NOTIFY),
    confirm: optional(env, VARIABLES.DEFAULT_CONFIRM),
    offlineUsers: optional(env, VARIABLES.DEFAULT_OFFLINE_USERS),
    mergeGapMinutes: optional(env, VARIABLES.DEFAULT_MERGE_GAP_MINUTES)
  })
}

/** MS_* and MM_* come together: one without the other has nothing to sync from or to. */
function checkIntegrations(ms: MicrosoftConfig | null, mm: MattermostConfig | null): void {
  if (ms && !mm) {
    throw new ConfigError(VARIABLES.MM_URL.name, 'is required: the Mattermost site URL (MS_* is set, so MM_URL and MM_BOT_TOKEN are needed too)')
  }
  if (mm && !ms) {
    throw new ConfigError(
      VARIABLES.MS_TENANT_ID.name,
      'is required: the Entra tenant id (MM_* is set, so MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET are needed too)'
    )
  }
}

export function loadConfig(env: Env): LoadedConfig {
  const warnings: string[] = []
  const publicUrl = optional(env, VARIABLES.PUBLIC_URL) ?? null
  if (publicUrl?.startsWith('http://')) {
    warnings.push('PUBLIC_URL is http://: fine for local testing, but Microsoft Graph only delivers change notifications to https URLs')
  }
  const ms = microsoft(env)
  const mm = mattermost(env, warnings)
  checkIntegrations(ms, mm)
  if (ms && !publicUrl) {
    warnings.push('PUBLIC_URL is not set: no change notifications; statuses follow calendars through sweeps and boundary wake-ups only')
  }
  const queuePrefix = withDefault(env, VARIABLES.QUEUE_PREFIX)
  const config: Config = {
    redisUrl: withDefault(env, VARIABLES.REDIS_URL),
    port: withDefault(env, VARIABLES.PORT),
    host: withDefault(env, VARIABLES.HOST),
    publicUrl,
    microsoft: ms,
    mattermost: mm,
    admin: admin(env),
    sweepIntervalSeconds: withDefault(env, VARIABLES.SWEEP_INTERVAL_SECONDS),
    outageNoticeSeconds: withDefault(env, VARIABLES.OUTAGE_NOTICE_SECONDS),
    maxEarlySeconds: withDefault(env, VARIABLES.MAX_EARLY_SECONDS),
    syncUsers: withDefault(env, VARIABLES.SYNC_USERS),
    syncUnverifiedEmails: withDefault(env, VARIABLES.SYNC_UNVERIFIED_EMAILS),
    defaults: defaults(env),
    logLevel: withDefault(env, VARIABLES.LOG_LEVEL),
    queuePrefix,
    webMetricsPort: optional(env, VARIABLES.WEB_METRICS_PORT) ?? null,
    workerMetricsPort: optional(env, VARIABLES.WORKER_METRICS_PORT) ?? null,
    shutdownTimeoutSeconds: withDefault(env, VARIABLES.SHUTDOWN_TIMEOUT_SECONDS)
  }
  return { config, warnings }
}

/** The configuration as it may be logged: every secret variable's field hidden, everything else visible. */
export function describeConfig(config: Config): Record<string, unknown> {
  // REDIS_URL is not a secret, but it may carry one.
  const described: Record<string, unknown> = { ...config, redisUrl: redactUrlCredentials(config.redisUrl) }
  for (const v of CONFIG_VARIABLES) if (v.secret) hide(described, v.secret.field)
  return described
}

/** Replace one nested field, leaving absent sections and unset values (null) as they are. */
function hide(described: Record<string, unknown>, field: string): void {
  const [section = '', key = ''] = field.split('.')
  const fields = described[section] as Record<string, unknown> | null
  if (fields && fields[key] !== null) described[section] = { ...fields, [key]: '[redacted]' }
}
