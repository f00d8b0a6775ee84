import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

// A private redis-server on a free port with a temporary directory, nothing kept on disk:
// tests (one per file), benchmarks and the demo never flush or pollute a Redis they did not start.

export interface PrivateRedis {
  port: number
  /** its temporary working directory */
  dir: string
  url: string
  /** Stop the server (SIGTERM) and wait for it to exit. */
  stop(): Promise<void>
  /** Start it again on the same port (for "Redis comes back" tests). */
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

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.end()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

// A test that crashes must not leave servers behind: one exit handler for all of them.
const cleanups = new Set<() => void>()
process.once('exit', () => {
  for (const cleanup of cleanups) cleanup()
})

/**
 * `ownProcessGroup`: for a long-running parent (the demo) whose Ctrl-C signals the whole
 * foreground group: Redis must outlive the service processes it stops first.
 */
export async function startPrivateRedis(opts: { ownProcessGroup?: boolean } = {}): Promise<PrivateRedis> {
  if (!redisServerAvailable()) throw new Error(INSTALL_HINT)
  const dir = mkdtempSync(path.join(tmpdir(), 'calstatus-redis-'))
  const port = await freePort()
  let child: ChildProcess | null = null

  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore', detached: opts.ownProcessGroup ?? false }
    )
    await waitForPort(port, 5000)
  }
  const stop = async (): Promise<void> => {
    const running = child
    child = null
    if (!running || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill('SIGTERM')
    })
  }

  await start()
  cleanups.add(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  return { port, dir, url: `redis://127.0.0.1:${port}`, stop, restart: start }
}
