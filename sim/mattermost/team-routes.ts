import { invalidUrlParam, permissionError } from './app-error'
import { goParseBool } from './go-json'
import { isValidId } from './ids'
import type { SimCommand, SimTeam } from './messaging'
import { defineRoute, type ApiRoute } from './route-table'
import { pageParams } from './users-routes'

// api4/team.go getAllTeams and api4/command.go listCommands: how a setup check finds the slash
// command that carries MM_COMMAND_TOKEN. The simulator has one open team that everyone is in
// (bots too), so every session has view_team on it; listing custom commands needs
// manage_own_slash_commands, and seeing other people's needs manage_others_slash_commands
// (system admins only here).

/** model.Team as the server sends it. policy_id (null without a retention policy) is left out: the spec types it string, not nullable. */
function teamJson(team: SimTeam, sanitized: boolean): Record<string, unknown> {
  return {
    id: team.id,
    create_at: 0,
    update_at: 0,
    delete_at: 0,
    display_name: team.display_name,
    name: team.name,
    description: '',
    // Team.Sanitize for a session without manage_team: no e-mail, no invite id.
    email: sanitized ? '' : `${team.name}@example.com`,
    type: 'O',
    company_name: '',
    allowed_domains: '',
    invite_id: sanitized ? '' : `invite${team.id.slice(0, 20)}`,
    allow_open_invite: false,
    scheme_id: '',
    group_constrained: false
  }
}

/** model.Command; Sanitize (autocomplete lists for people who may not manage commands) empties the token, URL, method and creator. */
function commandJson(c: SimCommand, sanitized: boolean): Record<string, unknown> {
  return {
    id: c.id,
    token: sanitized ? '' : c.token,
    create_at: c.create_at,
    update_at: c.create_at,
    delete_at: 0,
    creator_id: sanitized ? '' : c.creator_id,
    team_id: c.team_id,
    trigger: c.trigger,
    method: sanitized ? '' : c.method,
    username: '',
    icon_url: '',
    auto_complete: false,
    auto_complete_desc: '',
    auto_complete_hint: '',
    display_name: '',
    description: '',
    url: sanitized ? '' : c.url
  }
}

export function teamRoutes(): ApiRoute[] {
  return [
    // Open teams with list_public_teams, private ones with list_private_teams, none without
    // either; include_total_count wraps them as {teams, total_count}.
    defineRoute('GET', '/api/v4/teams', {}, (req, sim) => {
      const { page, perPage } = pageParams(req.query)
      const listPublic = sim.users.hasPermission(req.session.id, 'list_public_teams')
      const admin = sim.users.hasPermission(req.session.id, 'manage_system')
      // The one team is open: list_public_teams (or list_private_teams with it) shows it.
      const all = listPublic || sim.users.hasPermission(req.session.id, 'list_private_teams') ? [sim.messaging.team] : []
      const teams = all.slice(page * perPage, (page + 1) * perPage).map((t) => teamJson(t, !admin))
      if (goParseBool(req.query.get('include_total_count') ?? '') === true) return { status: 200, json: { teams, total_count: all.length } }
      return { status: 200, json: teams }
    }),

    defineRoute('GET', '/api/v4/commands', {}, (req, sim) => {
      const teamId = req.query.get('team_id') ?? ''
      if (teamId === '') throw invalidUrlParam('team_id')
      if (!isValidId(teamId)) throw invalidUrlParam('team_id')
      const customOnly = goParseBool(req.query.get('custom_only') ?? '') === true
      const can = (p: 'manage_own_slash_commands' | 'manage_others_slash_commands'): boolean => sim.users.hasPermission(req.session.id, p)
      // view_team: everyone is in the one team; another team id is seen only by system admins (and is empty).
      if (teamId !== sim.messaging.team.id && !sim.users.hasPermission(req.session.id, 'manage_system')) throw permissionError('view_team')
      const inTeam = [...sim.messaging.commands.values()].filter((c) => c.team_id === teamId)
      if (customOnly) {
        if (!can('manage_own_slash_commands')) throw permissionError('manage_own_slash_commands')
        const mine = can('manage_others_slash_commands') ? inTeam : inTeam.filter((c) => c.creator_id === req.session.id)
        return { status: 200, json: mine.map((c) => commandJson(c, false)) }
      }
      // Without the permission: the autocomplete commands, sanitized (no system commands are modelled).
      return { status: 200, json: inTeam.map((c) => commandJson(c, !can('manage_own_slash_commands'))) }
    })
  ]
}
