import type { Config } from '../../config'
import type { MattermostAdapter } from '../../mattermost/create-mattermost-adapter'
import { commandFinding } from './command-check'
import { skipped, type CheckSpec, type Finding } from './setup-check'

// Mattermost: the bot, its permission to change other people's statuses, custom statuses, the
// slash command (command-check.ts), and PUBLIC_URL for buttons (docs/mattermost.md).

const NOT_CONFIGURED = 'Set MM_URL and MM_BOT_TOKEN.'
const BOT_ROLE_FIX =
  'In Mattermost: System Console > Integrations > Bot Accounts > the calstatus bot > Edit > Role: System Admin (or give it a role with "Edit other users").'

interface Role {
  name: string
  permissions: string[]
}

export interface MattermostCheckDeps {
  config: Pick<Config, 'publicUrl' | 'mattermost'>
  mattermost: Pick<MattermostAdapter, 'me' | 'http'> | null
}

async function permissionFinding(mm: NonNullable<MattermostCheckDeps['mattermost']>, me: { username: string; roles: string[] }): Promise<Finding> {
  // The roles' permissions, as the server resolves them (its permission scheme may differ from the defaults).
  const res = await mm.http.call<Role[]>({ method: 'POST', url: `${mm.http.client4.getRolesRoute()}/names`, route: 'POST /roles/names', body: me.roles })
  const granting = (p: string): string[] => res.body.filter((r) => r.permissions.includes(p)).map((r) => r.name)
  const admin = granting('manage_system')
  if (admin.length > 0) return { state: 'ok', detail: `@${me.username} may change everyone's status (${admin.join(', ')})` }
  const edit = granting('edit_other_users')
  if (edit.length > 0) {
    return { state: 'ok', detail: `@${me.username} may change other people's statuses (${edit.join(', ')}); system admins' statuses are left alone` }
  }
  return { state: 'fail', detail: `@${me.username} (roles: ${me.roles.join(', ') || 'none'}) may not change other people's statuses`, fix: BOT_ROLE_FIX }
}

export function mattermostChecks(deps: MattermostCheckDeps): CheckSpec[] {
  const mm = deps.mattermost
  let me: ReturnType<MattermostAdapter['me']> | null = null
  const getMe = (): ReturnType<MattermostAdapter['me']> => (me ??= mm!.me())
  const spec = (id: string, title: string, run: () => Promise<Finding>): CheckSpec => ({
    id,
    group: 'mattermost',
    title,
    run: mm ? run : async () => skipped('Mattermost is not configured', NOT_CONFIGURED)
  })
  return [
    spec('mm-bot', 'Bot account', async () => {
      try {
        const bot = await getMe()
        if (bot.isBot) return { state: 'ok', detail: `signed in as the bot @${bot.username}` }
        return {
          state: 'warn',
          detail: `MM_BOT_TOKEN belongs to @${bot.username}, a person, not a bot`,
          fix: 'Create a bot (System Console > Integrations > Bot Accounts) and put its token in MM_BOT_TOKEN.'
        }
      } catch (err) {
        return { state: 'fail', detail: (err as Error).message, fix: 'Check MM_URL, and that MM_BOT_TOKEN is a valid bot access token.' }
      }
    }),
    spec('mm-permissions', 'Permission to change statuses', async () => {
      const bot = await getMe().catch(() => null)
      if (!bot) return skipped('the bot could not sign in (see Bot account)')
      return permissionFinding(mm!, bot)
    }),
    spec('mm-custom-status', 'Custom statuses', async () => {
      if (!(await getMe().catch(() => null))) return skipped('the bot could not sign in (see Bot account)')
      const res = await mm!.http.call<Record<string, string>>({
        method: 'GET',
        url: `${mm!.http.client4.getBaseRoute()}/config/client?format=old`,
        route: 'GET /config/client'
      })
      const enabled = res.body['EnableCustomUserStatuses']
      if (enabled === 'true') return { state: 'ok', detail: 'enabled: meetings can show as a custom status' }
      if (enabled === 'false') {
        return {
          state: 'warn',
          detail: 'custom statuses are off: statuses still follow calendars, without the meeting shown',
          fix: 'In Mattermost: System Console > Site Configuration > Users and Teams > Enable Custom Statuses: True.'
        }
      }
      return { state: 'warn', detail: 'Mattermost did not say whether custom statuses are enabled' }
    }),
    spec('mm-command', 'Slash command /calstatus', async () => {
      const commandToken = deps.config.mattermost?.commandToken
      if (commandToken) {
        const bot = await getMe().catch(() => null)
        if (!bot) return skipped('MM_COMMAND_TOKEN is set; the bot could not sign in to look the command up (see Bot account)')
        return commandFinding(mm!, { publicUrl: deps.config.publicUrl, commandToken }, bot.roles.includes('system_admin'))
      }
      const url = deps.config.publicUrl ? `${deps.config.publicUrl}/mattermost/command` : 'PUBLIC_URL/mattermost/command'
      return {
        state: 'warn',
        detail: 'MM_COMMAND_TOKEN is not set: /calstatus does not work',
        fix: `In Mattermost: Integrations > Slash Commands > Add: trigger word calstatus, Request URL ${url}, method POST. Put the token it shows in MM_COMMAND_TOKEN.`
      }
    }),
    spec('mm-public-url', 'Buttons in messages', async () => {
      if (deps.config.publicUrl) return { state: 'ok', detail: `buttons post back to ${deps.config.publicUrl}/mattermost/actions` }
      return {
        state: 'warn',
        detail: 'PUBLIC_URL is not set: messages carry no buttons, so "Ask first" is off',
        fix: 'Set PUBLIC_URL to the https address Mattermost and Microsoft reach this service at.'
      }
    })
  ]
}
