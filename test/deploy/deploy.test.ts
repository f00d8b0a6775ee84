// The deployment files (deploy/, Dockerfile, compose.yaml) checked against the service they
// deploy: metrics the running processes register, entries the build produces, variables the
// configuration knows, and, where nginx or Caddy is installed, a real round trip through each
// proxy config. Docker itself cannot run here (docs/operations.md, "Docker").
import t, { type Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { CONFIG_VARIABLES } from '../../src/config-variables'
import { PROBLEM_KINDS } from '../../src/app/admin-notices'
import { usePrivateRedis } from '../helpers/redis-server'
import { freePort } from '../../sim/private-redis'
import { assertBuilt, baseEnv, loggedUrl, procfileCommands, ROOT, startCommand, waitFor, type RunningProcess } from '../helpers/processes'

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8')
const KNOWN_VARIABLES = new Set(CONFIG_VARIABLES.map((v) => v.name))
const SECRET_VARIABLES = new Set(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name))

/** Tools of the machine, not of the project (so not in package.json), run when present. */
const TOOLS = { openssl: 'openssl', systemdAnalyze: 'systemd-analyze', promtool: 'promtool', nginx: 'nginx', caddy: 'caddy' } as const

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
}

/** false to run a proxy's round trip, else why it was skipped (tap prints it). */
function proxySkip(proxy: string, install: string): string | false {
  const missing = [proxy, TOOLS.openssl].filter((tool) => !hasBinary(tool))
  return missing.length === 0 ? false : `${missing.join(' and ')} not installed (${install}): the ${proxy} config was NOT checked`
}

const SECRET = 'deploy-test-client-secret-value'
const COMMAND_TOKEN = 'deploytestcommandtoken0001'
/** The service's environment for these tests: integrations configured, nothing reachable needed. */
const serviceEnv = (redisUrl: string, extra: Record<string, string> = {}): Record<string, string> =>
  baseEnv({
    REDIS_URL: redisUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    MS_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    MS_CLIENT_SECRET: SECRET,
    MM_URL: 'http://127.0.0.1:9',
    MM_BOT_TOKEN: 'deploytestbottoken00000001',
    MM_COMMAND_TOKEN: COMMAND_TOKEN,
    ADMIN_USERNAME: 'ops',
    ADMIN_PASSWORD: 'deploy test admin password',
    QUEUE_PREFIX: '{deploy}',
    LOG_LEVEL: 'info',
    ...extra
  })

// ---------------------------------------------------------------------------------------------
// Metrics: the alerts and the dashboard use only names the processes register.

interface Scrape {
  /** Every sample name a scraper can query: counters and gauges as named, histograms' _bucket, _sum, _count. */
  names: Set<string>
  text: string
}

function sampleNames(exposition: string): Set<string> {
  const names = new Set<string>()
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string]
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

async function scrapeService(t: Test): Promise<Scrape> {
  const redis = await usePrivateRedis(t)
  // PUBLIC_URL: the subscription gauges exist only where subscriptions are kept.
  const env = serviceEnv(redis.url, { WEB_METRICS_PORT: '0', WORKER_METRICS_PORT: '0', PUBLIC_URL: 'https://calstatus.test' })
  const web = startCommand(procfileCommands()['web'] as string, env)
  const worker = startCommand(procfileCommands()['worker'] as string, env)
  t.teardown(async () => {
    await web.end()
    await worker.end()
  })
  let text = ''
  for (const [p, msg] of [
    [web, 'web metrics listening'],
    [worker, 'worker metrics listening']
  ] as const) {
    const url = await loggedUrl(p, msg, 30_000)
    text += await waitFor(msg, 15_000, async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
      return res.ok ? res.text() : undefined
    })
  }
  return { names: sampleNames(text), text }
}

/** Metric names an expression uses (every name the service exports starts with calstatus_). */
const metricsIn = (expr: string): string[] => [...new Set(expr.match(/\bcalstatus_[a-z0-9_]+/g) ?? [])]

