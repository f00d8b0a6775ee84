import { DateTime } from 'luxon'

/**
 * Charts of the admin page as inline SVG strings, rendered on the server: no script, no external
 * reference, no `style` (presentation attributes only, so the page's CSP can forbid inline
 * styles); colours are `currentColor`, so the page's stylesheet decides them. Sizes are viewBox
 * units: the page scales the chart. Every text is escaped (titles may come from configuration).
 */
export interface ChartOptions {
  title: string
  /** what a value counts, e.g. "per s", "users" */
  unit: string
  points: Array<{ t: number; v: number }>
  /** a dashed line with its label, e.g. MM_MAX_REQUESTS_PER_SECOND */
  ceiling?: number | null
  ceilingLabel?: string
  width?: number
  height?: number
  /** IANA zone of the hour ticks (default UTC) */
  zone?: string
}

const MARGIN = { left: 44, right: 12, top: 26, bottom: 22 }
const FONT = 'font-family="sans-serif" font-size="11" fill="currentColor"'

interface Frame {
  width: number
  height: number
  plot: { x: number; y: number; w: number; h: number }
  /** value → y */
  y(v: number): number
  /** index of a point → x of its left edge; a point is `step` wide */
  x(i: number): number
  step: number
}

export function lineChart(opts: ChartOptions): string {
  return chart(opts, (frame, values) => {
    const coords = values.map((v, i) => [num(frame.x(i) + frame.step / 2), num(frame.y(v))] as const)
    const line = `<polyline points="${coords.map(([x, y]) => `${x},${y}`).join(' ')}" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>`
    // A line of one point draws nothing: a dot shows it.
    const [only] = coords
    return coords.length === 1 && only ? `${line}<circle cx="${only[0]}" cy="${only[1]}" r="2.5" fill="currentColor"/>` : line
  })
}

export function barChart(opts: ChartOptions): string {
  return chart(opts, (frame, values) => {
    const gap = frame.step > 3 ? 1 : 0
    return values
      .map((v, i) => {
        const top = frame.y(v)
        return `<rect x="${num(frame.x(i) + gap / 2)}" y="${num(top)}" width="${num(frame.step - gap)}" height="${num(frame.plot.y + frame.plot.h - top)}" fill="currentColor" fill-opacity="0.7"/>`
      })
      .join('')
  })
}

function chart(opts: ChartOptions, marks: (frame: Frame, values: number[]) => string): string {
  const width = size(opts.width, 640)
  const height = size(opts.height, 200)
  const heading = opts.unit ? `${opts.title} (${opts.unit})` : opts.title
  const open = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img"><title>${escapeXml(heading)}</title>`
  const titleText = `<text x="${MARGIN.left}" y="15" ${FONT} font-weight="bold">${escapeXml(heading)}</text>`
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom }
  const box = `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="currentColor" stroke-opacity="0.3"/>`
  if (opts.points.length === 0) {
    const empty = `<text x="${num(plot.x + plot.w / 2)}" y="${num(plot.y + plot.h / 2)}" ${FONT} text-anchor="middle">no data yet</text>`
    return `${open}<desc>no data yet</desc>${titleText}${box}${empty}</svg>`
  }
  const values = opts.points.map((p) => clean(p.v))
  const ceiling = opts.ceiling !== undefined && opts.ceiling !== null && clean(opts.ceiling) > 0 ? clean(opts.ceiling) : null
  const ticks = valueTicks(Math.max(...values, ceiling ?? 0))
  const top = ticks[ticks.length - 1] ?? 1
  const step = plot.w / values.length
  const frame: Frame = {
    width,
    height,
    plot,
    step,
    x: (i) => plot.x + i * step,
    y: (v) => plot.y + plot.h - (Math.min(v, top) / top) * plot.h
  }
  const parts = [
    open,
    `<desc>${escapeXml(describe(opts, values))}</desc>`,
    titleText,
    box,
    valueAxis(frame, ticks),
    hourAxis(frame, opts.points, opts.zone),
    marks(frame, values),
    ceiling === null ? '' : ceilingLine(frame, ceiling, opts.ceilingLabel ?? `ceiling ${formatValue(ceiling)} ${opts.unit}`),
    '</svg>'
  ]
  return parts.join('')
}

