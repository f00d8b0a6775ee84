import { ConfigError, type LoadedConfig } from '../../config'
import type { SetupCheck } from './setup-check'

// The configuration line of `npm run doctor`: the environment as the processes read it
// (src/config.ts). The admin page has no such line: its process started, so its configuration loaded.

const DOCS = 'Every variable is described in docs/configuration.md.'

const line = (finding: Pick<SetupCheck, 'state' | 'detail'> & Partial<Pick<SetupCheck, 'fix'>>): SetupCheck => ({
  id: 'config',
  group: 'configuration',
  title: 'Configuration',
  ...finding
})

/** The variable that stops the processes from starting, in the words they print, and where to look. */
export function configErrorCheck(err: ConfigError): SetupCheck {
  return line({
    state: 'fail',
    detail: `the web and worker processes would not start: ${err.message}`,
    fix: `Correct ${err.variable} where the processes get their environment (env file, platform settings). ${DOCS}`
  })
}

/**
 * A configuration that loaded: ok, or warn with what start-up logs as warnings; fail without
 * Microsoft 365 and Mattermost, as the web and worker processes refuse to start then.
 */
export function loadedConfigCheck(loaded: LoadedConfig): SetupCheck {
  if (!loaded.config.microsoft || !loaded.config.mattermost) {
    return configErrorCheck(new ConfigError('MS_TENANT_ID', 'is required: the Entra tenant id (with MS_CLIENT_ID, MS_CLIENT_SECRET, MM_URL and MM_BOT_TOKEN)'))
  }
  if (loaded.warnings.length > 0) return line({ state: 'warn', detail: loaded.warnings.join('; '), fix: DOCS })
  return line({ state: 'ok', detail: 'the environment loads as the web and worker processes read it' })
}
