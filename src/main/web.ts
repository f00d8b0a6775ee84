// `web:` process (Procfile): Graph notifications, slash command, admin pages, health, metrics.
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWeb } from './start-web'

const { config, log } = loadConfigOrExit(process.env, 'web', { requireIntegrations: true })
startWeb(config, log).then(
  (web) => exitOnSignals(log, () => web.stop()),
  (err: unknown) => {
    log.fatal({ err }, 'web failed to start')
    process.exit(1)
  }
)
