// `npm start`: web and worker in one process, for small sites.
import { loadConfig } from '../config'
import { MattermostAuthError } from '../mattermost/errors'
import { applyHeapPolicy } from './heap-policy'
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWeb } from './start-web'
import { startWorker } from './start-worker'

const NOTHING_CONFIGURED = `calstatus: Microsoft 365 and Mattermost are not configured, so this is the demo against simulators.
To run for real, set these environment variables (README, "Configuration") and run npm start again:
  MS_TENANT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET   the Entra app registration (application permissions, admin consent)
  MM_URL, MM_BOT_TOKEN                           the Mattermost site and a bot allowed to edit other users
  PUBLIC_URL                                     https URL Graph can reach, for near-real-time updates
  REDIS_URL                                      Redis (default redis://127.0.0.1:6379)
`

function nothingConfigured(): boolean {
  try {
    const { config } = loadConfig(process.env)
    return config.microsoft === null && config.mattermost === null
  } catch {
    return false // a real configuration error: loadConfigOrExit reports it below
  }
}

if (nothingConfigured()) {
  // The demo: the same web and worker against the simulators (README "Try it").
  process.stdout.write(NOTHING_CONFIGURED)
  require('./demo')
} else {
  start()
}

function start(): void {
  const { config, log } = loadConfigOrExit(process.env, 'all', { requireIntegrations: true })
  applyHeapPolicy()
  const starting = Promise.all([startWeb(config, log), startWorker(config, log)])
  // Handlers from the first moment: a signal while starting waits for the start, then stops.
  exitOnSignals(log, async () => {
    const [web, worker] = await starting
    await Promise.all([web.stop(), worker.stop()])
  })
  starting.catch((err: unknown) => {
    // A configuration problem found at start-up (a refused token): one line, no stack.
    if (err instanceof MattermostAuthError) process.stderr.write(`calstatus all: ${err.message}\n`)
    log.fatal({ err }, 'failed to start')
    process.exit(1)
  })
}