function valueAxis(frame: Frame, ticks: number[]): string {
  const { plot } = frame
  return ticks
    .map((tick) => {
      const y = num(frame.y(tick))
      return (
        `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="currentColor" stroke-opacity="0.12"/>` +
        `<text x="${plot.x - 4}" y="${y}" ${FONT} text-anchor="end" dominant-baseline="middle">${formatValue(tick)}</text>`
      )
    })
    .join('')
}

/** Ticks at whole hours in `zone`, every 1, 2, 3, 6 or 12 hours so that about six fit. */
function hourAxis(frame: Frame, points: ChartOptions['points'], zone = 'UTC'): string {
  const first = points[0]?.t ?? 0
  const last = points[points.length - 1]?.t ?? first
  const spanHours = (last - first) / 3600_000
  const every = [1, 2, 3, 6, 12].find((h) => spanHours / h <= 8) ?? 24
  const safeZone = validZone(zone)
  const width = points.length > 1 ? last - first : 1
  const xOf = (t: number): number => frame.plot.x + frame.step / 2 + ((t - first) / width) * (frame.plot.w - frame.step)
  const out: string[] = []
  for (let hour = DateTime.fromMillis(first, { zone: safeZone }).startOf('hour'); hour.toMillis() <= last; hour = hour.plus({ hours: 1 })) {
    if (hour.toMillis() < first || hour.hour % every !== 0) continue
    const x = num(xOf(hour.toMillis()))
    const bottom = frame.plot.y + frame.plot.h
    out.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="currentColor" stroke-opacity="0.5"/>` +
        `<text x="${x}" y="${bottom + 15}" ${FONT} text-anchor="middle">${hour.toFormat('HH:mm')}</text>`
    )
  }
  return out.join('')
}

function ceilingLine(frame: Frame, ceiling: number, label: string): string {
  const { plot } = frame
  const y = num(frame.y(ceiling))
  return (
    `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="currentColor" stroke-width="1" stroke-dasharray="6 4"/>` +
    `<text x="${plot.x + plot.w - 4}" y="${num(Number(y) - 4)}" ${FONT} text-anchor="end">${escapeXml(label)}</text>`
  )
}

/** A text alternative of the picture: the highest value and the latest. */
function describe(opts: ChartOptions, values: number[]): string {
  const highest = Math.max(...values)
  const at = opts.points[values.indexOf(highest)]?.t ?? 0
  const when = DateTime.fromMillis(at, { zone: validZone(opts.zone) }).toFormat('HH:mm')
  return `Highest ${formatValue(highest)} ${opts.unit} at ${when}; latest ${formatValue(values[values.length - 1] ?? 0)} ${opts.unit}.`
}

/** 0, then 1, 2 or 5 × 10^n steps up to the first tick at or above `max`: at most 6 ticks. */
export function valueTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1]
  const rough = max / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power
  const ticks = [0]
  while ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(ticks.length * step)
  return ticks
}

/** 1,234 → "1.2k": short labels that fit beside the axis. */
function formatValue(v: number): string {
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k']
  ]
  for (const [size, suffix] of units) if (Math.abs(v) >= size) return `${trim(v / size)}${suffix}`
  return trim(v)
}

const trim = (v: number): string => String(Number(v.toPrecision(3)))

/** An unknown zone (a typo in configuration) draws UTC hours rather than failing the page. */
const validZone = (zone = 'UTC'): string => (DateTime.now().setZone(zone).isValid ? zone : 'UTC')

/** Far above anything counted, far below where arithmetic on ticks overflows. */
const MAX_VALUE = 1e15
/** Values the chart can draw: not a number or infinite is 0, below 0 is 0 (counts and rates). */
const clean = (v: number): number => (Number.isFinite(v) && v > 0 ? Math.min(v, MAX_VALUE) : 0)
const size = (v: number | undefined, fallback: number): number => (v !== undefined && Number.isFinite(v) && v >= 120 && v <= 4000 ? Math.round(v) : fallback)
const num = (v: number): string => String(Math.round(v * 10) / 10)

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
