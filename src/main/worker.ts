// `worker:` process (Procfile): sweeps, per-user syncs, wake-ups, subscription upkeep.
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWorker } from './start-worker'

const { config, log } = loadConfigOrExit(process.env, 'worker', { requireIntegrations: true })
startWorker(config, log).then(
  (worker) => exitOnSignals(log, () => worker.stop()),
  (err: unknown) => {
    log.fatal({ err }, 'worker failed to start')
    process.exit(1)
  }
)
