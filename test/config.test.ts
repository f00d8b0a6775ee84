import t from 'tap'
import { ConfigError, describeConfig, loadConfig, type Env } from '../src/config'

const MS = {
  MS_TENANT_ID: '11111111-2222-3333-4444-555555555555',
  MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  MS_CLIENT_SECRET: 'very~secret.value'
}
const MM = { MM_URL: 'https://chat.example.com', MM_BOT_TOKEN: 'abcdefghijklmnopqrstuvwxyz' }
const FULL: Env = { ...MS, ...MM, PUBLIC_URL: 'https://calstatus.example.com' }

function errorOf(env: Env): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

t.test('defaults: every variable of the table with no environment at all', async (t) => {
  const { config, warnings } = loadConfig({})
  t.same(config, {
    redisUrl: 'redis://127.0.0.1:6379',
    port: 3000,
    host: '0.0.0.0',
    publicUrl: null,
    microsoft: null,
    mattermost: null,
    admin: null,
    sweepIntervalSeconds: 300,
    outageNoticeSeconds: 300,
    maxEarlySeconds: 60,
    syncUsers: 'all',
    syncUnverifiedEmails: false,
    defaults: {},
    logLevel: 'info',
    queuePrefix: '{calstatus}',
    webMetricsPort: null,
    workerMetricsPort: null,
    shutdownTimeoutSeconds: 25
  })
  t.same(warnings, [])
})

t.test('a full configuration is read as given', async (t) => {
  const { config, warnings } = loadConfig({
    ...FULL,
    REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
    PORT: '8080',
    HOST: '127.0.0.1',
    MS_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
    MS_GRAPH_URL: 'https://graph.microsoft.us',
    GRAPH_MAX_CONCURRENT_BATCHES: '4',
    GRAPH_TIMEOUT_SECONDS: '12',
    GRAPH_SUBSCRIPTION_LIFETIME_MINUTES: '2880',
    MM_URL: 'https://chat.example.com/',
    MM_COMMAND_TOKEN: 'cmdtoken123',
    ADMIN_USERNAME: 'ops',
    ADMIN_PASSWORD: 'a long admin password',
    ADMIN_MM_USERS: '@alice, bob.smith ,',
    SWEEP_INTERVAL_SECONDS: '120',
    SYNC_USERS: 'opt-in',
    MM_MAX_REQUESTS_PER_SECOND: '50',
    LOG_LEVEL: 'DEBUG',
    QUEUE_PREFIX: '{cs-prod}',
    WEB_METRICS_PORT: '9101',
    WORKER_METRICS_PORT: '9100',
    SHUTDOWN_TIMEOUT_SECONDS: '10'
  })
  t.same(warnings, [])
  t.equal(config.redisUrl, 'rediss://:pw@redis.internal:6380/2')
  t.equal(config.port, 8080)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.publicUrl, 'https://calstatus.example.com')
  t.same(config.microsoft, {
    ...{ tenantId: MS.MS_TENANT_ID, clientId: MS.MS_CLIENT_ID, clientSecret: MS.MS_CLIENT_SECRET },
    authorityHost: 'https://login.microsoftonline.us',
    graphUrl: 'https://graph.microsoft.us',
    maxConcurrentBatches: 4,
    timeoutSeconds: 12,
    subscriptionLifetimeMinutes: 2880,
    subscriptionCreatesPerSecond: 40
  })
  t.same(config.mattermost, {
    url: 'https://chat.example.com',
    botToken: MM.MM_BOT_TOKEN,
    commandToken: 'cmdtoken123',
    adminUsers: ['alice', 'bob.smith'],
    maxRequestsPerSecond: 50
  })
  t.same(config.admin, { username: 'ops', password: 'a long admin password' })
  t.equal(config.sweepIntervalSeconds, 120)
  t.equal(config.syncUsers, 'opt-in')
  t.equal(config.logLevel, 'debug')
  t.equal(config.queuePrefix, '{cs-prod}')
  t.equal(config.webMetricsPort, 9101)
  t.equal(config.workerMetricsPort, 9100)
  t.equal(config.shutdownTimeoutSeconds, 10)
})

