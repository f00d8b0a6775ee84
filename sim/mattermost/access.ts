import { invalidUrlParam } from './app-error'
import { isValidId } from './ids'
import type { ApiRequest, SimModel } from './route-table'
import type { SimUser } from './user-directory'

// Permission helpers as the server's handlers use them.

/** c.RequireUserId(): "me" is the session user; anything else must be a valid id (else 400). */
export function requireUserId(req: ApiRequest): string {
  const raw = req.params['user_id'] ?? ''
  const id = raw === 'me' ? req.session.id : raw
  if (!isValidId(id)) throw invalidUrlParam('user_id')
  return id
}

/**
 * App.SessionHasPermissionToUser: manage_system, or the user themself, or edit_other_users when
 * the target exists and is not a system admin (docs/mattermost.md; sim/mattermost/openapi/SOURCE.md notes the spec text
 * says otherwise). A target that does not exist is refused unless the session has manage_system.
 */
export function canEditUser(sim: SimModel, session: SimUser, targetId: string): boolean {
  if (targetId === '') return false
  if (sim.users.hasPermission(session.id, 'manage_system')) return true
  if (session.id === targetId) return true
  if (!sim.users.hasPermission(session.id, 'edit_other_users')) return false
  const target = sim.users.get(targetId)
  if (!target) return false
  return !sim.users.isSystemAdmin(targetId)
}

export function isSystemAdminSession(sim: SimModel, session: SimUser): boolean {
  return sim.users.hasPermission(session.id, 'manage_system')
}
