import type { Logger } from 'pino'
import type { SyncUsers } from '../../config'
import type { ResolvedUser } from '../../graph/resolve-users'
import type { DirectoryUser } from '../../mattermost/create-mattermost-adapter'
import type { UserStore } from '../../store/user-store'
import type { JobResult } from '../jobs'

// Enrolment (architecture.md "directory"): who is synced, and their Graph identity.

export interface DirectoryDeps {
  listUsers(): AsyncGenerator<DirectoryUser[]>
  resolveUsers(emails: string[]): Promise<Map<string, ResolvedUser>>
  users: UserStore
  /** A user left or opted out: their subscription, wake-up and other per-user jobs go too. */
  onLeave(mmUserId: string): Promise<void>
  /** Users who just got a Graph identity: subscriptions for them, then a first sync. */
  onEnrolled(mmUserIds: string[]): Promise<void>
  log: Logger
  now?: () => number
}

/** Unknown mailboxes are asked about again after this long (someone may get a licence). */
const RECHECK_UNKNOWN_MS = 24 * 3600_000

export function createDirectoryProcessor(deps: DirectoryDeps, opts: { syncUsers: SyncUsers }) {
  const now = deps.now ?? Date.now
  return async (): Promise<JobResult> => {
    const { optedIn, optedOut } = await deps.users.choices()
    const wanted = new Map<string, DirectoryUser>()
    for await (const page of deps.listUsers()) {
      for (const u of page) {
        const allowed = opts.syncUsers === 'all' ? !optedOut.has(u.id) : optedIn.has(u.id)
        if (allowed) wanted.set(u.id, u)
      }
    }

    const before = new Set(await deps.users.enrolledIds())
    const leavers = [...before].filter((id) => !wanted.has(id))
    for (const id of leavers) {
      await deps.onLeave(id)
      await deps.users.remove(id)
    }

    const records = await deps.users.getMany([...wanted.keys()])
    await deps.users.upsertFromDirectory(
      [...wanted.values()].map((u) => ({ mmUserId: u.id, email: u.email, username: u.username, timeZone: u.timeZone, isSystemAdmin: u.isSystemAdmin }))
    )

    // Ask Graph about new users, users whose e-mail changed, and unknown mailboxes once a day.
    const resolved = await deps.users.resolvedAt([...wanted.keys()])
    const toResolve = [...wanted.values()].filter((u) => {
      const r = records.get(u.id)
      if (!r || r.mailbox === 'pending' || r.email !== u.email.toLowerCase()) return true
      return r.mailbox !== 'ok' && now() - (resolved.get(u.id) ?? 0) > RECHECK_UNKNOWN_MS
    })
    const answers = toResolve.length > 0 ? await deps.resolveUsers(toResolve.map((u) => u.email)) : new Map<string, ResolvedUser>()
    const newlyEnrolled: string[] = []
    let failed = 0
    for (const u of toResolve) {
      const answer = answers.get(u.email.toLowerCase())
      if (!answer || answer.kind === 'failed') {
        failed += 1 // keep what we had; the next run asks again
        continue
      }
      if (answer.kind === 'not-found') {
        await deps.users.setGraphIdentity(u.id, null, 'unknown')
        continue
      }
      const previous = records.get(u.id)
      await deps.users.setGraphIdentity(u.id, answer.id, 'ok')
      if (previous?.graphUserId !== answer.id) newlyEnrolled.push(u.id)
    }
    if (newlyEnrolled.length > 0) await deps.onEnrolled(newlyEnrolled)

    const detail = { users: wanted.size, joined: [...wanted.keys()].filter((id) => !before.has(id)).length, left: leavers.length, resolved: toResolve.length, newlyEnrolled: newlyEnrolled.length, failed }
    deps.log.info(detail, 'directory synced')
    return { outcome: 'done', detail }
  }
}
