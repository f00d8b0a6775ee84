import type { Language } from '../locale'
import { pickCatalog } from '../locale'
import { EN } from './catalog-en'
import type { CommandCatalog } from './catalog-type'

// Every language has every text (the type checks it); see src/domain/locale.ts.
const CATALOGS: Readonly<Record<Language, CommandCatalog>> = { en: EN }

export function commandCatalog(language: Language): CommandCatalog {
  return pickCatalog(CATALOGS, language)
}
