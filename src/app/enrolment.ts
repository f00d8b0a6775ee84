import type { Logger } from 'pino'
import type { SyncUsers as SyncUsersSetting } from '../config'
import type { GraphAdapter } from '../graph/create-graph-adapter'
import type { DirectoryUser, MattermostAdapter } from '../mattermost/create-mattermost-adapter'
import type { ClusterLock } from '../store/cluster-lock'
import type { UserStore } from '../store/user-store'
import type { Outcome } from './outcome'
import type { AdminNotices } from './admin-notices'

// Enrolment, the `directory` job (docs/architecture.md, "Enrolment"): who is synced, with which
// Graph identity, and who left.

export interface EnrolmentDeps {
  directory: Pick<MattermostAdapter, 'listUsers'>
  identities: Pick<GraphAdapter, 'resolveUsers'>
  users: UserStore
  locks: ClusterLock
  /** A user left or opted out: their subscription, wake-up and other per-user state go too. */
  onLeave(mmUserId: string): Promise<void>
  /** Users who just got a Graph identity: subscriptions for them, then a first sync. */
  onEnrolled(mmUserIds: string[]): Promise<void>
  /** People left out for an unvouched e-mail are a problem admins can fix (docs/architecture.md#failure-notices). */
  notices?: Pick<AdminNotices, 'raise' | 'clear'>
  log: Logger
  now?: () => number
}

export interface EnrolmentOptions {
  syncUsers: SyncUsersSetting
  /**
   * Enrol users whose e-mail Mattermost does not vouch for (SYNC_UNVERIFIED_EMAILS). Off, a
   * user who set a colleague's address cannot mirror the colleague's calendar, and an
   * enrolled user whose address stops being vouched for leaves (docs/mattermost.md#who-is-enrolled).
   */
  syncUnverifiedEmails?: boolean
  chunkSize?: number
}

/** Unknown mailboxes are asked about again after this long (someone may get a licence). */
const RECHECK_UNKNOWN_MS = 24 * 3600_000
/** Longest a run may hold the cluster's directory lock (a killed worker's lock expires). */
export const DIRECTORY_LOCK_MS = 15 * 60_000

/**
 * Users are enrolled in chunks as the directory pages arrive, so a run's memory is bounded by
 * the chunk, not the site. 2,000 look-ups are 100 Graph $batch requests, 10 rounds at the
 * default 10 batches in flight.
 */
export const ENROLMENT_CHUNK = 2000

interface Run {
  seen: Set<string>
  /** Users left out because Mattermost does not vouch for their e-mail. */
  unverified: number
  newlyEnrolled: string[]
  resolved: number
  failed: number
}

/** Save a chunk of directory users and ask Graph about those whose identity may have changed. */
async function enrolChunk(deps: Pick<EnrolmentDeps, 'users' | 'identities'>, now: () => number, chunk: DirectoryUser[], run: Run): Promise<void> {
  const ids = chunk.map((u) => u.id)
  const records = await deps.users.getMany(ids)
  await deps.users.upsertFromDirectory(
    chunk.map((u) => ({ mmUserId: u.id, email: u.email, username: u.username, timeZone: u.timeZone, locale: u.locale, isSystemAdmin: u.isSystemAdmin }))
  )
  // New users, users whose e-mail changed, and unknown mailboxes once a day.
  const resolvedAt = await deps.users.resolvedAt(ids)
  const toResolve = chunk.filter((u) => {
    const r = records.get(u.id)
    if (!r || r.mailbox === 'pending' || r.email !== u.email.toLowerCase()) return true
    return r.mailbox !== 'ok' && now() - (resolvedAt.get(u.id) ?? 0) > RECHECK_UNKNOWN_MS
  })
  if (toResolve.length === 0) return
  run.resolved += toResolve.length
  const answers = await deps.identities.resolveUsers(toResolve.map((u) => u.email))
  const identities: Parameters<UserStore['setGraphIdentities']>[0] = []
  for (const u of toResolve) {
    const answer = answers.get(u.email.toLowerCase())
    if (!answer || answer.kind === 'failed') {
      run.failed += 1 // keep what we had; the next run asks again
    } else if (answer.kind === 'not-found') {
      identities.push({ mmUserId: u.id, graphUserId: null, mailbox: 'unknown' })
    } else {
      identities.push({ mmUserId: u.id, graphUserId: answer.id, mailbox: 'ok' })
      if (records.get(u.id)?.graphUserId !== answer.id) run.newlyEnrolled.push(u.id)
    }
  }
  await deps.users.setGraphIdentities(identities)
}

const newRun = (): Run => ({ seen: new Set(), unverified: 0, newlyEnrolled: [], resolved: 0, failed: 0 })

