import type { Logger } from 'pino'
import { withinBudget } from '../../shared/within-budget'
import type { MattermostAdapter, MmUserStatus } from '../../mattermost/create-mattermost-adapter'
import type { PeopleIndex } from '../../store/people-index'
import type { WakeUpStore } from '../../store/wake-up-store'
import { toError } from '../../shared/to-error'
import type { Services, SyncedUserStore } from '../services'
import { personView, type PersonView } from './person-view'

// The admin page's people table and person page (issue 17): one page of people from the index in
// Redis (src/store/people-index.ts), their records, wake-ups and the effective defaults in a few
// round trips, and their Mattermost statuses in one bulk call with a time budget, so a slow
// Mattermost never holds the page.

export interface PeopleDeps {
  index: Pick<PeopleIndex, 'searchPeople' | 'ensureIndexed'>
  users: Pick<SyncedUserStore, 'getMany'>
  /** the effective defaults: environment and admin (src/app/effective-defaults.ts) */
  defaults: Pick<Services['defaults'], 'get'>
  wakeUpMarkers: Pick<WakeUpStore, 'getMany'>
  /** null when Mattermost is not configured: every status reads "unknown" */
  mattermost: Pick<MattermostAdapter, 'getStatuses'> | null
  log: Pick<Logger, 'warn'>
}

export interface PeopleOptions {
  now?: () => number
  /** how long the page waits for Mattermost's statuses; default 1.5 s */
  statusBudgetMs?: number
  /** people per page, at most 100; default 50 */
  perPage?: number
}

export interface PeopleList {
  query: string
  page: number
  perPage: number
  /** everyone the query matches */
  total: number
  /** at least 1 */
  pages: number
  people: PersonView[]
}

export interface People {
  /** A page (from 1) of everyone, or of those whose username or e-mail starts with `query`. */
  listPeople(query: string, page: number): Promise<PeopleList>
  /** One person; null when not enrolled. */
  person(mmUserId: string): Promise<PersonView | null>
}

const DEFAULT_STATUS_BUDGET_MS = 1500
const DEFAULT_PER_PAGE = 50

/** The statuses of `ids`, or null when Mattermost fails or takes longer than the budget. */
async function statusesWithin(deps: PeopleDeps, ids: string[], budgetMs: number): Promise<Map<string, MmUserStatus> | null> {
  if (!deps.mattermost || ids.length === 0) return deps.mattermost ? new Map() : null
  const asked = deps.mattermost.getStatuses(ids).catch((err: unknown) => {
    deps.log.warn({ err: toError(err) }, 'admin page: Mattermost statuses unavailable')
    return null
  })
  const read = await withinBudget(budgetMs, asked)
  return read.done ? read.value : null
}

export function createPeople(deps: PeopleDeps, opts: PeopleOptions = {}): People {
  const now = opts.now ?? Date.now
  const budgetMs = opts.statusBudgetMs ?? DEFAULT_STATUS_BUDGET_MS
  const perPage = Math.min(100, Math.max(1, opts.perPage ?? DEFAULT_PER_PAGE))

  /** The views of `ids` in that order; an id whose record is gone (left meanwhile) is left out. */
  const views = async (ids: string[]): Promise<PersonView[]> => {
    const [records, wakeUps, defaults, statuses] = await Promise.all([
      deps.users.getMany(ids),
      deps.wakeUpMarkers.getMany(ids),
      deps.defaults.get(),
      statusesWithin(deps, ids, budgetMs)
    ])
    const at = now()
    const out: PersonView[] = []
    ids.forEach((id, i) => {
      const user = records.get(id)
      if (user) out.push(personView(user, { now: at, defaults, statuses, wakeUpAt: wakeUps[i] ?? null }))
    })
    return out
  }

  return {
    async listPeople(query, page) {
      // The first page view after an upgrade fills the index; afterwards this is one GET.
      await deps.index.ensureIndexed()
      const current = Math.max(1, Math.floor(page) || 1)
      const { total, rows } = await deps.index.searchPeople({ query, page: current, perPage })
      return { query, page: current, perPage, total, pages: Math.max(1, Math.ceil(total / perPage)), people: await views(rows) }
    },
    async person(mmUserId) {
      return (await views([mmUserId]))[0] ?? null
    }
  }
}
