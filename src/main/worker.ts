// `worker:` process (Procfile): sweeps, per-user syncs, wake-ups, subscription upkeep.
import { MattermostAuthError } from '../mattermost/errors'
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWorker } from './start-worker'

const { config, log } = loadConfigOrExit(process.env, 'worker', { requireIntegrations: true })
startWorker(config, log).then(
  (worker) => exitOnSignals(log, () => worker.stop()),
  (err: unknown) => {
    // A configuration problem found at start-up (a refused token): one line, no stack.
    if (err instanceof MattermostAuthError) process.stderr.write(`calstatus worker: ${err.message}\n`)
    log.fatal({ err }, 'worker failed to start')
    process.exit(1)
  }
)