/** `label="value"` and `label=~"a|b"` matchers on one label, as the values they name. */
function labelValues(expr: string, label: string): string[] {
  const out: string[] = []
  for (const m of expr.matchAll(new RegExp(`\\b${label}\\s*(=~|!~|=|!=)\\s*"([^"]*)"`, 'g'))) out.push(...(m[2] ?? '').split('|'))
  return out
}

interface AlertRule {
  alert?: unknown
  expr?: unknown
  for?: unknown
  labels?: { severity?: unknown }
  annotations?: { summary?: unknown; description?: unknown }
}

function alertRules(): AlertRule[] {
  const doc = parseYaml(read('deploy/prometheus-alerts.yaml')) as { groups?: Array<{ name?: unknown; rules?: AlertRule[] }> }
  return (doc.groups ?? []).flatMap((g) => g.rules ?? [])
}

function dashboardExprs(): Array<{ panel: string; expr: string }> {
  const doc = JSON.parse(read('deploy/grafana-dashboard.json')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> }
  return doc.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })))
}

t.test('alert rules and dashboard: well formed, and every metric they use is one the web or worker registers', async (t) => {
  assertBuilt()
  const rules = alertRules()
  t.ok(rules.length >= 10, `the alert file parses as YAML into rule groups (${rules.length} rules)`)
  for (const rule of rules) {
    t.match(
      rule,
      { alert: /^Calstatus[A-Za-z]+$/, expr: String, labels: { severity: /^(critical|warning|info)$/ }, annotations: { summary: String } },
      `${String(rule.alert)} has the fields Alertmanager routes on`
    )
    if (rule.for !== undefined) t.match(rule.for, /^\d+[smh]$/, `${String(rule.alert)}: "for" is a duration`)
  }
  t.equal(new Set(rules.map((r) => r.alert)).size, rules.length, 'alert names are unique')
  const exprs = [
    ...rules.map((r) => ({ where: `alert ${String(r.alert)}`, expr: String(r.expr) })),
    ...dashboardExprs().map((d) => ({ where: `panel "${d.panel}"`, expr: d.expr }))
  ]
  t.ok(dashboardExprs().length >= 15, 'the dashboard parses as JSON, with its queries')

  const scrape = await scrapeService(t)
  t.ok(scrape.names.has('calstatus_sweeps_total') && scrape.names.has('calstatus_graph_notifications_total'), 'both processes were scraped')
  for (const { where, expr } of exprs) {
    const used = metricsIn(expr)
    t.ok(used.length > 0, `${where} queries a calstatus metric`)
    for (const name of used) t.ok(scrape.names.has(name), `${where}: ${name} is registered`, { expr })
    // Label values that the processes show at once (the others appear only once counted).
    for (const value of labelValues(expr, 'process')) t.match(scrape.text, `process="${value}"`, `${where}: process="${value}" exists`)
    for (const value of labelValues(expr, 'kind').filter(() => expr.includes('calstatus_problem')))
      t.ok(value in PROBLEM_KINDS, `${where}: problem kind ${value} exists`)
  }
})