t.test('Microsoft defaults and tenant forms', async (t) => {
  const { config } = loadConfig(FULL)
  t.equal(config.microsoft?.authorityHost, 'https://login.microsoftonline.com')
  t.equal(config.microsoft?.graphUrl, 'https://graph.microsoft.com')
  t.equal(config.microsoft?.maxConcurrentBatches, 25)
  t.equal(config.microsoft?.timeoutSeconds, 30)
  t.equal(config.microsoft?.subscriptionLifetimeMinutes, 4200)
  t.equal(config.mattermost?.maxRequestsPerSecond, 200)
  t.equal(config.mattermost?.commandToken, null)
  t.same(config.mattermost?.adminUsers, [])
  t.equal(loadConfig({ ...FULL, MS_TENANT_ID: 'contoso.onmicrosoft.com' }).config.microsoft?.tenantId, 'contoso.onmicrosoft.com')
})

t.test('empty values count as unset', async (t) => {
  const { config } = loadConfig({ PORT: '', REDIS_URL: '  ', MS_TENANT_ID: '', LOG_LEVEL: '' })
  t.equal(config.port, 3000)
  t.equal(config.redisUrl, 'redis://127.0.0.1:6379')
  t.equal(config.microsoft, null)
  t.equal(config.logLevel, 'info')
})

