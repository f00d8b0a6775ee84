import t, { type Test } from 'tap'
import { barChart, lineChart, valueTicks } from '../../../src/http/admin/svg-chart'

const T0 = Date.UTC(2024, 5, 3, 0, 0)
const day = (value: (i: number) => number) => Array.from({ length: 288 }, (_, i) => ({ t: T0 + i * 300_000, v: value(i) }))

/** Well-formed: every tag closed in order, only known entities, no script, style or external reference. */
function checkSvg(t: Test, svg: string): void {
  const stack: string[] = []
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, close, name = '', , selfClose] = m
    if (close) t.equal(stack.pop(), name, `</${name}> closes its element`)
    else if (!selfClose) stack.push(name)
  }
  t.same(stack, [], 'every element closed')
  t.notMatch(svg.replace(/&#\d+;|&(amp|lt|gt|quot|apos);/g, ''), /&/, 'no bare &')
  t.notMatch(svg, /<script|<style|\sstyle=|href=|url\(|\son[a-z]+="/i, 'no script, style or reference')
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/)
}

const polylinePoints = (svg: string): string[] => (/<polyline points="([^"]*)"/.exec(svg)?.[1] ?? '').split(' ').filter(Boolean)
const numbersIn = (svg: string): number[] => [...svg.matchAll(/\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"/g)].map((m) => Number(m[1]))

t.test('a line chart of a day: one point per bucket, hour ticks in the zone, the dashed ceiling', async (t) => {
  const svg = lineChart({ title: 'Mattermost calls', unit: 'per s', points: day((i) => i % 20), ceiling: 20, zone: 'Europe/Berlin' })
  checkSvg(t, svg)
  t.equal(polylinePoints(svg).length, 288)
  t.match(svg, /<title>Mattermost calls \(per s\)<\/title>/)
  t.match(svg, /stroke-dasharray="[^"]+"/, 'dashed ceiling')
  t.match(svg, />ceiling 20 per s</)
  // Midnight UTC is 02:00 in Berlin in June: ticks at 02:00, 05:00, ...
  const hours = [...svg.matchAll(/>(\d\d:00)</g)].map((m) => m[1])
  t.same(hours, ['03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '00:00'])
  t.ok(numbersIn(svg).every(Number.isFinite), 'every coordinate a number')
})

t.test('a bar chart: one bar per point; text is escaped', async (t) => {
  const title = '<img src=x onerror=alert(1)> & "quotes"'
  const svg = barChart({ title, unit: 'per 5 min', points: day((i) => (i === 100 ? 40 : 1)), ceilingLabel: '<b>', ceiling: 30 })
  checkSvg(t, svg)
  t.equal([...svg.matchAll(/<rect [^>]*fill-opacity/g)].length, 288, 'a bar per point')
  t.notMatch(svg, /<img|<b>/)
  t.match(svg, /&#60;img src=x onerror=alert\(1\)&#62; &#38; &#34;quotes&#34;/, 'the title as text')
  t.match(svg, /Highest 40 per 5 min at 08:20/, 'described for screen readers')
})

t.test('edges: no data, all zeros, one point, huge values, NaN', async (t) => {
  const empty = lineChart({ title: 'Sweeps', unit: 's', points: [] })
  checkSvg(t, empty)
  t.match(empty, />no data yet</)
  t.notMatch(empty, /<polyline/)

  const zeros = barChart({ title: 'Graph 429s', unit: '', points: day(() => 0) })
  checkSvg(t, zeros)
  t.match(zeros, /<title>Graph 429s<\/title>/, 'no unit, no brackets')
  t.ok(numbersIn(zeros).every(Number.isFinite))

  const one = lineChart({ title: 'Sweep', unit: 's', points: [{ t: T0, v: 5 }] })
  checkSvg(t, one)
  t.equal(polylinePoints(one).length, 1)
  t.match(one, /<circle /, 'a single point is drawn as a dot')

  const huge = lineChart({ title: 'Huge', unit: '', points: day((i) => (i === 5 ? Number.MAX_VALUE : i === 6 ? Infinity : 1e12)), ceiling: Infinity })
  checkSvg(t, huge)
  t.ok(numbersIn(huge).every(Number.isFinite), 'finite coordinates')
  t.notMatch(huge, /Infinity|NaN|stroke-dasharray/, 'no Infinity or NaN; an infinite ceiling is not drawn')

  const nan = lineChart({ title: 'NaN', unit: '', points: day((i) => (i % 2 ? Number.NaN : -5)), width: Number.NaN, zone: 'Not/AZone' })
  checkSvg(t, nan)
  t.notMatch(nan, /NaN"|"-/, 'NaN and negatives drawn as 0')
  t.match(nan, /viewBox="0 0 640 200"/, 'a nonsense width falls back')
  t.match(nan, />00:00</, 'an unknown zone draws UTC hours')
})

t.test('value ticks: 0 and round steps up to the maximum', async (t) => {
  t.same(valueTicks(0), [0, 1])
  t.same(valueTicks(20), [0, 5, 10, 15, 20])
  t.same(valueTicks(7), [0, 2, 4, 6, 8])
  t.same(valueTicks(1e15), [0, 5e14, 1e15])
})
