import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

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

export interface RunningProcess {
  child: ChildProcess
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>
  /** Send a signal and resolve with how the process exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>
}

/** A minimal environment, so nothing of the test runner's own environment leaks in. */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', ...extra }
}

/** Run a shell command line the way a Procfile runner does (`sh -c`, exec'd so signals reach node). */
export function startCommand(command: string, env: Record<string, string>): RunningProcess {
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d) => (out += String(d)))
  child.stderr?.on('data', (d) => (out += String(d)))
  let signalledAt = Date.now()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - signalledAt }))
  })
  return {
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      signalledAt = Date.now()
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    }
  }
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
