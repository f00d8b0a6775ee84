// The demo's live view: one row per person (calendar now, Mattermost status, custom status,
// next calendar change) and one line per status change. On a TTY the table redraws in place;
// otherwise (a log, CI) only the change lines and a periodic plain table are printed.

export interface ViewRow {
  username: string
  /** free | tentative | busy | oof | workingElsewhere, from the calendar at this instant */
  availability: string
  status: string
  /** ms, when Mattermost will end the DND by itself */
  dndEndsAt: number | null
  customStatus: string
  /** the next start or end on the calendar, ms */
  nextChangeAt: number | null
}

export interface StatusChangeLine {
  time: number
  username: string
  from: string
  to: string
  who: string
  detail?: string
}

const pad = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n))

function clock(ms: number, timeZone?: string): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false, ...(timeZone ? { timeZone } : {}) })
}

function inMinutes(ms: number | null, now: number): string {
  if (ms === null) return '-'
  const s = Math.round((ms - now) / 1000)
  if (s <= 0) return 'now'
  return s < 120 ? `in ${s}s` : `in ${Math.round(s / 60)}m`
}

const STATUS_MARK: Record<string, string> = { online: '🟢 online', away: '🟡 away', dnd: '⛔ dnd', offline: '⚪ offline' }

export function renderTable(rows: ViewRow[], now: number): string {
  const lines = [
    `calstatus demo  ${clock(now)} UTC  (${rows.length} people)`,
    `${pad('user', 17)} ${pad('calendar', 17)} ${pad('mattermost', 22)} ${pad('custom status', 34)} next change`,
    '-'.repeat(104)
  ]
  for (const r of rows) {
    const status = `${STATUS_MARK[r.status] ?? r.status}${r.status === 'dnd' && r.dndEndsAt ? ` →${clock(r.dndEndsAt).slice(0, 5)}` : ''}`
    lines.push(`${pad(r.username, 17)} ${pad(r.availability, 17)} ${pad(status, 22)} ${pad(r.customStatus || '-', 34)} ${inMinutes(r.nextChangeAt, now)}`)
  }
  return lines.join('\n')
}

export function renderChange(c: StatusChangeLine): string {
  return `${clock(c.time)}  ${c.username.padEnd(17)} ${c.from.padEnd(8)} -> ${c.to.padEnd(8)} by ${c.who}${c.detail ? `  ${c.detail}` : ''}`
}

/**
 * Writes the view to a stream. On a TTY: the table on top, redrawn in place, the last change
 * lines beneath it. Elsewhere: change lines as they come, the table every `plainTableEveryMs`.
 */
export function createLiveView(out: NodeJS.WriteStream, opts: { tty?: boolean; keepChanges?: number; plainTableEveryMs?: number } = {}) {
  const tty = opts.tty ?? Boolean(out.isTTY)
  const keep = opts.keepChanges ?? 12
  const recent: string[] = []
  let lastPlainTable = 0
  return {
    tty,
    update(rows: ViewRow[], changes: StatusChangeLine[], now: number): void {
      const lines = changes.map(renderChange)
      if (!tty) {
        for (const l of lines) out.write(`${l}\n`)
        if (now - lastPlainTable >= (opts.plainTableEveryMs ?? 60_000)) {
          lastPlainTable = now
          out.write(`${renderTable(rows, now)}\n`)
        }
        return
      }
      recent.push(...lines)
      recent.splice(0, Math.max(0, recent.length - keep))
      // Home the cursor and clear below: redraw in place without scrolling the terminal.
      out.write(`\x1b[H\x1b[J${renderTable(rows, now)}\n\nstatus changes:\n${recent.join('\n')}\n`)
    },
    message(text: string): void {
      out.write(`${text}\n`)
    }
  }
}
