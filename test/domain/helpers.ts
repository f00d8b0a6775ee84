// Shared helpers for the rule engine's tests: fixed instants, items, inputs, and a small
// world that applies decisions through the shared Mattermost status model.
import { applyDndExpiry, applyPresence, applySetStatus, initialStatus } from '../../sim/mattermost/status-model'
import type { MmStatusRecord, PresenceEvent } from '../../sim/mattermost/status-model'
import { decide, DEFAULT_SETTINGS, resolveSettings } from '../../src/domain'
import type {
  Availability,
  CustomStatus,
  Decision,
  DecisionInput,
  MmStatus,
  Notice,
  RememberedState,
  ScheduleItem,
  Settings,
  SettingsOverrides
} from '../../src/domain'

/** Monday 16 March 2026, UTC. */
export const DAY = Date.UTC(2026, 2, 16)
export const MIN = 60_000
export const HOUR = 60 * MIN

/** 'HH:MM' (or 'HH:MM:SS') on DAY, UTC; `+1 10:00` for the next day. */
export function T(hhmm: string): number {
  let days = 0
  let rest = hhmm
  const m = /^([+-]\d+) (.*)$/.exec(hhmm)
  if (m) {
    days = Number(m[1])
    rest = m[2] as string
  }
  const [h, mi, se] = rest.split(':').map(Number)
  return DAY + days * 24 * HOUR + (h ?? 0) * HOUR + (mi ?? 0) * MIN + (se ?? 0) * 1000
}

export function item(start: string | number, end: string | number, availability: Availability = 'busy', extra: Partial<ScheduleItem> = {}): ScheduleItem {
  return {
    startMs: typeof start === 'number' ? start : T(start),
    endMs: typeof end === 'number' ? end : T(end),
    availability,
    isPrivate: false,
    ...extra
  }
}

export function settings(over: SettingsOverrides = {}): Settings {
  return resolveSettings(null, over)
}

export function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return {
    now: T('10:00'),
    items: [],
    current: { status: 'online', manual: false, dndEndTime: 0 },
    customStatus: null,
    settings: DEFAULT_SETTINGS,
    remembered: null,
    timeZone: 'UTC',
    ...over
  }
}

export const sec = (ms: number): number => Math.floor(ms / 1000)

/**
 * A user in Mattermost (the shared model) plus what the service remembers. `evaluate` runs one
 * decision and applies it as the sync pipeline would.
 */
export class World {
  mm: MmStatusRecord
  custom: CustomStatus | null = null
  remembered: RememberedState | null = null
  items: ScheduleItem[] = []
  settings: Settings = DEFAULT_SETTINGS
  timeZone = 'UTC'
  locale: string | undefined
  /** the texts of the notices, in order */
  messages: string[] = []
  notices: Notice[] = []
  decisions: Decision[] = []
  /** every write the service made, with the time */
  writes: { at: number; status: MmStatus; dndEndTime?: number }[] = []

  constructor(status: MmStatus = 'online', manual = false, at = T('08:00')) {
    this.mm = initialStatus('u1')
    this.setByUser(status, manual, at)
  }

  /** The user's own status change (PUT /users/{id}/status), or automatic presence for online. */
  setByUser(status: MmStatus, manual = true, at = T('08:00'), dndEndSeconds?: number): this {
    if (status === 'online' || manual) this.mm = applySetStatus(this.mm, status, dndEndSeconds, at)
    else this.mm = { ...this.mm, status, manual: false }
    return this
  }

  presence(event: PresenceEvent, at: number): this {
    this.mm = applyPresence(this.mm, event, at)
    return this
  }

  /** Mattermost's once-a-minute DND expiry job. */
  expire(at: number): this {
    this.mm = applyDndExpiry(this.mm, at)
    return this
  }

  input(now: number, earlyEntryMs?: number): DecisionInput {
    return {
      now,
      ...(earlyEntryMs !== undefined ? { earlyEntryMs } : {}),
      items: this.items,
      current: { status: this.mm.status, manual: this.mm.manual, dndEndTime: this.mm.dnd_end_time },
      customStatus: this.custom,
      settings: this.settings,
      remembered: this.remembered,
      timeZone: this.timeZone,
      ...(this.locale ? { locale: this.locale } : {})
    }
  }

  apply(d: Decision, now: number): void {
    for (const w of d.statusWrites) {
      this.mm = applySetStatus(this.mm, w.status, w.dndEndTime, now)
      this.writes.push({ at: now, ...w })
    }
    if (d.customStatus?.action === 'set') this.custom = { emoji: d.customStatus.emoji, text: d.customStatus.text, expiresAt: d.customStatus.expiresAt }
    else if (d.customStatus?.action === 'clear') this.custom = null
    if (d.message !== null) {
      this.messages.push(d.message.text)
      this.notices.push(d.message)
    }
    this.remembered = d.remembered
  }

  /** With `earlyEntryMs`, as a crowded minute's pre-roll decides (docs/status-rules.md#early-starts). */
  evaluate(now: number, earlyEntryMs?: number): Decision {
    const d = decide(this.input(now, earlyEntryMs))
    this.apply(d, now)
    this.decisions.push(d)
    return d
  }

  /** Run from `from` to `to`: Mattermost's expiry every minute, evaluations at wake-ups and every `sweepMin` minutes. */
  run(from: number, to: number, sweepMin = 5): this {
    let wakeAt: number | null = null
    for (let t = from; t <= to; t += 1000) {
      if ((t - DAY) % MIN === 0) this.expire(t)
      if ((t - DAY) % (sweepMin * MIN) === 0 || (wakeAt !== null && t >= wakeAt)) {
        const d = this.evaluate(t)
        wakeAt = d.nextWakeAt
      }
    }
    return this
  }
}

export { applyDndExpiry, applySetStatus, applyPresence, initialStatus }
