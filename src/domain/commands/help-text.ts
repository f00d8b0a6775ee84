import type { Language } from '../locale'
import type { InvalidInput } from './command'
import { commandCatalog } from './catalog'
import { quoteInput } from './quote-input'

/** `/calstatus help`: every sub-command with an example; `moreUrl` is where to learn more, when the site has a page. */
export function helpText(language: Language = 'en', moreUrl: string | null = null): string {
  return commandCatalog(language).help(moreUrl)
}

/** What was wrong with a command and what to type instead. */
export function invalidText(problem: InvalidInput, language: Language = 'en'): string {
  const input = 'input' in problem ? problem.input : ''
  return commandCatalog(language).invalid(problem, quoteInput(input))
}
