import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

// A private redis-server on a free port with a temporary directory, nothing kept on disk unless
// asked (`appendfsync`: AOF in that directory, for "Redis restarts" tests): tests (one per file),
// benchmarks and the demo never flush or pollute a Redis they did not start.

export interface PrivateRedis {
  port: number
  /** its temporary working directory */
  dir: string
  url: string
  /** Stop the server (SIGTERM, or SIGKILL for a crash) and wait for it to exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Start it again on the same port and directory (for "Redis comes back" tests; with AOF, with its data). */
  restart(): Promise<void>
}

const INSTALL_HINT = 'redis-server not found: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)'

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** What redis-server printed last (kept short), for the error when it does not start. */
function tail(text: string): string {
  return text.trim().split('\n').slice(-5).join('\n')
}

/**
 * Start redis-server on `port` and resolve once it says it accepts connections; resolve
 * `'port-taken'` if it could not bind the port. Readiness is read from this child's own log,
 * never by connecting to the port: a port taken by someone else would answer too, and the
 * tests would talk to a server they did not start.
 */
function spawnRedis(port: number, dir: string, detached: boolean, timeoutMs: number, appendfsync?: AppendFsync): Promise<ChildProcess | 'port-taken'> {
  return new Promise((resolve, reject) => {
    const aof = appendfsync ? ['--appendonly', 'yes', '--appendfsync', appendfsync] : ['--appendonly', 'no']
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...aof, '--daemonize', 'no', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'], detached }
    )
    let out = ''
    let settled = false
    const settle = (fn: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      fn()
    }
    const onData = (d: Buffer): void => {
      // Only until it is up: afterwards the output is still drained (a full pipe would block
      // the server) but not kept.
      if (settled) return
      out += String(d)
      if (/Ready to accept connections/.test(out)) settle(() => resolve(child))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (err) => settle(() => reject(err)))
    child.once('exit', (code, signal) =>
      settle(() =>
        /Address already in use/.test(out)
          ? resolve('port-taken')
          : reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before it was ready:\n${tail(out)}`))
      )
    )
    const timer = setTimeout(
      () =>
        settle(() => {
          child.kill('SIGKILL')
          reject(new Error(`redis-server on port ${port} was not ready within ${timeoutMs} ms:\n${tail(out)}`))
        }),
      timeoutMs
    )
  })
}

// A test that crashes must not leave servers behind: one exit handler for all of them.
const cleanups = new Set<() => void>()
process.once('exit', () => {
  for (const cleanup of cleanups) cleanup()
})

export type AppendFsync = 'always' | 'everysec' | 'no'

/**
 * `ownProcessGroup`: for a long-running parent (the demo) whose Ctrl-C signals the whole
 * foreground group: Redis must outlive the service processes it stops first.
 * `appendfsync`: persist with AOF (appendonly yes) and this fsync policy; a restart loads it.
 */
export async function startPrivateRedis(opts: { ownProcessGroup?: boolean; appendfsync?: AppendFsync } = {}): Promise<PrivateRedis> {
  if (!redisServerAvailable()) throw new Error(INSTALL_HINT)
  const dir = mkdtempSync(path.join(tmpdir(), 'calstatus-redis-'))
  const detached = opts.ownProcessGroup ?? false
  let child: ChildProcess | null = null

  // freePort() releases the port before redis-server binds it, so another process can take it
  // in between: then redis-server says so and exits, and we try again with another port.
  let port = 0
  for (let attempt = 1; child === null; attempt++) {
    port = await freePort()
    const started = await spawnRedis(port, dir, detached, 10_000, opts.appendfsync)
    if (started !== 'port-taken') child = started
    else if (attempt >= 10) throw new Error(`redis-server: 10 free ports in a row were taken before it could bind them (last ${port})`)
  }

  // After a stop() the port is free for anyone: a restart cannot move (clients hold the URL),
  // so it waits a little for the port to come back and fails clearly if it does not.
  const restart = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const started = await spawnRedis(port, dir, detached, 10_000, opts.appendfsync)
      if (started !== 'port-taken') {
        child = started
        return
      }
      if (attempt >= 20) throw new Error(`redis-server: port ${port} was taken by another process while this Redis was stopped`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const running = child
    child = null
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill(signal)
    })
  }

  cleanups.add(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  return { port, dir, url: `redis://127.0.0.1:${port}`, stop, restart }
}
