import type { Availability } from './types'

// Vocabulary of docs/status-rules.md: precedence when items overlap, oof > busy > tentative >
// workingElsewhere > free.
export const PRECEDENCE: Readonly<Record<Availability, number>> = {
  free: 0,
  workingElsewhere: 1,
  tentative: 2,
  busy: 3,
  oof: 4
}

export const AVAILABILITIES: readonly Availability[] = ['free', 'workingElsewhere', 'tentative', 'busy', 'oof']

const BY_LOWER: Readonly<Record<string, Availability>> = {
  free: 'free',
  tentative: 'tentative',
  busy: 'busy',
  oof: 'oof',
  workingelsewhere: 'workingElsewhere',
  // `unknown` counts as free (Vocabulary).
  unknown: 'free'
}

/**
 * Graph's status, compared case-insensitively. A value Graph may add later is read as free,
 * like `unknown`: an item we cannot interpret must not put anyone in Do Not Disturb.
 */
export function normalizeAvailability(status: string | null | undefined): Availability {
  if (typeof status !== 'string') return 'free'
  return BY_LOWER[status.trim().toLowerCase()] ?? 'free'
}