t.test(
  'promtool: the rules and every dashboard query are valid PromQL, and the main alerts fire on the series they watch',
  { skip: hasBinary(TOOLS.promtool) ? false : 'promtool is not installed (apt-get install prometheus): PromQL was NOT checked' },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'calstatus-promtool-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const alerts = path.join(ROOT, 'deploy/prometheus-alerts.yaml')
    const promtool = (...args: string[]) => spawnSync(TOOLS.promtool, args, { encoding: 'utf8', cwd: dir })
    const check = promtool('check', 'rules', alerts)
    t.equal(check.status, 0, 'promtool check rules deploy/prometheus-alerts.yaml', { output: check.stdout + check.stderr })
    // The dashboard's queries as recording rules: promtool parses each one.
    const recorded = path.join(dir, 'dashboard-rules.yaml')
    const records = dashboardExprs().map((d, i) => ({ record: `calstatus_dashboard:query${i}`, expr: d.expr }))
    writeFileSync(recorded, stringifyYaml({ groups: [{ name: 'dashboard', rules: records }] }))
    const parsed = promtool('check', 'rules', recorded)
    t.equal(parsed.status, 0, `every dashboard query parses (${records.length})`, { output: parsed.stdout + parsed.stderr })

    // Series as the processes export them; the alerts must fire (labels and texts as written).
    const rules = new Map(alertRules().map((r) => [String(r.alert), r]))
    const description = (alert: string): unknown => rules.get(alert)?.annotations?.description
    const spec = {
      rule_files: [alerts],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            // No sweep completes: the age grows a minute every minute (it passes 1200 s at 20 min).
            { series: 'calstatus_sweep_last_completed_age_seconds{process="worker",instance="w1"}', values: '0+60x40' },
            { series: 'calstatus_sweep_last_completed_age_seconds{process="web",instance="a1"}', values: '0+60x40' },
            { series: 'calstatus_process_start_time_seconds{process="worker",instance="w1"}', values: '1x40' },
            { series: 'calstatus_problem{kind="graph-sign-in",process="worker",instance="w1"}', values: '0x9 1x30' },
            { series: 'calstatus_problem{kind="people-not-synced",process="worker",instance="w1"}', values: '0x40' }
          ],
          alert_rule_test: [
            { eval_time: '10m', alertname: 'CalstatusSweepStale', exp_alerts: [] },
            {
              eval_time: '30m',
              alertname: 'CalstatusSweepStale',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical' },
                  exp_annotations: { summary: 'No calstatus sweep has completed for 30m 0s', description: description('CalstatusSweepStale') }
                }
              ]
            },
            { eval_time: '12m', alertname: 'CalstatusSignInOrOutage', exp_alerts: [] },
            {
              eval_time: '20m',
              alertname: 'CalstatusSignInOrOutage',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', kind: 'graph-sign-in' },
                  exp_annotations: { summary: 'calstatus problem: graph-sign-in', description: description('CalstatusSignInOrOutage') }
                }
              ]
            },
            { eval_time: '30m', alertname: 'CalstatusProblem', exp_alerts: [] },
            { eval_time: '30m', alertname: 'CalstatusWorkerAbsent', exp_alerts: [] },
            {
              eval_time: '30m',
              alertname: 'CalstatusWebAbsent',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', process: 'web' },
                  exp_annotations: { summary: 'No calstatus web process is being scraped', description: description('CalstatusWebAbsent') }
                }
              ]
            }
          ]
        }
      ]
    }
    writeFileSync(path.join(dir, 'alerts-test.yaml'), stringifyYaml(spec))
    const run = promtool('test', 'rules', 'alerts-test.yaml')
    t.equal(run.status, 0, 'promtool test rules: the alerts fire when they should, and only then', { output: run.stdout + run.stderr })
  }
)

// ---------------------------------------------------------------------------------------------
// Entries: what the units, the image and compose start exists in the built tree.

/** A command line's script, relative to the project root: `node dist/src/main/web.js` -> that path. */
function scriptOf(command: string[]): string {
  const script = command.find((part) => part.endsWith('.js'))
  if (!script) throw new Error(`no .js entry in ${JSON.stringify(command)}`)
  return script
}

