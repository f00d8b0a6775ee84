import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { recordSecret, SECRETS_LEDGER_ENV } from '../../sim/shared/secrets-ledger'

export const ROOT = path.resolve(__dirname, '..', '..')

/** The `web:` and `worker:` commands, read from the Procfile as outside tools read them. */
export function procfileCommands(): Record<string, string> {
  const lines = readFileSync(path.join(ROOT, 'Procfile'), 'utf8').split('\n')
  const out: Record<string, string> = {}
  for (const line of lines) {
    const m = /^([a-z]+):\s*(.+)$/.exec(line.trim())
    if (m && m[1] && m[2]) out[m[1]] = m[2]
  }
  return out
}

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'main', 'web.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)')
  }
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  ms: number
}

export interface RunningProcess {
  child: ChildProcess
  output(): string
  exited: Promise<Exit>
  /** Send a signal and resolve with how the process exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
  /**
   * For teardowns: SIGTERM, and SIGKILL if it has not exited after `graceMs`. A process that
   * stops on its own writes its coverage (see coverageEnv); one killed outright does not.
   */
  end(graceMs?: number): Promise<Exit>
}

/**
 * tap's coverage instrumentation, for the built processes the tests start: NODE_OPTIONS loads
 * @tapjs/processinfo (`--import`), which records V8 coverage in every process it is loaded in
 * and writes it at exit to .tap/coverage with the source maps (dist/src/x.js -> src/x.ts);
 * the _TAPJS_PROCESSINFO_* variables tell it where and what to leave out (.taprc's
 * coverage-exclude). Without them, code that runs only in those processes (src/main, the
 * worker's composition root) never counts. Empty when tap is not collecting coverage; nothing
 * else of the runner's NODE_OPTIONS is passed on.
 */
export function coverageEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (env['_TAPJS_PROCESSINFO_COVERAGE_'] !== '1') return {}
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (k.startsWith('_TAPJS_PROCESSINFO_') && v !== undefined) out[k] = v
  const hooks = (env['NODE_OPTIONS'] ?? '').split(/\s+/).filter((o) => /^"?--(import|require|loader)[= ].*processinfo/.test(o))
  if (hooks.length > 0) out['NODE_OPTIONS'] = hooks.join(' ')
  return out
}

/** A minimal environment, so nothing of the test runner's own environment leaks in (but its coverage hook and the secrets ledger). */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  // The ledger too: the demo's own simulators record what they hand out (sim/shared/secrets-ledger.ts).
  const ledger = process.env[SECRETS_LEDGER_ENV]
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    ...coverageEnv(),
    ...(ledger ? { [SECRETS_LEDGER_ENV]: ledger } : {}),
    ...extra
  }
}

/** Where `npm test` collects every started process's output for the secrets scan (scripts/test.js). */
export const TEST_LOG_DIR_ENV = 'CALSTATUS_TEST_LOG_DIR'

/** The secrets a process is started with, for the scan of everything it prints. */
const SECRET_VARIABLES = ['MS_CLIENT_SECRET', 'MM_BOT_TOKEN', 'MM_COMMAND_TOKEN', 'ADMIN_PASSWORD']

function recordSecretsOf(env: Record<string, string>): void {
  for (const name of SECRET_VARIABLES) recordSecret(name, env[name])
  const redisUrl = env['REDIS_URL']
  if (redisUrl) {
    try {
      recordSecret('REDIS_URL password', decodeURIComponent(new URL(redisUrl).password))
    } catch {
      // not a URL: a configuration-error test
    }
  }
}

let started = 0

/** A file in the run's log folder for this process's output (stdout and stderr as they come). */
function logFileFor(command: string): string | null {
  const dir = process.env[TEST_LOG_DIR_ENV]
  if (!dir) return null
  started += 1
  const name = command.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)
  return path.join(dir, `${process.pid}-${started}-${name}.log`)
}

/** Run a shell command line the way a Procfile runner does (`sh -c`, exec'd so signals reach node). */
export function startCommand(command: string, env: Record<string, string>): RunningProcess {
  recordSecretsOf(env)
  const logFile = logFileFor(command)
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const take = (d: Buffer): void => {
    out += String(d)
    if (logFile) appendFileSync(logFile, d)
  }
  child.stdout?.on('data', take)
  child.stderr?.on('data', take)
  let signalledAt = Date.now()
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - signalledAt }))
  })
  const running = (): boolean => child.exitCode === null && child.signalCode === null
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> => {
    signalledAt = Date.now()
    if (running()) child.kill(signal)
    return exited
  }
  return {
    child,
    output: () => out,
    exited,
    stop,
    async end(graceMs = 15_000) {
      if (!running()) return exited
      const timer = setTimeout(() => void stop('SIGKILL'), graceMs)
      try {
        return await stop('SIGTERM')
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/**
 * The URL a process says it listens on, from its own log line (pino JSON with `url`), for
 * processes started on port 0: picking a free port and handing it over leaves a moment in
 * which another process can take it. Fails at once if the process exits first.
 */
export async function loggedUrl(p: RunningProcess, msg: string, timeoutMs: number): Promise<string> {
  const found = (): string | undefined => {
    for (const line of p.output().split('\n')) {
      if (!line.includes(msg)) continue
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string }
        if (entry.msg === msg && entry.url) return entry.url
      } catch {
        // not a log line
      }
    }
    return undefined
  }
  const exitedFirst = p.exited.then((e) => {
    throw new Error(`exited (${e.signal ?? e.code}) before logging "${msg}":\n${p.output().slice(-3000)}`)
  })
  exitedFirst.catch(() => undefined)
  return Promise.race([waitFor(`"${msg}" in the log`, timeoutMs, async () => found()), exitedFirst])
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
  await res.arrayBuffer()
  return res.status
}
