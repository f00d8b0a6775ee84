// System roles and the permissions the simulator checks. Real Mattermost resolves a user's
// space-separated `roles` string through the role store; only the permissions the routes here
// consult are modelled.

export type Permission =
  | 'manage_system'
  | 'edit_other_users'
  | 'create_direct_channel'
  | 'create_post'
  | 'view_members'
  | 'manage_slash_commands'
  | 'list_public_teams'
  | 'list_private_teams'
  | 'manage_own_slash_commands'
  | 'manage_others_slash_commands'

export type RoleTable = Map<string, ReadonlySet<Permission>>

// create_post is not here: ordinary users get it through channel membership (channel_user),
// not at system scope, so they cannot post into channels they are not in.
const MEMBER: Permission[] = ['create_direct_channel', 'view_members', 'list_public_teams']

export function createRoleTable(): RoleTable {
  const table: RoleTable = new Map()
  table.set('system_user', new Set(MEMBER))
  table.set('system_guest', new Set<Permission>())
  // system_admin has every permission (the server grants all of them to the role).
  // Slash commands are managed by system admins only here (team admins are not modelled; members
  // lack manage_own_slash_commands in the default scheme).
  table.set(
    'system_admin',
    new Set<Permission>([
      'manage_system',
      'edit_other_users',
      'manage_slash_commands',
      'manage_own_slash_commands',
      'manage_others_slash_commands',
      'list_private_teams',
      'create_post',
      ...MEMBER
    ])
  )
  // A stand-in for "a role with edit_other_users but not manage_system". Whether the real
  // system_user_manager carries edit_other_users depends on the permission scheme; tests that
  // need that shape use this name or define their own role with defineRole().
  table.set('system_user_manager', new Set<Permission>(['edit_other_users']))
  // Bots may be granted these by their owner (Integrations > Bot accounts): posting in any
  // channel without membership. They matter for posting, not for statuses.
  table.set('system_post_all', new Set<Permission>(['create_post']))
  table.set('system_post_all_public', new Set<Permission>(['create_post']))
  return table
}

export function splitRoles(roles: string): string[] {
  return roles.split(/\s+/).filter((r) => r !== '')
}

export function rolesGrant(table: RoleTable, roles: string, permission: Permission): boolean {
  return splitRoles(roles).some((r) => table.get(r)?.has(permission) === true)
}

/** user.IsSystemAdmin(): the roles string contains system_admin. */
export function isSystemAdminRoles(roles: string): boolean {
  return splitRoles(roles).includes('system_admin')
}