t.test('systemd units: they run built entries from the Procfile, with the env file and metrics ports the service knows', async (t) => {
  assertBuilt()
  const procfile = procfileCommands()
  for (const [unit, name, metricsVariable] of [
    ['deploy/calstatus-web.service', 'web', 'WEB_METRICS_PORT'],
    ['deploy/calstatus-worker.service', 'worker', 'WORKER_METRICS_PORT']
  ] as const) {
    const text = read(unit)
    const execStart = /^ExecStart=(.+)$/m.exec(text)?.[1] ?? ''
    const [binary, ...args] = execStart.split(/\s+/)
    t.equal(binary, '/usr/bin/node', `${unit}: node by absolute path (systemd wants one)`)
    t.equal(args.join(' '), (procfile[name] ?? '').replace(/^node /, ''), `${unit}: the Procfile's ${name} entry`)
    t.ok(existsSync(path.join(ROOT, scriptOf(args))), `${unit}: ${scriptOf(args)} exists after npm run build`)
    t.match(text, /^WorkingDirectory=\/opt\/calstatus$/m, `${unit}: runs from the install folder the docs name`)
    t.match(text, /^EnvironmentFile=\/etc\/calstatus\/calstatus\.env$/m, `${unit}: reads the env file the docs name`)
    t.match(text, new RegExp(`^Environment=${metricsVariable}=\\d+$`, 'm'), `${unit}: its own metrics port`)
    t.ok(KNOWN_VARIABLES.has(metricsVariable))
    t.match(text, /^KillSignal=SIGTERM$/m, `${unit}: SIGTERM stops it cleanly`)
    const stopSeconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1])
    t.ok(stopSeconds > 25, `${unit}: systemd waits longer (${stopSeconds} s) than SHUTDOWN_TIMEOUT_SECONDS' default (25 s)`)
  }
})

t.test(
  'systemd-analyze verify accepts the units',
  { skip: hasBinary(TOOLS.systemdAnalyze) ? false : 'systemd-analyze is not installed: the units were not verified' },
  async (t) => {
    for (const unit of ['deploy/calstatus-web.service', 'deploy/calstatus-worker.service']) {
      const run = spawnSync(TOOLS.systemdAnalyze, ['verify', path.join(ROOT, unit)], { encoding: 'utf8' })
      // It fails on a missing executable; it only warns about unknown keys, so those count too.
      const complaints = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '' && (existsSync('/usr/bin/node') || !/\/usr\/bin\/node/.test(l)))
      t.same(complaints, [], `${unit}: no complaint from systemd-analyze`)
    }
  }
)

t.test('Dockerfile: Node 22, production dependencies only, not root, and its command is a built entry', async (t) => {
  assertBuilt()
  const text = read('Dockerfile')
  const stages = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])
  t.ok(stages.length >= 2, 'multi-stage')
  for (const image of stages) t.match(image, /^node:22[.-]/, `${image}: Node 22 LTS`)
  t.match(text, /npm ci --omit=dev/, 'the image gets production dependencies only')
  const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(text)?.[1] ?? 'null') as string[] | null
  t.ok(Array.isArray(cmd), 'CMD in exec form, so SIGTERM reaches node')
  t.same(cmd?.join(' '), procfileCommands()['web'], "CMD is the Procfile's web line")
  t.ok(existsSync(path.join(ROOT, scriptOf(cmd ?? []))), `${scriptOf(cmd ?? [])} exists after npm run build`)
  t.match(text, /COPY --from=build \/app\/dist\/src \.\/dist\/src/, 'the image holds dist/src, where the entries are')
  const lastFrom = text.lastIndexOf('\nFROM ')
  const user = text.indexOf('\nUSER node', lastFrom)
  t.ok(user > lastFrom && user < text.indexOf('\nCMD '), 'the final stage runs as the unprivileged node user')
  // What `npm run build` reads must be in the build context.
  const ignore = read('.dockerignore')
  for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/', 'src/', 'Procfile'])
    t.match(ignore, `!${needed}`, `.dockerignore lets ${needed} in`)
})

