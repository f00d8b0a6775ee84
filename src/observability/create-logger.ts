import { pino, type Logger, type DestinationStream } from 'pino'
import type { LogLevel } from '../config'

// Secrets never reach the logs: the config is logged through describeConfig, and these paths
// catch the places where a secret could slip into a log line (request headers, error details).
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-mattermost-token"]',
  '*.clientSecret',
  '*.client_secret',
  '*.botToken',
  '*.commandToken',
  '*.password',
  '*.clientState',
  '*.token',
  '*.accessToken',
  '*.access_token'
]

export function createLogger(opts: { level: LogLevel; name: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid, process: opts.name }
    },
    destination
  )
}
