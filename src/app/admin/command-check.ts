import type { Config } from '../../config'
import type { MattermostAdapter } from '../../mattermost/create-mattermost-adapter'
import type { Finding } from './setup-check'

// The /calstatus line: MM_COMMAND_TOKEN must be the token of a slash command Mattermost has,
// and that command must POST to PUBLIC_URL/mattermost/command (docs/mattermost.md#custom-slash-commands).
// Mattermost lists a team's custom commands, tokens included, to whoever may manage them
// (manage_own_slash_commands, and manage_others_slash_commands for other people's): a system
// admin bot sees them all; for another bot, not finding the command is no answer, and the line says so.

/** Teams looked at: a site with more has its command found among the first few hundred anyway, or is told it was not. */
const MAX_TEAMS = 200

interface Team {
  id: string
  name: string
}

interface Command {
  token: string
  trigger: string
  url: string
  method: string
}

type Mattermost = Pick<MattermostAdapter, 'http'>

const trimmed = (url: string): string => url.replace(/\/+$/, '')

function registerFix(config: Pick<Config, 'publicUrl'>): string {
  const url = config.publicUrl ? `${trimmed(config.publicUrl)}/mattermost/command` : 'PUBLIC_URL/mattermost/command'
  return `In Mattermost: Integrations > Slash Commands: the calstatus command (or Add one: trigger word calstatus, Request URL ${url}, method POST). Put the token it shows in MM_COMMAND_TOKEN.`
}

/** The custom commands of each team the bot sees, or the teams it may not list them in. */
async function commandsByTeam(mm: Mattermost): Promise<{ found: Array<{ team: Team; commands: Command[] }>; refused: Team[] }> {
  const base = mm.http.client4
  const teams = await mm.http.call<Team[]>({ method: 'GET', url: `${base.getTeamsRoute()}?per_page=${MAX_TEAMS}`, route: 'GET /teams' })
  const found: Array<{ team: Team; commands: Command[] }> = []
  const refused: Team[] = []
  for (const team of teams.body) {
    const res = await mm.http.call<Command[]>({
      method: 'GET',
      url: `${base.getCommandsRoute()}?team_id=${encodeURIComponent(team.id)}&custom_only=true`,
      route: 'GET /commands',
      accept: [403]
    })
    if (res.status === 403) refused.push(team)
    else found.push({ team, commands: res.body })
  }
  return { found, refused }
}

/** Whether Mattermost has the command MM_COMMAND_TOKEN belongs to, and where it sends it. Never shows a token. */
export async function commandFinding(
  mm: Mattermost,
  config: Pick<Config, 'publicUrl'> & { commandToken: string },
  /** the bot is a system admin: it sees every team and every command, so not finding one is an answer */
  seesAll: boolean
): Promise<Finding> {
  const { found, refused } = await commandsByTeam(mm)
  for (const { team, commands } of found) {
    const command = commands.find((c) => c.token === config.commandToken)
    if (!command) continue
    const where = `/${command.trigger} (team ${team.name})`
    const expected = config.publicUrl ? `${trimmed(config.publicUrl)}/mattermost/command` : null
    if (command.method !== 'P') {
      return {
        state: 'fail',
        detail: `${where} carries MM_COMMAND_TOKEN but is sent with GET; calstatus answers POST`,
        fix: 'Edit the command in Mattermost (Integrations > Slash Commands): Request Method POST.'
      }
    }
    if (expected && trimmed(command.url) !== expected) {
      return {
        state: 'fail',
        detail: `${where} carries MM_COMMAND_TOKEN but posts to ${command.url}, not ${expected}`,
        fix: `Edit the command in Mattermost (Integrations > Slash Commands): Request URL ${expected}.`
      }
    }
    return { state: 'ok', detail: `${where} carries MM_COMMAND_TOKEN and posts to ${command.url}` }
  }
  if (!seesAll || refused.length > 0) {
    return {
      state: 'warn',
      detail: `MM_COMMAND_TOKEN is set, but no command the bot may see carries it (${found.length} team(s) looked at, ${refused.length} refused): a bot that is not a system admin sees only some teams and commands`,
      fix: `Check by hand: ${registerFix(config)}`
    }
  }
  const teams = found.length === 0 ? 'there is no team' : `no slash command in the ${found.length} team(s) carries it`
  return { state: 'fail', detail: `MM_COMMAND_TOKEN does not match a Mattermost slash command: ${teams}`, fix: registerFix(config) }
}
