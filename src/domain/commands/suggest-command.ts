import { SUB_COMMANDS } from './command'
import type { SubCommand } from './command'

// "Did you mean `pause`?" for `paus`, `pasue`, `settngs`, `stauts` (issue 16).

/** Longer words are no typo of a sub-command, and the distance grows with their square. */
const MAX_WORD = 20

/** The sub-command a mistyped word most likely meant, or null when none is close. */
export function suggestCommand(word: string): SubCommand | null {
  if (word.length < 2 || word.length > MAX_WORD) return null
  const prefixed = SUB_COMMANDS.filter((c) => c.startsWith(word))
  if (prefixed.length === 1) return prefixed[0] as SubCommand
  let best: SubCommand | null = null
  let bestDistance = Infinity
  for (const c of SUB_COMMANDS) {
    // A short sub-command (`on`, `off`) is one typo from many words: allow one edit there.
    const allowed = c.length <= 3 ? 1 : 2
    const d = editDistance(word, c)
    if (d <= allowed && d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours each count one (https://en.wikipedia.org/wiki/Damerau%E2%80%93Levenshtein_distance).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) rows.push([i, ...Array<number>(b.length).fill(0)])
  for (let j = 0; j <= b.length; j++) (rows[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[]
    const up = rows[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1)
      row[j] = d
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}
