import { PRECEDENCE, type ScheduleItem, type Settings } from '../../domain'

/** A calendar entry as `/calstatus` describes it to its owner. */
export interface Meeting {
  start: number
  end: number
  level: 'busy' | 'tentative' | 'oof' | 'workingElsewhere'
  subject?: string
  private: boolean
  action: 'dnd' | 'away' | 'offline' | 'none'
}

/** The entries the service acts on: the one on now (the weightiest), the next to start, and when the person is free until. */
export interface MeetingsAround {
  now: Meeting | null
  next: Meeting | null
  /** the next start of an entry the service acts on, when nothing is on now */
  freeUntil: number | null
}

function meeting(item: ScheduleItem, settings: Settings): Meeting | null {
  if (item.availability === 'free') return null
  const entry = settings.mapping[item.availability]
  const acts = entry.status !== 'none' || (settings.customStatus && entry.customStatus !== null)
  if (!acts) return null
  return {
    start: item.startMs,
    end: item.endMs,
    level: item.availability,
    ...(item.subject !== undefined && !item.isPrivate ? { subject: item.subject } : {}),
    private: item.isPrivate,
    action: entry.status
  }
}

/** The person's own view of their calendar around `now` (pure: the items and settings are inputs). */
export function meetingsAround(items: readonly ScheduleItem[], settings: Settings, now: number): MeetingsAround {
  let current: Meeting | null = null
  let next: Meeting | null = null
  for (const item of items) {
    const m = meeting(item, settings)
    if (!m) continue
    if (m.start <= now && m.end > now) {
      if (!current || PRECEDENCE[m.level] > PRECEDENCE[current.level] || (m.level === current.level && m.end > current.end)) current = m
    } else if (m.start > now && (!next || m.start < next.start)) next = m
  }
  return { now: current, next, freeUntil: current ? null : (next?.start ?? null) }
}