// Each malformed or missing value: the variable it names and the words that say what is expected.
const errors: Array<[string, Env, string, RegExp]> = [
  ['REDIS_URL not a URL', { REDIS_URL: 'localhost:6379' }, 'REDIS_URL', /must be a (URL|redis or rediss URL)/],
  ['REDIS_URL wrong scheme', { REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL', /redis or rediss URL/],
  ['PORT not a number', { PORT: 'eighty' }, 'PORT', /whole number from 0 to 65535/],
  ['PORT too large', { PORT: '70000' }, 'PORT', /whole number from 0 to 65535/],
  ['PORT negative', { PORT: '-1' }, 'PORT', /whole number/],
  ['PUBLIC_URL not a URL', { PUBLIC_URL: 'calstatus.example.com' }, 'PUBLIC_URL', /must be a URL/],
  ['PUBLIC_URL ftp', { PUBLIC_URL: 'ftp://x.example.com' }, 'PUBLIC_URL', /http or https URL/],
  ['PUBLIC_URL with query', { PUBLIC_URL: 'https://x.example.com/?a=1' }, 'PUBLIC_URL', /without query or fragment/],
  ['MS_TENANT_ID missing when MS_CLIENT_ID set', { ...MM, MS_CLIENT_ID: MS.MS_CLIENT_ID, MS_CLIENT_SECRET: 'x' }, 'MS_TENANT_ID', /is required/],
  ['MS_TENANT_ID common', { ...FULL, MS_TENANT_ID: 'common' }, 'MS_TENANT_ID', /must name one tenant/],
  ['MS_TENANT_ID malformed', { ...FULL, MS_TENANT_ID: 'not a tenant' }, 'MS_TENANT_ID', /GUID or a domain/],
  ['MS_CLIENT_ID missing', { ...MM, MS_TENANT_ID: MS.MS_TENANT_ID, MS_CLIENT_SECRET: 'x' }, 'MS_CLIENT_ID', /is required/],
  ['MS_CLIENT_ID not a GUID', { ...FULL, MS_CLIENT_ID: 'my-app' }, 'MS_CLIENT_ID', /must be a GUID/],
  ['MS_CLIENT_SECRET missing', { ...MM, MS_TENANT_ID: MS.MS_TENANT_ID, MS_CLIENT_ID: MS.MS_CLIENT_ID }, 'MS_CLIENT_SECRET', /is required/],
  ['MS_AUTHORITY_HOST http', { ...FULL, MS_AUTHORITY_HOST: 'http://login.example.com' }, 'MS_AUTHORITY_HOST', /https URL/],
  ['MS_GRAPH_URL http', { ...FULL, MS_GRAPH_URL: 'http://graph.example.com' }, 'MS_GRAPH_URL', /https URL/],
  ['GRAPH_MAX_CONCURRENT_BATCHES zero', { ...FULL, GRAPH_MAX_CONCURRENT_BATCHES: '0' }, 'GRAPH_MAX_CONCURRENT_BATCHES', /from 1 to 100/],
  ['GRAPH_TIMEOUT_SECONDS too large', { ...FULL, GRAPH_TIMEOUT_SECONDS: '301' }, 'GRAPH_TIMEOUT_SECONDS', /from 1 to 300/],
  [
    'GRAPH_SUBSCRIPTION_LIFETIME_MINUTES over the maximum',
    { ...FULL, GRAPH_SUBSCRIPTION_LIFETIME_MINUTES: '10081' },
    'GRAPH_SUBSCRIPTION_LIFETIME_MINUTES',
    /from 60 to 10080/
  ],
  ['MM_URL missing when MS set', { ...MS }, 'MM_URL', /is required/],
  ['MM_URL missing when token set', { ...MS, MM_BOT_TOKEN: 'abc' }, 'MM_URL', /is required/],
  ['MM_URL not a URL', { ...FULL, MM_URL: 'chat' }, 'MM_URL', /must be a URL/],
  ['MM_URL with credentials', { ...FULL, MM_URL: 'https://u:p@chat.example.com' }, 'MM_URL', /credentials/],
  [
    'MM_URL http:// on another host',
    { ...FULL, MM_URL: 'http://chat.example.com' },
    'MM_URL',
    /is http:\/\/ on chat\.example\.com: .*use the site's https:\/\/ URL .*MM_ALLOW_INSECURE_HTTP=true/
  ],
  [
    'MM_ALLOW_INSECURE_HTTP not a switch',
    { ...FULL, MM_URL: 'http://chat.example.com', MM_ALLOW_INSECURE_HTTP: 'sure' },
    'MM_ALLOW_INSECURE_HTTP',
    /must be true or false, got "sure"/
  ],
  ['SYNC_UNVERIFIED_EMAILS not a switch', { SYNC_UNVERIFIED_EMAILS: 'maybe' }, 'SYNC_UNVERIFIED_EMAILS', /must be true or false/],
  ['MM_BOT_TOKEN missing', { ...MS, MM_URL: MM.MM_URL }, 'MM_BOT_TOKEN', /is required/],
  ['MM_BOT_TOKEN with a space', { ...FULL, MM_BOT_TOKEN: 'abc def' }, 'MM_BOT_TOKEN', /whitespace/],
  ['MS missing when MM set', { ...MM }, 'MS_TENANT_ID', /is required/],
  ['MM_COMMAND_TOKEN with a space', { ...FULL, MM_COMMAND_TOKEN: 'a b' }, 'MM_COMMAND_TOKEN', /whitespace/],
  ['ADMIN_USERNAME without password', { ADMIN_USERNAME: 'ops' }, 'ADMIN_PASSWORD', /is required when ADMIN_USERNAME/],
  ['ADMIN_PASSWORD without username', { ADMIN_PASSWORD: 'a long admin password' }, 'ADMIN_USERNAME', /is required when ADMIN_PASSWORD/],
  ['ADMIN_USERNAME with a colon', { ADMIN_USERNAME: 'a:b', ADMIN_PASSWORD: 'a long admin password' }, 'ADMIN_USERNAME', /must not contain ":"/],
  ['ADMIN_PASSWORD shorter than 12', { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'short pass1' }, 'ADMIN_PASSWORD', /at least 12 characters long, got 11/],
  ['ADMIN_PASSWORD only whitespace', { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: ' '.repeat(20) }, 'ADMIN_PASSWORD', /must not be blank/],
  ['ADMIN_PASSWORD of 11 characters, one of them outside the BMP', { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: 'password12😀' }, 'ADMIN_PASSWORD', /got 11/],
  ['ADMIN_MM_USERS not usernames', { ...FULL, ADMIN_MM_USERS: 'alice, Bob Smith' }, 'ADMIN_MM_USERS', /"bob smith" is not one/],
  ['SWEEP_INTERVAL_SECONDS too small', { SWEEP_INTERVAL_SECONDS: '5' }, 'SWEEP_INTERVAL_SECONDS', /from 10 to 86400/],
  ['SWEEP_INTERVAL_SECONDS fraction', { SWEEP_INTERVAL_SECONDS: '1.5' }, 'SWEEP_INTERVAL_SECONDS', /whole number/],
  ['SYNC_USERS unknown', { SYNC_USERS: 'some' }, 'SYNC_USERS', /one of all, opt-in/],
  ['MM_MAX_REQUESTS_PER_SECOND zero', { ...FULL, MM_MAX_REQUESTS_PER_SECOND: '0' }, 'MM_MAX_REQUESTS_PER_SECOND', /from 1 to 10000/],
  ['LOG_LEVEL unknown', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent/],
  ['QUEUE_PREFIX with a colon', { QUEUE_PREFIX: 'a:b' }, 'QUEUE_PREFIX', /whitespace or ":"/],
  ['WEB_METRICS_PORT not a number', { WEB_METRICS_PORT: 'x' }, 'WEB_METRICS_PORT', /whole number/],
  ['WORKER_METRICS_PORT not a number', { WORKER_METRICS_PORT: 'x' }, 'WORKER_METRICS_PORT', /whole number/],
  ['SHUTDOWN_TIMEOUT_SECONDS zero', { SHUTDOWN_TIMEOUT_SECONDS: '0' }, 'SHUTDOWN_TIMEOUT_SECONDS', /from 1 to 600/],
  ['DEFAULT_WHEN_BUSY unknown', { DEFAULT_WHEN_BUSY: 'busy' }, 'DEFAULT_WHEN_BUSY', /must be one of dnd, away, offline, none, got "busy"/],
  ['DEFAULT_WHEN_TENTATIVE unknown', { DEFAULT_WHEN_TENTATIVE: 'do not disturb' }, 'DEFAULT_WHEN_TENTATIVE', /one of dnd, away, offline, none/],
  ['DEFAULT_WHEN_OUT_OF_OFFICE unknown', { DEFAULT_WHEN_OUT_OF_OFFICE: 'online' }, 'DEFAULT_WHEN_OUT_OF_OFFICE', /one of dnd, away, offline, none/],
  ['DEFAULT_WHEN_WORKING_ELSEWHERE unknown', { DEFAULT_WHEN_WORKING_ELSEWHERE: 'x' }, 'DEFAULT_WHEN_WORKING_ELSEWHERE', /one of dnd, away, offline, none/],
  ['DEFAULT_CUSTOM_STATUS not a switch', { DEFAULT_CUSTOM_STATUS: 'on' }, 'DEFAULT_CUSTOM_STATUS', /must be true or false, got "on"/],
  ['DEFAULT_SHOW_SUBJECT not a switch', { DEFAULT_SHOW_SUBJECT: 'maybe' }, 'DEFAULT_SHOW_SUBJECT', /must be true or false/],
  ['DEFAULT_NOTIFY a boolean', { DEFAULT_NOTIFY: 'true' }, 'DEFAULT_NOTIFY', /must be one of every, daily, off, got "true"/],
  ['DEFAULT_CONFIRM not a switch', { DEFAULT_CONFIRM: 'ask' }, 'DEFAULT_CONFIRM', /must be true or false/],
  ['DEFAULT_OFFLINE_USERS unknown', { DEFAULT_OFFLINE_USERS: 'ignore' }, 'DEFAULT_OFFLINE_USERS', /must be one of skip, apply/],
  ['DEFAULT_MERGE_GAP_MINUTES too large', { DEFAULT_MERGE_GAP_MINUTES: '61' }, 'DEFAULT_MERGE_GAP_MINUTES', /from 0 to 60, got "61"/],
  ['DEFAULT_MERGE_GAP_MINUTES negative', { DEFAULT_MERGE_GAP_MINUTES: '-5' }, 'DEFAULT_MERGE_GAP_MINUTES', /from 0 to 60/]
]
for (const [name, env, variable, expected] of errors) {
  t.test(`error: ${name}`, async (t) => {
    const err = errorOf(env)
    t.equal(err.variable, variable)
    t.match(err.message, expected)
    t.ok(err.message.startsWith(variable + ' '), 'the line starts with the variable name')
    t.notMatch(err.message, /\n/, 'one line')
    t.notMatch(err.message, /very~secret|abcdefghijklmnopqrstuvwxyz/, 'no secret in the message')
  })
}

t.test('REDIS_URL credentials never appear in a configuration error', async (t) => {
  const cases: Env[] = [
    { REDIS_URL: 'http://ops:hunter2-redis-pw@redis.internal:6379' }, // wrong scheme
    { REDIS_URL: 'redis://ops:hunter2-redis-pw@redis.internal:notaport' }, // not a URL at all
    { REDIS_URL: 'redis://:hunter2-redis-pw@redis internal' },
    { REDIS_URL: 'ftp://hunter2-redis-pw@redis.internal' } // a lone user-info part may be a token
  ]
  for (const env of cases) {
    const err = errorOf(env)
    t.equal(err.variable, 'REDIS_URL')
    t.notMatch(err.message, 'hunter2-redis-pw', `${err.message}: no password`)
    t.notMatch(err.expected, 'hunter2-redis-pw')
    t.match(err.message, /\[redacted\]@redis/, 'where the password was is still visible')
  }
})

t.test('MM_URL: https anywhere, http:// only to this machine unless MM_ALLOW_INSECURE_HTTP says otherwise', async (t) => {
  for (const url of ['http://localhost:8065', 'http://127.0.0.1:8065', 'http://[::1]:8065', 'http://LOCALHOST']) {
    const { config, warnings } = loadConfig({ ...FULL, MM_URL: url })
    t.equal(config.mattermost?.url, url, `${url} is accepted`)
    t.same(warnings, [], `${url}: no warning (the token does not leave the machine)`)
  }
  const allowed = loadConfig({ ...FULL, MM_URL: 'http://chat.internal:8065', MM_ALLOW_INSECURE_HTTP: 'true' })
  t.equal(allowed.config.mattermost?.url, 'http://chat.internal:8065')
  t.match(allowed.warnings, [/MM_URL is http:\/\/ on chat\.internal:8065 \(MM_ALLOW_INSECURE_HTTP=true\): the bot token travels unencrypted/])
  t.same(loadConfig({ ...FULL, MM_ALLOW_INSECURE_HTTP: 'true' }).warnings, [], 'the override alone warns about nothing on https')
  t.equal(errorOf({ ...FULL, MM_URL: 'http://chat.internal', MM_ALLOW_INSECURE_HTTP: 'false' }).variable, 'MM_URL')
})

t.test('SYNC_UNVERIFIED_EMAILS is a switch, off unless set', async (t) => {
  t.equal(loadConfig({}).config.syncUnverifiedEmails, false)
  for (const v of ['true', 'TRUE', 'yes', '1']) t.equal(loadConfig({ SYNC_UNVERIFIED_EMAILS: v }).config.syncUnverifiedEmails, true, v)
  for (const v of ['false', 'No', '0']) t.equal(loadConfig({ SYNC_UNVERIFIED_EMAILS: v }).config.syncUnverifiedEmails, false, v)
})

t.test('warnings: http PUBLIC_URL, no PUBLIC_URL', async (t) => {
  t.match(loadConfig({ ...FULL, PUBLIC_URL: 'http://localhost:3000' }).warnings, [/PUBLIC_URL is http:\/\//])
  t.equal(loadConfig({ ...FULL, PUBLIC_URL: 'http://localhost:3000' }).config.publicUrl, 'http://localhost:3000')
  const noPublic = { ...FULL }
  delete (noPublic as Record<string, string | undefined>)['PUBLIC_URL']
  t.match(loadConfig(noPublic).warnings, [/PUBLIC_URL is not set/])
  t.same(
    loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: '  twelve chars' }).warnings,
    [],
    'a password of 12 or more characters, spaces kept, is no warning'
  )
  t.equal(loadConfig({ ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: '  twelve chars' }).config.admin?.password, '  twelve chars')
})

t.test('defaults for everyone: every DEFAULT_* variable lands in its settings field', async (t) => {
  const { config } = loadConfig({
    DEFAULT_WHEN_BUSY: 'away',
    DEFAULT_WHEN_TENTATIVE: 'NONE',
    DEFAULT_WHEN_OUT_OF_OFFICE: 'offline',
    DEFAULT_WHEN_WORKING_ELSEWHERE: 'dnd',
    DEFAULT_CUSTOM_STATUS: 'false',
    DEFAULT_SHOW_SUBJECT: 'yes',
    DEFAULT_NOTIFY: 'Every',
    DEFAULT_CONFIRM: 'true',
    DEFAULT_OFFLINE_USERS: 'apply',
    DEFAULT_MERGE_GAP_MINUTES: '15'
  })
  t.same(config.defaults, {
    mapping: { busy: { status: 'away' }, tentative: { status: 'none' }, oof: { status: 'offline' }, workingElsewhere: { status: 'dnd' } },
    customStatus: false,
    showSubject: true,
    notify: 'every',
    confirm: true,
    offlineUsers: 'apply',
    mergeGapMinutes: 15
  })
})

// An unset variable must leave no key at all: the admin's stored defaults and the built-in ones
// below them decide then (docs/configuration.md#defaults-for-everyone).
t.test('defaults for everyone: only the variables that were set, nothing for the unset or empty ones', async (t) => {
  const only = (env: Env): object => loadConfig(env).config.defaults
  t.strictSame(only({ DEFAULT_WHEN_OUT_OF_OFFICE: 'away' }), { mapping: { oof: { status: 'away' } } })
  t.strictSame(only({ DEFAULT_NOTIFY: 'off', DEFAULT_WHEN_BUSY: '' }), { notify: 'off' })
  t.strictSame(
    only({ DEFAULT_CONFIRM: 'false', DEFAULT_MERGE_GAP_MINUTES: '0' }),
    { confirm: false, mergeGapMinutes: 0 },
    'a false or zero that was set is kept'
  )
  t.same(Object.keys(only({ DEFAULT_SHOW_SUBJECT: ' ', DEFAULT_OFFLINE_USERS: '' })), [])
})

t.test('describeConfig hides every secret and keeps the rest', async (t) => {
  const { config } = loadConfig({
    ...FULL,
    MM_COMMAND_TOKEN: 'cmd-secret',
    ADMIN_USERNAME: 'ops',
    ADMIN_PASSWORD: 'admin-secret-pw',
    REDIS_URL: 'redis://:redis-pw@h:6379'
  })
  const text = JSON.stringify(describeConfig(config))
  for (const secret of ['very~secret.value', MM.MM_BOT_TOKEN, 'cmd-secret', 'admin-secret-pw', 'redis-pw']) t.notMatch(text, secret)
  t.match(text, '"redisUrl":"redis://:[redacted]@h:6379"')
  t.match(text, MS.MS_CLIENT_ID)
  t.match(text, '"username":"ops"')
})
