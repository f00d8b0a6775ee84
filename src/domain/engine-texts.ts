// The words of the engine's texts, one catalog per language (docs/status-rules.md#texts).
// Dates and times are formatted by the callers of these functions, in the person's zone and
// date locale; a catalog only puts words around them.
import { EN_TEXTS } from './engine-texts-en'
import { pickCatalog } from './locale'
import type { Language } from './locale'
import type { Availability, StatusAction } from './types'

/** Who reads a text: their zone and date locale shape times, their language the words. */
export interface Reader {
  zone: string
  /** BCP 47, for luxon */
  locale: string
  language: Language
}

export type StatusName = Readonly<Record<Exclude<StatusAction, 'none'>, string>>

/** What the person's local time of day says first in the day plan. */
export type Greeting = 'morning' | 'afternoon' | 'evening' | 'plain'

export interface EngineTexts {
  statusName: StatusName
  /** "until 15:30", "until Thu 4 Dec, 14:00", "until the end of the day" (times already formatted) */
  until: {
    time: (time: string) => string
    dateTime: (date: string, time: string) => string
    endOfToday: string
    endOf: (date: string) => string
  }
  /** notify `every`: one message per stretch */
  entered: {
    level: Readonly<Record<Availability, string>>
    text: (level: string, until: string, status: string, toOnline: boolean) => string
  }
  /** notify `daily`: the day's plan */
  daily: {
    greeting: Readonly<Record<Greeting, string>>
    /** `status` is null when the plan mixes statuses (each entry then names its own) */
    intro: (status: string | null) => string
    /** the availability in words, for an item without a subject */
    level: Readonly<Record<Availability, string>>
    privateItem: string
    allDay: string
    from: (time: string) => string
    until: (time: string) => string
    range: (start: string, end: string) => string
    entry: (when: string, what: string, status: string | null) => string
    more: (count: number) => string
    after: (toOnline: boolean) => string
  }
  /** "Ask first" */
  confirm: {
    /** what is on, when no subject may be shown */
    level: Readonly<Record<Availability, string>>
    emoji: Readonly<Record<Availability, string>>
    question: (emoji: string, what: string, startsNow: boolean, until: string, status: string) => string
    quoted: (subject: string) => string
    acceptLabel: (status: string, until: string) => string
    declineLabel: string
    acceptedText: (status: string, until: string) => string
    declinedText: string
  }
}

const CATALOGS: Readonly<Record<Language, EngineTexts>> = { en: EN_TEXTS }

export function engineTexts(language: Language): EngineTexts {
  return pickCatalog(CATALOGS, language)
}
