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

/**
 * Users are enrolled in chunks as the directory pages arrive, so a run's memory is bounded by
 * the chunk, not the site: the first run on a 100,000-user site used to hold every user, every
 * record and pipelines of 100,000+ commands at once (1.3 GB in one worker). 2,000 look-ups are
 * 100 Graph $batch requests, 10 rounds at the default 10 batches in flight.
 */
export const ENROLMENT_CHUNK = 2000

export function createDirectoryProcessor(deps: DirectoryDeps, opts: { syncUsers: SyncUsers; chunkSize?: number }) {
  const now = deps.now ?? Date.now
  const chunkSize = opts.chunkSize ?? ENROLMENT_CHUNK
  return async (): Promise<JobResult> => {
    const { optedIn, optedOut } = await deps.users.choices()
    const before = new Set(await deps.users.enrolledIds())
    const seen = new Set<string>()
    const newlyEnrolled: string[] = []
    let resolvedCount = 0
    let failed = 0

    const enrol = async (chunk: DirectoryUser[]): Promise<void> => {
      const ids = chunk.map((u) => u.id)
      const records = await deps.users.getMany(ids)
      await deps.users.upsertFromDirectory(
        chunk.map((u) => ({ mmUserId: u.id, email: u.email, username: u.username, timeZone: u.timeZone, isSystemAdmin: u.isSystemAdmin }))
      )
      // Ask Graph about new users, users whose e-mail changed, and unknown mailboxes once a day.
      const resolved = await deps.users.resolvedAt(ids)
      const toResolve = chunk.filter((u) => {
        const r = records.get(u.id)
        if (!r || r.mailbox === 'pending' || r.email !== u.email.toLowerCase()) return true
        return r.mailbox !== 'ok' && now() - (resolved.get(u.id) ?? 0) > RECHECK_UNKNOWN_MS
      })
      if (toResolve.length === 0) return
      resolvedCount += toResolve.length
      const answers = await deps.resolveUsers(toResolve.map((u) => u.email))
      const identities: Parameters<UserStore['setGraphIdentities']>[0] = []
      for (const u of toResolve) {
        const answer = answers.get(u.email.toLowerCase())
        if (!answer || answer.kind === 'failed') {
          failed += 1 // keep what we had; the next run asks again
        } else if (answer.kind === 'not-found') {
          identities.push({ mmUserId: u.id, graphUserId: null, mailbox: 'unknown' })
        } else {
          identities.push({ mmUserId: u.id, graphUserId: answer.id, mailbox: 'ok' })
          if (records.get(u.id)?.graphUserId !== answer.id) newlyEnrolled.push(u.id)
        }
      }
      await deps.users.setGraphIdentities(identities)
    }

    let chunk: DirectoryUser[] = []
    for await (const page of deps.listUsers()) {
      for (const u of page) {
        const allowed = opts.syncUsers === 'all' ? !optedOut.has(u.id) : optedIn.has(u.id)
        // A user who moves between pages while we list would otherwise come twice.
        if (!allowed || seen.has(u.id)) continue
        seen.add(u.id)
        chunk.push(u)
      }
      if (chunk.length >= chunkSize) {
        await enrol(chunk)
        chunk = []
      }
    }
    if (chunk.length > 0) await enrol(chunk)

    // Only after the whole directory was read: a listing that failed half-way drops nobody.
    const leavers = [...before].filter((id) => !seen.has(id))
    for (const id of leavers) {
      await deps.onLeave(id)
      await deps.users.remove(id)
    }
    if (newlyEnrolled.length > 0) await deps.onEnrolled(newlyEnrolled)

    let joined = 0
    for (const id of seen) if (!before.has(id)) joined += 1
    const detail = { users: seen.size, joined, left: leavers.length, resolved: resolvedCount, newlyEnrolled: newlyEnrolled.length, failed }
    deps.log.info(detail, 'directory synced')
    return { outcome: 'done', detail }
  }
}
