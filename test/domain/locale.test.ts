// A person's language and date locale from their Mattermost locale (src/domain/locale.ts).
import t from 'tap'
import { LANGUAGES, pickCatalog, resolveLocale } from '../../src/domain'
import type { Language, PersonLocale } from '../../src/domain'

t.test('Mattermost locales: a catalog language (English until more exist) and a date locale luxon knows', async (t) => {
  const cases: [string | null, PersonLocale][] = [
    ['en', { language: 'en', dateLocale: 'en-GB' }],
    ['en-US', { language: 'en', dateLocale: 'en-US' }],
    ['de', { language: 'en', dateLocale: 'de' }],
    ['pt_BR', { language: 'en', dateLocale: 'pt-BR' }],
    ['', { language: 'en', dateLocale: 'en-GB' }],
    [null, { language: 'en', dateLocale: 'en-GB' }],
    ['not a locale!', { language: 'en', dateLocale: 'en-GB' }]
  ]
  for (const [mm, want] of cases) t.same(resolveLocale(mm), want, String(mm))
})

t.test('pickCatalog: the language asked for, English for one without a catalog', async (t) => {
  const catalogs: Record<Language, string> = { en: 'hello' }
  for (const language of LANGUAGES) t.equal(pickCatalog(catalogs, language), catalogs[language])
  t.equal(pickCatalog(catalogs, 'xx' as Language), 'hello')
})