t.test('compose.yaml: Redis with AOF and noeviction; web and worker run built entries with known variables', async (t) => {
  assertBuilt()
  interface Service {
    command?: string[]
    environment?: Record<string, string>
    env_file?: string
    build?: string
  }
  const compose = parseYaml(read('compose.yaml')) as { services: Record<string, Service> }
  const redis = compose.services['redis']?.command?.join(' ') ?? ''
  t.match(redis, /--appendonly yes/, 'Redis keeps an AOF')
  t.match(redis, /--appendfsync everysec/, 'fsync every second')
  t.match(redis, /--maxmemory-policy noeviction/, 'Redis never evicts a key')
  const dockerCmd = JSON.parse(/^CMD (\[.+\])$/m.exec(read('Dockerfile'))?.[1] ?? '[]') as string[]
  const procfile = procfileCommands()
  for (const name of ['web', 'worker']) {
    const service = compose.services[name]
    const command = service?.command ?? dockerCmd
    t.equal(command.join(' '), procfile[name], `${name}: the Procfile's ${name} line`)
    t.ok(existsSync(path.join(ROOT, scriptOf(command))), `${name}: ${scriptOf(command)} exists after npm run build`)
    t.equal(service?.env_file, '.env', `${name}: reads .env`)
    for (const variable of Object.keys(service?.environment ?? {})) t.ok(KNOWN_VARIABLES.has(variable), `${name}: ${variable} is a configuration variable`)
  }
})

t.test('the env file example names only configuration variables and holds no secret', async (t) => {
  const lines = read('deploy/calstatus.env.example').split('\n')
  const set = lines.filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
  t.ok(set.length >= 10, `${set.length} variables`)
  for (const line of set) {
    const [name = '', value = ''] = line.split(/=(.*)/)
    t.ok(KNOWN_VARIABLES.has(name), `${name} is in src/config-variables.ts`)
    if (SECRET_VARIABLES.has(name)) t.equal(value, '', `${name} is a secret: left empty`)
  }
  // Commented-out examples must be real names too.
  for (const m of lines.join('\n').matchAll(/^#\s*([A-Z][A-Z0-9_]{2,})=/gm)) t.ok(KNOWN_VARIABLES.has(m[1] ?? ''), `${m[1]} (commented) is known`)
  for (const required of ['MS_TENANT_ID', 'MS_CLIENT_ID', 'MS_CLIENT_SECRET', 'MM_URL', 'MM_BOT_TOKEN', 'PUBLIC_URL', 'REDIS_URL'])
    t.ok(
      set.some((l) => l.startsWith(`${required}=`)),
      `${required} is there to fill in`
    )
})

// ---------------------------------------------------------------------------------------------
// Proxies: a real round trip through deploy/nginx.conf and deploy/Caddyfile, when installed.

/** Replace `from` by `to`, failing when `from` is not in the config exactly `times` times (the config changed shape). */
function substitute(config: string, from: string | RegExp, to: string, times = 1): string {
  const pattern = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from
  const found = config.match(pattern)?.length ?? 0
  if (found !== times)
    throw new Error(`expected ${times} of ${String(from)} in the proxy config, found ${found}: update test/deploy/deploy.test.ts with the config`)
  return config.replace(pattern, to)
}

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

const HOSTNAME = 'calstatus.test'

/** An HTTPS request to the proxy on 127.0.0.1, for calstatus.test, trusting the test certificate. */
function httpsRequest(port: number, ca: string, method: string, pathAndQuery: string, body?: { type: string; data: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathAndQuery,
        servername: HOSTNAME,
        ca,
        headers: { host: `${HOSTNAME}:${port}`, ...(body ? { 'content-type': body.type } : {}) },
        timeout: 5000
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      }
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathAndQuery}: timed out`)))
    req.on('error', reject)
    req.end(body?.data)
  })
}

interface Fixture {
  dir: string
  cert: string
  key: string
  ca: string
  webPort: number
}

/** A running web process (Procfile line) and a self-signed certificate for calstatus.test. */
async function proxyFixture(t: Test): Promise<Fixture> {
  assertBuilt()
  const redis = await usePrivateRedis(t)
  const web = startCommand(procfileCommands()['web'] as string, serviceEnv(redis.url))
  t.teardown(() => web.end())
  const webPort = Number(new URL(await loggedUrl(web, 'web listening', 30_000)).port)
  const dir = mkdtempSync(path.join(tmpdir(), 'calstatus-proxy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  execFileSync(
    TOOLS.openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${HOSTNAME}`,
      '-addext',
      `subjectAltName=DNS:${HOSTNAME}`,
      '-keyout',
      key,
      '-out',
      cert
    ],
    { stdio: 'ignore' }
  )
  return { dir, cert, key, ca: readFileSync(cert, 'utf8'), webPort }
}

