// The service's processes as the Procfile runs them (node dist/src/main/web.js and worker.js),
// for the end-to-end benchmarks (bench/freshness.ts, bench/burst.ts): each one's output tail
// kept for error reports, all SIGKILLed if the benchmark process exits.
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { childProcesses, outputTail } from './_shared'

const ROOT = path.resolve(__dirname, '..', '..')

export interface Proc {
  name: string
  child: ChildProcess
  output(): string
  exited(): boolean
  /** SIGTERM, then SIGKILL after 15 s */
  stop(): Promise<void>
}

export function serviceProcesses(): { start(name: string, entry: 'web.js' | 'worker.js', env: Record<string, string>): Proc } {
  const children = childProcesses()
  return {
    start(name, entry, env) {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main', entry)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      children.track(child)
      return {
        name,
        child,
        output: outputTail(child),
        exited: () => child.exitCode !== null || child.signalCode !== null,
        stop: () => children.stop(child, () => child.kill('SIGTERM'), 15_000)
      }
    }
  }
}

/**
 * The environment both end-to-end benchmarks start the service with: the simulators' variables,
 * a private Redis, the web on `port` of 127.0.0.1, warnings only; `extra` names what differs.
 */
export function serviceEnv(
  base: { simsEnv: Record<string, string>; redisUrl: string; port: number; prefix: string },
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    ...base.simsEnv,
    REDIS_URL: base.redisUrl,
    PORT: String(base.port),
    HOST: '127.0.0.1',
    QUEUE_PREFIX: base.prefix,
    LOG_LEVEL: 'warn',
    ...extra
  }
}
