// `worker:` process (Procfile): sweeps, per-user syncs, wake-ups, subscription upkeep.
import { MattermostAuthError } from '../mattermost/errors'
import { applyHeapPolicy } from './heap-policy'
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWorker } from './start-worker'

applyHeapPolicy()

const { config, log } = loadConfigOrExit(process.env, 'worker', { requireIntegrations: true })
const starting = startWorker(config, log)
// Handlers from the first moment: a SIGTERM while starting (connections, the token check,
// schedules) waits for the start, then stops cleanly, instead of killing the process mid-way.
exitOnSignals(log, async () => (await starting).stop())
starting.catch((err: unknown) => {
  // A configuration problem found at start-up (a refused token): one line, no stack.
  if (err instanceof MattermostAuthError) process.stderr.write(`calstatus worker: ${err.message}\n`)
  log.fatal({ err }, 'worker failed to start')
  process.exit(1)
})