export function createEnrolment(deps: EnrolmentDeps, opts: EnrolmentOptions): () => Promise<Outcome> {
  const now = deps.now ?? Date.now
  const chunkSize = opts.chunkSize ?? ENROLMENT_CHUNK
  const enrol = (chunk: DirectoryUser[], run: Run): Promise<void> => enrolChunk(deps, now, chunk, run)

  /** The whole directory, page by page, in chunks: only the users SYNC_USERS and their choices allow. */
  const readDirectory = async (run: Run): Promise<void> => {
    const { optedIn, optedOut } = await deps.users.choices()
    let chunk: DirectoryUser[] = []
    for await (const page of deps.directory.listUsers()) {
      for (const u of page) {
        const allowed = opts.syncUsers === 'all' ? !optedOut.has(u.id) : optedIn.has(u.id)
        // A user who moves between pages while we list would otherwise come twice.
        if (!allowed || run.seen.has(u.id)) continue
        // Not seen: one enrolled before leaves below, like a deactivated user.
        if (!u.emailTrusted && !opts.syncUnverifiedEmails) {
          run.unverified += 1
          continue
        }
        run.seen.add(u.id)
        chunk.push(u)
      }
      if (chunk.length >= chunkSize) {
        await enrol(chunk, run)
        chunk = []
      }
    }
    if (chunk.length > 0) await enrol(chunk, run)
  }

  const enrolEveryone = async (): Promise<Outcome> => {
    const before = new Set(await deps.users.enrolledIds())
    const run = newRun()
    await readDirectory(run)
    // Only after the whole directory was read: a listing that failed half-way drops nobody.
    const leavers = [...before].filter((id) => !run.seen.has(id))
    for (const id of leavers) {
      // The record first: a sync still running for them can then commit nothing and schedule
      // no wake-up after onLeave cancelled theirs.
      await deps.users.remove(id)
      await deps.onLeave(id)
    }
    if (run.newlyEnrolled.length > 0) await deps.onEnrolled(run.newlyEnrolled)
    let joined = 0
    for (const id of run.seen) if (!before.has(id)) joined += 1
    const detail = {
      users: run.seen.size,
      joined,
      left: leavers.length,
      unverified: run.unverified,
      resolved: run.resolved,
      newlyEnrolled: run.newlyEnrolled.length,
      failed: run.failed
    }
    deps.log.info(detail, 'directory synced')
    const leftOut =
      `${run.unverified} Mattermost users are not synced: they sign in with e-mail and password, and Mattermost does not show the bot that they own their address ` +
      '(SSO sign-ins are shown only to a bot with the system admin role); set SYNC_UNVERIFIED_EMAILS=true to sync them anyway (docs/mattermost.md#who-is-enrolled)'
    if (run.unverified > 0) deps.log.warn({ unverified: run.unverified }, leftOut)
    // Nobody synced at all (an upgrade with a bot that cannot see SSO sign-ins, an e-mail-login site
    // without the setting) is a broken install an admin can fix: they hear of it, not only the log.
    // Some people left out (the e-mail-login admin account, say) is a choice: the log says it.
    if (run.unverified > 0 && run.seen.size === 0) {
      await deps.notices
        ?.raise('people-not-synced', `Nobody is synced. ${leftOut}`)
        .catch((err: unknown) => deps.log.warn({ err }, 'could not record the notice'))
    } else await deps.notices?.clear('people-not-synced').catch((err: unknown) => deps.log.warn({ err }, 'could not clear the notice'))
    return { outcome: 'done', detail }
  }

  // One run at a time for the cluster: the hourly scheduler's first run and the start-up run
  // arrive together, and two concurrent runs would enrol (and subscribe) everyone twice.
  return async () => {
    const locked = await deps.locks.run('directory', DIRECTORY_LOCK_MS, enrolEveryone)
    return locked.ran ? locked.value : { outcome: 'skipped', reason: 'another directory run is in progress' }
  }
}

export type EnrolOneDeps = Pick<EnrolmentDeps, 'identities' | 'users' | 'onEnrolled' | 'log' | 'now'> & {
  directory: Pick<MattermostAdapter, 'getUser'>
  /** A person enrolled before, who only needs a sync. */
  syncSoon(mmUserIds: string[]): Promise<void>
}

/**
 * One person, now (`/calstatus on`): the hourly directory run would find them too, but a person who
 * just opted in expects to be synced within a minute. The same checks as the directory run.
 */
export function createEnrolOne(deps: EnrolOneDeps, opts: EnrolmentOptions): (mmUserId: string) => Promise<Outcome> {
  const now = deps.now ?? Date.now
  return async (mmUserId) => {
    const choice = await deps.users.choiceOf(mmUserId)
    const allowed = opts.syncUsers === 'all' ? choice !== 'out' : choice === 'in'
    if (!allowed) return { outcome: 'skipped', reason: 'the person has not opted in' }
    const user = await deps.directory.getUser(mmUserId)
    if (!user) return { outcome: 'skipped', reason: 'no active Mattermost person with this id' }
    if (!user.emailTrusted && !opts.syncUnverifiedEmails) return { outcome: 'skipped', reason: 'Mattermost does not vouch for the e-mail' }
    const run = newRun()
    await enrolChunk(deps, now, [user], run)
    if (run.newlyEnrolled.length > 0) await deps.onEnrolled(run.newlyEnrolled)
    else await deps.syncSoon([mmUserId])
    return { outcome: 'done', detail: { resolved: run.resolved, newlyEnrolled: run.newlyEnrolled.length, failed: run.failed } }
  }
}
