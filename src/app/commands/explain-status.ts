import { parseScheduleItems, resolveLocale, resolveSettings, type Settings } from '../../domain'
import type { StatusView } from '../../domain/commands'
import type { ScheduleResult, ScheduleWindow } from '../../graph/fetch-schedules'
import type { MattermostAdapter } from '../../mattermost/create-mattermost-adapter'
import type { SyncedUser } from '../services'
import { meetingsAround } from './meetings-around'
import { withinBudget } from '../../shared/within-budget'

// `/calstatus` (or `status`): what the service sees now and why, for the person asking. It reads
// their calendar and status live, within a budget, so the answer is today's, not the last sweep's;
// when Graph is slow the answer says so and shows what the service holds (docs/mattermost.md,
// "a slash command answers within 3 s").

export interface ExplainDeps {
  calendars: { fetchSchedules(emails: string[], window: ScheduleWindow): Promise<{ results: Map<string, ScheduleResult> }> } | null
  mattermost: Pick<MattermostAdapter, 'getStatuses'>
  /** how long the live reads may take before the answer goes without them */
  budgetMs: number
  now: () => number
}

export type PersonState = StatusView['state']

const LOOK_AHEAD_MS = 25 * 3600_000

/** A live read's value; undefined when it failed or took longer than the budget. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  const read = await withinBudget(
    ms,
    work.catch(() => undefined)
  )
  return read.done ? read.value : undefined
}

export function createExplainStatus(deps: ExplainDeps) {
  const readCalendar = async (user: SyncedUser, settings: Settings, now: number): Promise<StatusView['calendar']> => {
    if (!deps.calendars || user.mailbox !== 'ok') return null
    const answer = await deps.calendars.fetchSchedules([user.email], { startMs: now - 60_000, endMs: now + LOOK_AHEAD_MS })
    const result = answer.results.get(user.email.toLowerCase())
    if (!result || result.kind !== 'schedule') return null
    return meetingsAround(parseScheduleItems(result.items), settings, now)
  }

  return async (user: SyncedUser, state: PersonState, defaults: Parameters<typeof resolveSettings>[0], optInSite: boolean): Promise<StatusView> => {
    const now = deps.now()
    const settings = resolveSettings(defaults, user.settings ?? {})
    const [calendar, statuses] = await Promise.all([
      state === 'synced' ? within(deps.budgetMs, readCalendar(user, settings, now)) : Promise.resolve(null),
      within(deps.budgetMs, deps.mattermost.getStatuses([user.mmUserId]))
    ])
    const remembered = user.remembered
    const holding =
      remembered?.setStatus && remembered.setStatus !== 'online' && !remembered.released
        ? {
            status: remembered.setStatus,
            until: remembered.statusEnd ?? remembered.blockEnd,
            customStatus: remembered.setCustomStatus !== null,
            restoreTo: remembered.autopilot ? 'online' : remembered.prevStatus
          }
        : null
    const { language, dateLocale } = resolveLocale(user.locale)
    return {
      now,
      zone: user.timeZone,
      dateLocale,
      language,
      state: state === 'synced' && !settings.enabled ? 'disabled' : state,
      optInSite,
      paused: settings.pausedUntil !== null && settings.pausedUntil > now ? settings.pausedUntil : null,
      autopilot: settings.autopilotUntil !== null && settings.autopilotUntil > now ? settings.autopilotUntil : null,
      notify: settings.notify,
      confirm: settings.confirm,
      calendar: calendar ?? null,
      holding,
      steppedBack: remembered?.released === true && remembered.blockEnd > now,
      // Mattermost itself answers `offline` for a status it cannot tell.
      current: statuses?.get(user.mmUserId)?.status ?? 'offline',
      lastError: user.lastError
    }
  }
}
