import type { Availability, RememberedState } from './types'

/** The status part of the remembered state, empty: the service owns no status. */
export const NO_STATUS = {
  setStatus: null,
  statusEnd: null,
  setDndEndTime: 0,
  prevStatus: null,
  prevManual: false,
  autopilot: false
} as const satisfies Partial<RememberedState>

export function freshRemembered(blockStart: number, blockEnd: number, level: Availability): RememberedState {
  return {
    version: 0,
    blockStart,
    blockEnd,
    level,
    ...NO_STATUS,
    released: false,
    setCustomStatus: null,
    customReleased: false,
    notified: false,
    asked: false
  }
}

/** Whether there is anything worth storing ("Remember nothing" otherwise, rule 1). */
export function worthRemembering(r: RememberedState): boolean {
  return r.setStatus !== null || r.released || r.setCustomStatus !== null || r.customReleased || r.notified || asked(r)
}

/** Stored JSON from before "Ask first" has no `asked`: it reads as false. */
export function asked(r: RememberedState): boolean {
  return (r as Partial<RememberedState>).asked === true
}

export function sameRemembered(a: RememberedState, b: RememberedState): boolean {
  const ca = a.setCustomStatus
  const cb = b.setCustomStatus
  return (
    a.blockStart === b.blockStart &&
    a.blockEnd === b.blockEnd &&
    a.level === b.level &&
    a.setStatus === b.setStatus &&
    a.statusEnd === b.statusEnd &&
    a.setDndEndTime === b.setDndEndTime &&
    a.prevStatus === b.prevStatus &&
    a.prevManual === b.prevManual &&
    a.autopilot === b.autopilot &&
    a.released === b.released &&
    a.customReleased === b.customReleased &&
    a.notified === b.notified &&
    asked(a) === asked(b) &&
    (ca === cb || (ca !== null && cb !== null && ca.emoji === cb.emoji && ca.text === cb.text && ca.expiresAt === cb.expiresAt))
  )
}

/**
 * The state to store: the previous object itself when nothing changed (so the caller can skip
 * the write), otherwise a copy with the next version for the store's compare-and-set.
 */
export function nextRemembered(previous: RememberedState | null, next: RememberedState | null): RememberedState | null {
  if (next === null) return null
  if (previous !== null && sameRemembered(previous, next)) return previous
  return { ...next, version: (previous?.version ?? 0) + 1 }
}
