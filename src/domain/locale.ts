// Which language a person reads and how their dates and times are written
// (docs/status-rules.md#texts). Mattermost stores a locale per user (`en`, `de`, `pt-BR`, ...).
// Words come from a catalog per language, English complete; a language without a catalog reads
// English. Dates and times always follow the person's own locale (luxon, Intl), so a German
// reader gets 24-hour times even before a German catalog exists.

/** The languages with a catalog of texts. Add one here and in each catalog to translate. */
export const LANGUAGES = ['en'] as const
export type Language = (typeof LANGUAGES)[number]

export interface PersonLocale {
  /** the catalog to read words from */
  language: Language
  /** BCP 47 tag for luxon's date and time formats */
  dateLocale: string
}

/**
 * Mattermost's `en` is written with a 24-hour clock here (en-GB), as the service always did;
 * an unknown or malformed locale falls back to it.
 */
export const DEFAULT_DATE_LOCALE = 'en-GB'

const TAG = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/

export function resolveLocale(mmLocale: string | null | undefined): PersonLocale {
  const tag = typeof mmLocale === 'string' && TAG.test(mmLocale.trim()) ? mmLocale.trim().replace(/_/g, '-') : ''
  const base = tag.split('-')[0]?.toLowerCase() ?? ''
  const language = (LANGUAGES as readonly string[]).includes(base) ? (base as Language) : 'en'
  const dateLocale = tag === '' || tag.toLowerCase() === 'en' ? DEFAULT_DATE_LOCALE : supported(tag) ? tag : DEFAULT_DATE_LOCALE
  return { language, dateLocale }
}

function supported(tag: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0
  } catch {
    return false
  }
}

/** The catalog for a language: every language has every key (the type checks it). */
export function pickCatalog<T>(catalogs: Readonly<Record<Language, T>>, language: Language): T {
  return catalogs[language] ?? catalogs.en
}
