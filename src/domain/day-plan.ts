import { engineTexts } from './engine-texts'
import type { EngineTexts, Greeting, Reader } from './engine-texts'
import { local, TIME } from './texts'
import type { ScheduleItem, Settings, StatusAction } from './types'

/** One line of the day plan: an item the service will act on. */
export interface PlanEntry {
  item: ScheduleItem
  action: Exclude<StatusAction, 'none'>
}

/** More than this many lines is not read; the rest is counted. */
const MAX_ENTRIES = 8

/** The start and end (epoch ms) of the person's local day around now. */
function localDayBounds(now: number, zone: string): { start: number; end: number } {
  const start = local(now, zone, 'en').startOf('day')
  return { start: start.toMillis(), end: start.plus({ days: 1 }).toMillis() }
}

/**
 * The items of the rest of the person's local day that the service will act on: from now to
 * local midnight, whose availability maps to a status action (docs/status-rules.md#notify).
 */
export function dayPlan(items: readonly ScheduleItem[], settings: Settings, now: number, zone: string): PlanEntry[] {
  const day = localDayBounds(now, zone)
  const out: PlanEntry[] = []
  for (const item of items) {
    const action = settings.mapping[item.availability].status
    if (action === 'none' || item.endMs <= now || item.startMs >= day.end || item.endMs <= item.startMs) continue
    out.push({ item, action })
  }
  return out.sort((a, b) => a.item.startMs - b.item.startMs || a.item.endMs - b.item.endMs)
}

function greeting(now: number, zone: string): Greeting {
  const hour = local(now, zone, 'en').hour
  if (hour >= 5 && hour < 12) return 'morning'
  if (hour >= 12 && hour < 18) return 'afternoon'
  if (hour >= 18 && hour < 23) return 'evening'
  return 'plain'
}

/** "09:30–10:00", "from 22:00", "until 08:00" or "all day", in the person's zone and locale. */
function when(item: ScheduleItem, day: { start: number; end: number }, reader: Reader, words: EngineTexts['daily']): string {
  const time = (ms: number): string => local(ms, reader.zone, reader.locale).toLocaleString(TIME)
  const toEnd = item.endMs >= day.end
  if (item.startMs <= day.start && toEnd) return words.allDay
  if (item.startMs < day.start) return words.until(time(item.endMs))
  if (toEnd) return words.from(time(item.startMs))
  return words.range(time(item.startMs), time(item.endMs))
}

/** The subject for its owner, unless the item is private; no subject: the availability in words. */
function what(item: ScheduleItem, words: EngineTexts['daily']): string {
  if (item.isPrivate) return words.privateItem
  const subject = item.subject?.replace(/\s+/g, ' ').trim() ?? ''
  return subject === '' ? words.level[item.availability] : subject
}

/**
 * The notify `daily` message (docs/status-rules.md#notify): a greeting by the person's time of
 * day, the rest of the day's plan, what happens after each item and how to pause or change it.
 */
export function dailyMessage(items: readonly ScheduleItem[], settings: Settings, now: number, reader: Reader, toOnline: boolean): string {
  const texts = engineTexts(reader.language)
  const words = texts.daily
  const plan = dayPlan(items, settings, now, reader.zone)
  const day = localDayBounds(now, reader.zone)
  const actions = new Set(plan.map((e) => e.action))
  const single = actions.size <= 1 ? ([...actions][0] ?? 'dnd') : null
  const lines = plan
    .slice(0, MAX_ENTRIES)
    .map((e) => words.entry(when(e.item, day, reader, words), what(e.item, words), single === null ? texts.statusName[e.action] : null))
  if (plan.length > MAX_ENTRIES) lines.push(words.more(plan.length - MAX_ENTRIES))
  const intro = `${words.greeting[greeting(now, reader.zone)]} ${words.intro(single === null ? null : texts.statusName[single])}`
  return `${intro}\n${lines.join(' · ')}\n${words.after(toOnline)}`
}
