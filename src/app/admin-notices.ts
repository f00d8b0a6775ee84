import type { Logger } from 'pino'
import { Gauge, type Registry } from 'prom-client'
import type { Problem, ProblemStore } from '../store/problem-store'

// Failures reach people (docs/architecture.md#failure-notices): a problem only an administrator
// can fix, or one that lasts, is kept in Redis (the admin page's list), shown as a gauge, and
// sent by DM to the ADMIN_MM_USERS once per kind and hour for the cluster; when it clears,
// the admins who were told hear that too.

export type ProblemKind =
  | 'graph-sign-in'
  | 'graph-outage'
  | 'mattermost-outage'
  | 'mattermost-permission'
  | 'people-not-synced'
  | 'subscriptions-failing'
  | 'redis-persistence'
  | 'redis-eviction'

interface KindPolicy {
  title: string
  /** DM the admins when it is raised (a Mattermost outage cannot be told through Mattermost). */
  noticeOnRaise: boolean
  /** Said in the recovery DM; a kind without a notice on raise gets a recovery DM always. */
  afterwards?: string
}

export const PROBLEM_KINDS: Record<ProblemKind, KindPolicy> = {
  'graph-sign-in': { title: 'Microsoft sign-in', noticeOnRaise: true },
  'graph-outage': { title: 'Microsoft Graph unreachable', noticeOnRaise: true },
  'mattermost-outage': {
    title: 'Mattermost unreachable',
    noticeOnRaise: false,
    afterwards:
      'Statuses could not be changed meanwhile. A Do Not Disturb calstatus had set ended on its own at the meeting end (Mattermost expires it), and the next sweep brings every status back in step with the calendars.'
  },
  'mattermost-permission': { title: 'Mattermost permission', noticeOnRaise: true },
  'people-not-synced': { title: 'People not synced', noticeOnRaise: true },
  'subscriptions-failing': { title: 'Calendar subscriptions failing', noticeOnRaise: true },
  'redis-persistence': { title: 'Redis keeps nothing on disk', noticeOnRaise: true },
  'redis-eviction': { title: 'Redis may delete keys', noticeOnRaise: true }
}

/** How the notices reach the admins: the Mattermost adapter's DMs to ADMIN_MM_USERS. */
export interface AdminMessenger {
  messageAdmins(message: string): Promise<{ sent: number; failed: number }>
}

export interface AdminNotices {
  /** A problem is (still) there: recorded, logged once, and the admins told once per period. */
  raise(kind: ProblemKind, text: string, opts?: { since?: number }): Promise<void>
  /** The problem is gone: forgotten, and the admins told when they had been told of it. */
  clear(kind: ProblemKind): Promise<void>
  /** The current problems, for the admin page. */
  current(): Promise<Problem[]>
}

export interface AdminNoticesDeps {
  problems: ProblemStore
  /** null without Mattermost; a function because the adapter is built after the notices */
  messenger: () => AdminMessenger | null
  log: Logger
  registry: Registry
  /** where the admin page is (PUBLIC_URL/admin), named at the end of every DM; null without one */
  adminPageUrl?: string | null
  now?: () => number
}

/** One DM per kind per hour at most, for the whole cluster. */
export const NOTICE_EVERY_SECONDS = 3600
/** How stale this process's idea of which problems are current may be (clear() is called often). */
const KINDS_CACHE_MS = 5000

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`
  if (minutes < 120) return `${minutes} min`
  return `${(minutes / 60).toFixed(1)} h`
}

export function createAdminNotices(deps: AdminNoticesDeps, opts: { noticeEverySeconds?: number } = {}): AdminNotices {
  const now = deps.now ?? Date.now
  const every = opts.noticeEverySeconds ?? NOTICE_EVERY_SECONDS
  let known: { kinds: Set<string>; at: number } = { kinds: new Set(), at: 0 }

  new Gauge({
    name: 'calstatus_problem',
    help: 'Current problems admins are told of, by kind (1 while current); read from Redis, so every process shows the cluster',
    labelNames: ['kind'],
    registers: [deps.registry],
    async collect() {
      try {
        const current = new Set(await deps.problems.kinds())
        for (const kind of Object.keys(PROBLEM_KINDS)) this.set({ kind }, current.has(kind) ? 1 : 0)
      } catch (err) {
        deps.log.warn({ err }, 'could not read the current problems')
      }
    }
  })

  const tell = async (message: string): Promise<{ sent: number; failed: number }> => {
    const messenger = deps.messenger()
    if (!messenger) return { sent: 0, failed: 0 }
    return messenger.messageAdmins(deps.adminPageUrl ? `${message}\n\nThe admin page shows this and the setup checklist: ${deps.adminPageUrl}` : message)
  }

  const mayBeCurrent = async (kind: ProblemKind): Promise<boolean> => {
    if (now() - known.at > KINDS_CACHE_MS) known = { kinds: new Set(await deps.problems.kinds()), at: now() }
    return known.kinds.has(kind)
  }

  return {
    async raise(kind, text, o) {
      const t = now()
      const { isNew, problem } = await deps.problems.raise(kind, text, t, o?.since)
      known.kinds.add(kind)
      if (isNew) deps.log.error({ problem: kind, since: new Date(problem.since).toISOString() }, text)
      const policy = PROBLEM_KINDS[kind]
      if (!policy.noticeOnRaise) return
      if (!(await deps.problems.claimNotice(kind, every))) return
      // Marked before sending: a clear that comes in between then finds who was told.
      if (!(await deps.problems.markNoticed(kind, t))) return
      const result = await tell(`:warning: **calstatus: ${policy.title}.** ${text}`)
      if (result.sent === 0 && result.failed > 0) {
        // Nobody got it: the next raise tries again, and no recovery DM for a notice never read.
        await deps.problems.markNoticed(kind, null)
        await deps.problems.releaseNotice(kind)
      }
    },
    async clear(kind) {
      if (!(await mayBeCurrent(kind))) return
      const problem = await deps.problems.clear(kind)
      known.kinds.delete(kind)
      if (!problem) return
      const t = now()
      const policy = PROBLEM_KINDS[kind]
      const lasted = `since ${new Date(problem.since).toISOString()}, for ${duration(t - problem.since)}`
      deps.log.warn({ problem: kind, since: new Date(problem.since).toISOString(), lastedMs: t - problem.since }, `resolved: ${policy.title}`)
      if (problem.noticedAt === undefined && policy.noticeOnRaise) return
      await tell(
        `:white_check_mark: **calstatus: resolved: ${policy.title}** (${lasted}). It was: ${problem.text}${policy.afterwards ? ` ${policy.afterwards}` : ''}`
      )
    },
    current: () => deps.problems.list()
  }
}
