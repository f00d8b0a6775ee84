import { canEditUser, requireUserId } from './access'
import { AppError, invalidBodyParam, permissionError, userNotFound } from './app-error'
import { decodeCustomStatus, preSaveCustomStatus } from './custom-status'
import { decodeOr400, decodeStringArray, decodeStruct } from './go-decode'
import { defineRoute, shuffled, STATUS_OK, type ApiRoute } from './route-table'
import { MM_STATUSES, publicStatus, type MmStatus } from './status-model'

// api4/status.go. Status semantics come from status-model.ts through the status store.

const USER_ID = '[A-Za-z0-9]+'

function customStatusDisabled(): AppError {
  return new AppError(501, 'api.custom_status.disabled', 'Custom status feature has been disabled. Please contact your system administrator for details.')
}

export function statusRoutes(): ApiRoute[] {
  return [
    // getUserStatusesByIds: every id must be 26 bytes long (a length check, not an id check);
    // ids without a status row, known or not, come back offline; the order is the cache's and
    // the database's, not the request's.
    defineRoute('POST', '/api/v4/users/status/ids', {}, (req, sim) => {
      const ids = decodeOr400('user_ids', () => decodeStringArray(req.rawBody))
      if (ids.length === 0) throw invalidBodyParam('user_ids')
      for (const id of ids) if (Buffer.byteLength(id) !== 26) throw invalidBodyParam('user_ids')
      const statuses = [...new Set(ids)].map((id) => publicStatus(sim.statuses.get(id)))
      return { status: 200, json: shuffled(statuses, sim.random) }
    }),

    defineRoute('GET', '/api/v4/users/{user_id}/status', { user_id: USER_ID }, (req, sim) => {
      const id = requireUserId(req)
      return { status: 200, json: publicStatus(sim.statuses.get(id)) }
    }),

    // updateUserStatus: decode, body user_id must equal the path id, permission, then the
    // status switch; the answer is the stored status (GET).
    defineRoute('PUT', '/api/v4/users/{user_id}/status', { user_id: USER_ID }, (req, sim) => {
      const id = requireUserId(req)
      const body = decodeOr400('status', () =>
        decodeStruct(req.rawBody, {
          user_id: 'string',
          status: 'string',
          manual: 'bool',
          last_activity_at: 'int64',
          dnd_end_time: 'int64',
          active_channel: 'string'
        })
      )
      if (((body.user_id as string | undefined) ?? '') !== id) throw invalidBodyParam('user_id')
      if (!canEditUser(sim, req.session, id)) throw permissionError('edit_other_users')
      const status = (body.status as string | undefined) ?? ''
      if (!(MM_STATUSES as readonly string[]).includes(status)) throw invalidBodyParam('status')
      const dndEnd = status === 'dnd' ? ((body.dnd_end_time as number | undefined) ?? 0) : undefined
      sim.statuses.set(id, status as MmStatus, dndEnd, `api:${req.session.id}`)
      return { status: 200, json: publicStatus(sim.statuses.get(id)) }
    }),

    // updateUserCustomStatus: feature switch (501), decode + validation (400), permission (403),
    // PreSave, then SetCustomStatus (404 when the user does not exist).
    defineRoute('PUT', '/api/v4/users/{user_id}/status/custom', { user_id: USER_ID }, (req, sim) => {
      const id = requireUserId(req)
      if (!sim.config.customStatusEnabled) throw customStatusDisabled()
      const now = sim.now()
      const decoded = decodeCustomStatus(req.rawBody, now, (name) => sim.customStatuses.emojiExists(name))
      if (!canEditUser(sim, req.session, id)) throw permissionError('edit_other_users')
      if (!sim.users.get(id)) throw userNotFound()
      sim.customStatuses.set(id, preSaveCustomStatus(decoded, now), `api:${req.session.id}`)
      return STATUS_OK
    }),

    defineRoute('DELETE', '/api/v4/users/{user_id}/status/custom', { user_id: USER_ID }, (req, sim) => {
      const id = requireUserId(req)
      if (!sim.config.customStatusEnabled) throw customStatusDisabled()
      if (!canEditUser(sim, req.session, id)) throw permissionError('edit_other_users')
      if (!sim.users.get(id)) throw userNotFound()
      sim.customStatuses.clear(id, `api:${req.session.id}`)
      return STATUS_OK
    })
  ]
}