/** Start a proxy command and wait until its https port accepts a request. */
async function startProxy(t: Test, command: string, env: Record<string, string>, port: number, ca: string): Promise<RunningProcess> {
  const proxy = startCommand(command, env)
  t.teardown(() => proxy.end())
  const exited = proxy.exited.then((e) => {
    throw new Error(`${command} exited (${e.signal ?? e.code}):\n${proxy.output().slice(-3000)}`)
  })
  exited.catch(() => undefined)
  await Promise.race([waitFor(`${command} to answer`, 15_000, async () => (await httpsRequest(port, ca, 'GET', '/nothing')).status), exited])
  return proxy
}

/** What both proxies must do: Graph and Mattermost through, /admin refused from outside, nothing else. */
async function checkOutside(t: Test, port: number, ca: string, bodyLimit: 'proxy' | 'service'): Promise<void> {
  const handshake = await httpsRequest(port, ca, 'POST', '/graph/notifications?validationToken=abc')
  t.equal(handshake.status, 200, 'the Graph validation handshake goes through')
  t.equal(handshake.body, 'abc', 'the token comes back as Graph sent it')
  t.match(handshake.headers['content-type'], /^text\/plain/, 'as text/plain')
  const encoded = await httpsRequest(port, ca, 'POST', '/graph/lifecycle?validationToken=Validation%3A%20Testing%20client%2Bapplication%26x')
  t.equal(encoded.body, 'Validation: Testing client+application&x', 'an encoded token reaches the service as encoded, and comes back decoded')
  const command = await httpsRequest(port, ca, 'POST', '/mattermost/command', {
    type: 'application/x-www-form-urlencoded',
    data: 'token=wrong&user_id=u&text=status'
  })
  t.equal(command.status, 401, 'the slash command reaches the service (which refuses a wrong token)')
  t.ok(command.headers['x-request-id'], 'the answer is the service’s (it carries x-request-id)')
  const admin = await httpsRequest(port, ca, 'GET', '/admin')
  t.equal(admin.status, 403, '/admin is refused to an address outside the allowed networks')
  t.notOk(admin.headers['x-request-id'], '...by the proxy, before the service')
  t.equal((await httpsRequest(port, ca, 'GET', '/admin/queues')).status, 403, '/admin/queues too')
  const health = await httpsRequest(port, ca, 'GET', '/healthz')
  t.equal(health.status, 404, '/healthz is not served to the outside')
  t.notOk(health.headers['x-request-id'], '...the proxy answers it')
  const big = await httpsRequest(port, ca, 'POST', '/graph/notifications', { type: 'application/json', data: Buffer.alloc(1_100_000, ' ') })
  t.equal(big.status, 413, 'a body over 1 MiB is refused')
  t.equal(big.headers['x-request-id'] === undefined, bodyLimit === 'proxy', `...by the ${bodyLimit}`)
}

async function checkInside(t: Test, port: number, ca: string): Promise<void> {
  const admin = await httpsRequest(port, ca, 'GET', '/admin')
  t.equal(admin.status, 401, '/admin from an allowed network reaches the service, which asks for the password')
  t.match(admin.headers['www-authenticate'], /^Basic/, 'basic auth challenge')
}

