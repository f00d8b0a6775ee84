import { createHash } from 'node:crypto'
import { AppError, invalidUrlParam } from './app-error'
import { decodeOr400, decodeStringArray } from './go-decode'
import { defineRoute, type ApiRoute } from './route-table'

// Two reads a setup check makes: which permissions a set of roles carries (api4/role.go
// getRolesByNames) and the client configuration (api4/config.go getClientConfig).

// model.IsValidRoleName: lower-case letters, digits and underscores, at most 64.
const ROLE_NAME = /^[a-z0-9_]{1,64}$/

/** A role's id is a 26-character id on the server; here a stable one derived from its name. */
function roleId(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 26)
}

export function systemRoutes(): ApiRoute[] {
  return [
    // Any session may read roles; unknown names are left out of the answer; an empty list or an
    // invalid name is a 400 on the rolenames parameter.
    defineRoute('POST', '/api/v4/roles/names', {}, (req, sim) => {
      const names = decodeOr400('rolenames', () => decodeStringArray(req.rawBody))
      if (names.length === 0) throw invalidUrlParam('rolenames')
      for (const name of names) if (!ROLE_NAME.test(name)) throw invalidUrlParam('rolename')
      const roles = [...new Set(names)].flatMap((name) => {
        const permissions = sim.users.roles.get(name)
        if (!permissions) return []
        return [
          {
            id: roleId(name),
            name,
            display_name: `authentication.roles.${name}.name`,
            description: `authentication.roles.${name}.description`,
            create_at: 0,
            update_at: 0,
            delete_at: 0,
            permissions: [...permissions].sort(),
            scheme_managed: false,
            built_in: name.startsWith('system_')
          }
        ]
      })
      return { status: 200, json: roles }
    }),

    // Only `format=old` exists (a flat map of strings); anything else is 501. Only the keys
    // calstatus reads are modelled.
    defineRoute('GET', '/api/v4/config/client', {}, (req, sim) => {
      if (req.query.get('format') !== 'old')
        throw new AppError(
          501,
          'api.config.client.old_format.app_error',
          'New format for the client configuration is not supported yet. Please specify format=old in the query string.'
        )
      return {
        status: 200,
        json: {
          SiteURL: sim.siteUrl(),
          EnableCustomUserStatuses: String(sim.config.customStatusEnabled),
          ShowEmailAddress: String(sim.config.showEmailAddress),
          ShowFullName: String(sim.config.showFullName)
        }
      }
    })
  ]
}
