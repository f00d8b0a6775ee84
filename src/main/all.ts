// `npm start` with configuration (scripts/start.js): web and worker in one process, for small sites.
import { MattermostAuthError } from '../mattermost/errors'
import { applyHeapPolicy } from './heap-policy'
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWeb } from './start-web'
import { startWorker } from './start-worker'

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