t.test(
  'nginx: deploy/nginx.conf passes Graph and Mattermost through over https and keeps /admin internal',
  { skip: proxySkip(TOOLS.nginx, 'apt-get install nginx-light') },
  async (t) => {
    const f = await proxyFixture(t)
    const template = read('deploy/nginx.conf')
    const run = async (name: string, adapt: (config: string) => string): Promise<number> => {
      const [httpPort, httpsPort] = [await freePort(), await freePort()]
      let config = template
      config = substitute(config, 'ssl_certificate /etc/letsencrypt/live/calstatus.example.com/fullchain.pem;', `ssl_certificate ${f.cert};`)
      config = substitute(config, 'ssl_certificate_key /etc/letsencrypt/live/calstatus.example.com/privkey.pem;', `ssl_certificate_key ${f.key};`)
      config = substitute(config, 'server_name calstatus.example.com;', `server_name ${HOSTNAME};`, 2)
      config = substitute(config, /^\s*listen \[::\]:(80|443)[^;]*;\n/gm, '', 2)
      config = substitute(config, 'listen 80;', `listen 127.0.0.1:${httpPort};`)
      config = substitute(config, 'listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
      config = substitute(config, 'server 127.0.0.1:3000;', `server 127.0.0.1:${f.webPort};`)
      const dir = path.join(f.dir, name)
      execFileSync('mkdir', ['-p', dir])
      writeFileSync(path.join(dir, 'calstatus.conf'), adapt(config))
      // nginx's own main file around it, everything it writes in the test folder.
      const main = [
        process.getuid?.() === 0 ? 'user root;' : '',
        `error_log ${dir}/error.log warn;`,
        `pid ${dir}/nginx.pid;`,
        'events {}',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/${k};`),
        `  include ${dir}/calstatus.conf;`,
        '}'
      ].join('\n')
      writeFileSync(path.join(dir, 'nginx.conf'), main)
      const args = `-p ${dir} -e ${dir}/error.log -c ${dir}/nginx.conf`
      const check = spawnSync('sh', ['-c', `nginx -t ${args}`], { encoding: 'utf8' })
      t.equal(check.status, 0, `nginx -t accepts the config (${name})`, { output: check.stderr })
      await startProxy(t, `nginx ${args} -g 'daemon off;'`, baseEnv({}), httpsPort, f.ca)
      const redirect = await fetch(`http://127.0.0.1:${httpPort}/graph/notifications`, { redirect: 'manual', headers: { host: HOSTNAME } })
      t.equal(redirect.status, 301, 'plain http is sent to https')
      return httpsPort
    }
    await checkOutside(t, await run('outside', (c) => c), f.ca, 'proxy')
    // The same config with this machine among the allowed networks.
    await checkInside(t, await run('inside', (c) => substitute(c, /deny all;/g, 'allow 127.0.0.1;\n        deny all;', 2)), f.ca)
  }
)

t.test(
  'Caddy: deploy/Caddyfile passes Graph and Mattermost through over https and keeps /admin internal',
  { skip: proxySkip(TOOLS.caddy, 'apt-get install caddy') },
  async (t) => {
    const f = await proxyFixture(t)
    const template = read('deploy/Caddyfile')
    const run = async (name: string, adapt: (config: string) => string): Promise<number> => {
      const [httpPort, httpsPort] = [await freePort(), await freePort()]
      let config = template
      // Test-only global options: no admin API, no ACME, ports of our own; the certificate is ours.
      config = substitute(
        config,
        /^calstatus\.example\.com \{$/m,
        `{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n}\n\n${HOSTNAME}:${httpsPort} {\n\tbind 127.0.0.1\n\ttls ${f.cert} ${f.key}`
      )
      config = substitute(config, 'reverse_proxy 127.0.0.1:3000', `reverse_proxy 127.0.0.1:${f.webPort}`, 2)
      const dir = path.join(f.dir, name)
      execFileSync('mkdir', ['-p', dir])
      const file = path.join(dir, 'Caddyfile')
      writeFileSync(file, adapt(config))
      const env = baseEnv({ HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir })
      await startProxy(t, `caddy run --adapter caddyfile --config ${file}`, env, httpsPort, f.ca)
      return httpsPort
    }
    await checkOutside(t, await run('outside', (c) => c), f.ca, 'service')
    await checkInside(t, await run('inside', (c) => substitute(c, '@outside not remote_ip 10.0.0.0/8', '@outside not remote_ip 127.0.0.1/8 10.0.0.0/8')), f.ca)
  }
)
