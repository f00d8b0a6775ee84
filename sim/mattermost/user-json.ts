import type { SimConfig } from './route-table'
import type { SimUser } from './user-directory'

// model.User as the API returns it. Go's omitempty drops zero values: `props` is absent when
// the map is empty, `is_bot` is absent for people, `email_verified` absent when false.
// Sanitizing follows User.Sanitize (own profile) and App.SanitizeProfile (anyone else): the
// email and full name depend on the privacy settings unless the viewer has manage_system,
// auth_service is shown only to the user and to viewers with manage_system, and notify_props,
// last_password_update and email_verified are cleared for others (email_verified even for a
// system admin: ClearNonProfileFields resets it whoever asks).

export function userJson(user: SimUser, viewer: { id: string; isAdmin: boolean }, config: SimConfig): Record<string, unknown> {
  const self = viewer.id === user.id
  const full = self || viewer.isAdmin
  const showEmail = self || viewer.isAdmin || config.showEmailAddress
  const showName = self || viewer.isAdmin || config.showFullName
  const out: Record<string, unknown> = {
    id: user.id,
    create_at: user.create_at,
    update_at: user.update_at,
    delete_at: user.delete_at,
    username: user.username,
    auth_data: '',
    auth_service: full ? user.auth_service : '',
    email: showEmail ? user.email : '',
    nickname: user.nickname,
    first_name: showName ? user.first_name : '',
    last_name: showName ? user.last_name : '',
    position: user.position,
    roles: user.roles,
    locale: user.locale,
    timezone: { ...user.timezone },
    disable_welcome_email: false
  }
  if (self && user.email_verified) out['email_verified'] = true
  if (Object.keys(user.props).length > 0) out['props'] = { ...user.props }
  if (full && Object.keys(user.notify_props).length > 0) out['notify_props'] = { ...user.notify_props }
  if (self && user.last_password_update > 0) out['last_password_update'] = user.last_password_update
  if (user.is_bot) {
    out['is_bot'] = true
    if (user.bot_description) out['bot_description'] = user.bot_description
  }
  return out
}
