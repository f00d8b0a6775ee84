// `web:` process (Procfile): Graph notifications, slash command, admin pages, health, metrics.
import { exitOnSignals, loadConfigOrExit } from './startup'
import { startWeb } from './start-web'

const { config, log } = loadConfigOrExit(process.env, 'web', { requireIntegrations: true })
const starting = startWeb(config, log)
// Handlers from the first moment: a SIGTERM while starting waits for the start, then stops cleanly.
exitOnSignals(log, async () => (await starting).stop())
starting.catch((err: unknown) => {
  log.fatal({ err }, 'web failed to start')
  process.exit(1)
})
