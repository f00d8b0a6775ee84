#!/usr/bin/env node
// `npm start` (after the build): the service, web and worker in one process
// (dist/src/main/all.js); or, when neither Microsoft 365 nor Mattermost is configured, the demo
// against the simulators (dist/demo/main.js). The choice is made here so that production code
// never imports the demo or the simulators.
'use strict'
const path = require('node:path')

const dist = path.resolve(__dirname, '..', 'dist')
const { loadConfig } = require(path.join(dist, 'src', 'config.js'))

const NOTHING_CONFIGURED = `calstatus: Microsoft 365 and Mattermost are not configured, so this is the demo against simulators.
To run for real, set these environment variables (README, "Configuration") and run npm start again:
  MS_TENANT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET   the Entra app registration (application permissions, admin consent)
  MM_URL, MM_BOT_TOKEN                           the Mattermost site and a bot allowed to edit other users
  PUBLIC_URL                                     https URL Graph can reach, for near-real-time updates
  MM_COMMAND_TOKEN                               the /calstatus slash command's token (README, "The /calstatus command")
  REDIS_URL                                      Redis (default redis://127.0.0.1:6379)
`

function nothingConfigured() {
  try {
    const { config } = loadConfig(process.env)
    return config.microsoft === null && config.mattermost === null
  } catch {
    return false // a real configuration error: the service reports it, one line naming the variable
  }
}

if (nothingConfigured()) {
  process.stdout.write(NOTHING_CONFIGURED)
  require(path.join(dist, 'demo', 'main.js'))
} else {
  require(path.join(dist, 'src', 'main', 'all.js'))
}
