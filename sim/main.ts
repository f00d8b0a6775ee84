// `npm run sim`: the three simulators as one process, printing their URLs and the environment
// that points the service at them. Stop with Ctrl-C.
import { startSimulators } from './index'

async function main(): Promise<void> {
  const sims = await startSimulators({
    mattermost: { config: { allowedUntrustedInternalConnections: ['127.0.0.1'] } }
  })
  const lines = [
    'calstatus simulators',
    `  identity:   ${sims.identity.url}`,
    `  graph:      ${sims.graph.url}/v1.0`,
    `  mattermost: ${sims.mattermost.url}  (driver: ${sims.mattermost.url}/_sim/...)`,
    '',
    'environment for the service (the CA is test-only):',
    ...Object.entries(sims.env).map(([k, v]) => `export ${k}='${v}'`)
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  const stop = (): void => {
    void sims.stop().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  process.stderr.write(`calstatus sim: ${(err as Error).message}\n`)
  process.exit(1)
})
