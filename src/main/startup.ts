import type { Logger } from 'pino'
import { ConfigError, loadConfig, describeConfig, type Config, type Env } from '../config'
import { createLogger } from '../observability/create-logger'
import { toError } from '../shared/to-error'

/**
 * Parse the environment once. A bad or missing variable ends the process with exit code 1
 * and one line naming the variable and what is expected: no stack trace, no JSON.
 */
export function loadConfigOrExit(env: Env, processName: string, opts: { requireIntegrations: boolean }): { config: Config; log: Logger } {
  let loaded
  try {
    loaded = loadConfig(env)
    if (opts.requireIntegrations && !loaded.config.microsoft) {
      throw new ConfigError(
        'MS_TENANT_ID',
        'is required: the Entra tenant id (with MS_CLIENT_ID, MS_CLIENT_SECRET, MM_URL and MM_BOT_TOKEN); see README "Configuration"'
      )
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`calstatus ${processName}: configuration error: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const log = createLogger({ level: loaded.config.logLevel, name: processName })
  for (const warning of loaded.warnings) log.warn(warning)
  log.info({ config: describeConfig(loaded.config) }, 'configuration loaded')
  return { config: loaded.config, log }
}

/**
 * SIGTERM and SIGINT: run `stop` once (stop taking work, finish what is active, close
 * connections), then exit 0. A second signal while stopping exits at once with 1.
 */
export function exitOnSignals(log: Logger, stop: (signal: string) => Promise<void>): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal while stopping: exiting now')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'stopping')
    stop(signal).then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping')
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
  // Started by a supervisor over an IPC channel (the demo does): if it goes away, even killed
  // outright, stop as on SIGTERM instead of living on as an orphan.
  if (process.send) process.on('disconnect', () => handler('SIGTERM'))
  // A bug that throws outside any request or job: log it and let the supervisor restart us.
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception')
    process.exit(1)
  })
  // A stray rejected promise is a bug to fix, not a reason to drop every active job.
  process.on('unhandledRejection', (reason) => log.error({ err: toError(reason) }, 'unhandled promise rejection'))
}

/** Resolve within `ms` or reject: shutdown steps must not hang on a dead connection. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
