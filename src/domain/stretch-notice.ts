import { dailyMessage } from './day-plan'
import type { DecideContext } from './decide-context'
import { enteredMessage } from './entered-message'
import { localDay } from './texts'
import type { Availability, Notice, StatusAction } from './types'

/**
 * The notice for a stretch the service just entered with a status write
 * (docs/status-rules.md#notify): `every` says what it set, `daily` gives the day's plan (the
 * caller sends one per local day), `off` says nothing.
 */
export function stretchNotice(ctx: DecideContext, level: Availability, action: Exclude<StatusAction, 'none'>, endMs: number, toOnline: boolean): Notice | null {
  const mode = ctx.settings.notify
  if (mode === 'every') return { kind: 'entered', text: enteredMessage(level, action, endMs, ctx.now, ctx, toOnline) }
  if (mode === 'daily') return { kind: 'daily', text: dailyMessage(ctx.items, ctx.settings, ctx.now, ctx, toOnline), day: localDay(ctx.now, ctx.zone) }
  return null
}
