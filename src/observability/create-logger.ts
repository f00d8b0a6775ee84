import { pino, type Logger, type DestinationStream } from 'pino'
import type { LogLevel } from '../config'
import { scrubError, scrubText, scrubValue } from './scrub-secrets'

// Secrets never reach the logs (docs/architecture.md#secrets-in-logs): the config is logged
// through describeConfig, these paths catch the known places a secret could sit (request
// headers, our own fields), and every logged object, error and message is scrubbed of URL
// credentials, bearer tokens and secret-named fields, whatever library it came from.
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
      base: { pid: process.pid, process: opts.name },
      serializers: { err: scrubError },
      formatters: { log: (object) => scrubValue(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed: unknown[] = args.map((a: unknown) => (typeof a === 'string' ? scrubText(a) : a))
          // log.error(err) takes its message from the error, past the string scrub above.
          if (args[0] instanceof Error && args.length === 1) scrubbed.push(scrubText(args[0].message))
          method.apply(this, scrubbed as Parameters<typeof method>)
        }
      }
    },
    destination
  )
}
