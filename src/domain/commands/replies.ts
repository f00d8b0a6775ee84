import { commandCatalog } from './catalog'
import type { RefusedAction } from './catalog-type'
import type { PersonStatus, ReplyContext } from './status-view'
import { localInstant } from './when'

// The answers to `/calstatus pause`, `resume`, `autopilot`, `on` and `off` (issue 16), once the
// use case has done what they asked.

const untilWords = (ctx: ReplyContext, ms: number): string => commandCatalog(ctx.language).until(localInstant(ms, ctx.now, ctx.zone, ctx.dateLocale))

/** `holding`: the status the service set and leaves in place during the pause (docs/status-rules.md#pause). */
export function pausedText(ctx: ReplyContext, untilMs: number, holding: { status: PersonStatus; until: number } | null): string {
  const c = commandCatalog(ctx.language)
  const held = holding === null ? null : { status: holding.status, at: c.at(localInstant(holding.until, ctx.now, ctx.zone, ctx.dateLocale)) }
  return c.paused(untilWords(ctx, untilMs), held)
}

export function resumedText(ctx: ReplyContext, wasPaused: boolean): string {
  return commandCatalog(ctx.language).resumed(wasPaused)
}

export function autopilotOnText(ctx: ReplyContext, untilMs: number): string {
  return commandCatalog(ctx.language).autopilotOn(untilWords(ctx, untilMs))
}

export function autopilotOffText(ctx: ReplyContext, wasOn: boolean): string {
  return commandCatalog(ctx.language).autopilotOff(wasOn)
}

/** `optInSite`: the site changes only the statuses of people who turned it on. */
export function turnedOnText(ctx: ReplyContext, o: { optInSite: boolean; already: boolean }): string {
  return commandCatalog(ctx.language).turnedOn(o.optInSite, o.already)
}

/** `restored`: the service gave back the status it held. */
export function turnedOffText(ctx: ReplyContext, o: { restored: boolean; already: boolean }): string {
  return commandCatalog(ctx.language).turnedOff(o.restored, o.already)
}

/** A command other than `on` from a person not opted in on an opt-in site. */
export function optInNeededText(ctx: ReplyContext): string {
  return commandCatalog(ctx.language).optInNeeded
}

/** Just turned on or just arrived: the calendar has not been read yet. */
export function notEnrolledText(ctx: ReplyContext): string {
  return commandCatalog(ctx.language).notEnrolled
}

/** A click on one of our buttons or menus that changed nothing, and why. */
export function actionRefusedText(ctx: Pick<ReplyContext, 'language'>, why: RefusedAction): string {
  return commandCatalog(ctx.language).actionRefused[why]
}

/** The first line of the settings message. */
export function settingsIntroText(ctx: Pick<ReplyContext, 'language'>): string {
  return commandCatalog(ctx.language).settings.intro
}

/** `/calstatus settings`: where the panel went. */
export function settingsSentText(ctx: Pick<ReplyContext, 'language'>): string {
  return commandCatalog(ctx.language).settings.sent
}

/** `/calstatus settings` while the panel's post is still waiting its turn at Mattermost. */
export function settingsSoonText(ctx: Pick<ReplyContext, 'language'>): string {
  return commandCatalog(ctx.language).settings.soon
}

/** `/calstatus settings` on a site without PUBLIC_URL: buttons could not call back. */
export function settingsNeedPublicUrlText(ctx: Pick<ReplyContext, 'language'>): string {
  return commandCatalog(ctx.language).settings.needPublicUrl
}
