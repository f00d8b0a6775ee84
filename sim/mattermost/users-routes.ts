import { isSystemAdminSession, requireUserId } from './access'
import { AppError, invalidBodyParam, invalidUrlParam, userNotFound } from './app-error'
import { decodeOr400, decodeStringArray } from './go-decode'
import { goParseBool, goParseInt } from './go-json'
import { defineRoute, shuffled, type ApiRequest, type ApiRoute, type SimModel } from './route-table'
import { splitRoles } from './roles'
import type { SimUser } from './user-directory'
import { userJson } from './user-json'

// api4/user.go: the read routes the service uses.

const PER_PAGE_DEFAULT = 60
const PER_PAGE_MAX = 200

/** web/params.go: an unparsable or negative page/per_page falls back to the default; per_page is capped. */
export function pageParams(query: URLSearchParams): { page: number; perPage: number } {
  const page = goParseInt(query.get('page') ?? '')
  const perPage = goParseInt(query.get('per_page') ?? '')
  return {
    page: page === undefined || page < 0 ? 0 : page,
    perPage: perPage === undefined || perPage < 0 ? PER_PAGE_DEFAULT : Math.min(perPage, PER_PAGE_MAX)
  }
}

function render(sim: SimModel, req: ApiRequest, user: SimUser): Record<string, unknown> {
  return userJson(user, { id: req.session.id, isAdmin: isSystemAdminSession(sim, req.session) }, sim.config)
}

export function usersRoutes(): ApiRoute[] {
  return [
    // getUsers without team/channel filters: every user, bots and deactivated ones included,
    // sorted by username; active and inactive together are a 400. Team, channel and group
    // filters are not modelled (the simulator has one team that everyone is in).
    defineRoute('GET', '/api/v4/users', {}, (req, sim) => {
      const { page, perPage } = pageParams(req.query)
      const active = goParseBool(req.query.get('active') ?? '') === true
      const inactive = goParseBool(req.query.get('inactive') ?? '') === true
      if (active && inactive) throw invalidUrlParam('inactive')
      const role = req.query.get('role') ?? ''
      const roles = (req.query.get('roles') ?? '').split(',').filter((r) => r !== '')
      const list = [...sim.users.users.values()]
        .filter((u) => (active ? u.delete_at === 0 : true) && (inactive ? u.delete_at > 0 : true))
        .filter((u) => (role ? splitRoles(u.roles).includes(role) : true))
        .filter((u) => (roles.length > 0 ? splitRoles(u.roles).some((r) => roles.includes(r)) : true))
        .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      return { status: 200, json: list.slice(page * perPage, page * perPage + perPage).map((u) => render(sim, req, u)) }
    }),

    // getUsersByIds: unknown ids are left out, no id validation, `since` filters on update_at.
    defineRoute('POST', '/api/v4/users/ids', {}, (req, sim) => {
      const ids = decodeOr400('user_ids', () => decodeStringArray(req.rawBody))
      if (ids.length === 0) throw invalidBodyParam('user_ids')
      const sinceRaw = req.query.get('since') ?? ''
      const since = sinceRaw === '' ? undefined : goParseInt(sinceRaw)
      if (sinceRaw !== '' && since === undefined) throw invalidBodyParam('since')
      const users = [...new Set(ids)]
        .map((id) => sim.users.get(id))
        .filter((u): u is SimUser => u !== undefined && (since === undefined || u.update_at > since))
      return { status: 200, json: shuffled(users, sim.random).map((u) => render(sim, req, u)) }
    }),

    // getUserByEmail: SanitizeEmail lowercases then validates; without permission to see
    // emails (ShowEmailAddress off and no manage_system) it is a 403 even for existing users.
    defineRoute('GET', '/api/v4/users/email/{email}', { email: '.+' }, (req, sim) => {
      const email = (req.params['email'] ?? '').toLowerCase()
      if (!/^[^\s@<>(),;:"[\]]+@[^\s@<>(),;:"[\]]+$/.test(email)) throw invalidUrlParam('email')
      if (!sim.config.showEmailAddress && !isSystemAdminSession(sim, req.session)) {
        throw new AppError(403, 'api.user.get_user_by_email.permissions.app_error', 'Unable to get user by email.')
      }
      const user = sim.users.byEmail(email)
      if (!user) throw userNotFound()
      return { status: 200, json: render(sim, req, user) }
    }),

    // getUserByUsername: RequireUsername accepts only valid (lowercase) usernames.
    defineRoute('GET', '/api/v4/users/username/{username}', { username: '[A-Za-z0-9\\_\\-\\.]+' }, (req, sim) => {
      const username = req.params['username'] ?? ''
      if (!/^[a-z0-9.\-_]{1,64}$/.test(username)) throw invalidUrlParam('username')
      const user = sim.users.byUsername(username)
      if (!user) throw userNotFound()
      return { status: 200, json: render(sim, req, user) }
    }),

    // getUser (also /users/me): deactivated users and bots are returned as they are.
    defineRoute('GET', '/api/v4/users/{user_id}', { user_id: '[A-Za-z0-9]+' }, (req, sim) => {
      const id = requireUserId(req)
      const user = sim.users.get(id)
      if (!user) throw userNotFound()
      return { status: 200, json: render(sim, req, user) }
    })
  ]
}
