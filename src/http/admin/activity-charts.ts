import type { ActivityReport } from '../../app/admin/activity'
import { html, trusted, type Html } from './html'
import { barChart, lineChart } from './svg-chart'

/** The overview's "Last 24 hours": inline SVG drawn here, no script (docs/architecture.md#admin-pages). */
export function activityCharts(r: ActivityReport, zone?: string): Html {
  const chart = (caption: string, svg: string) =>
    html`<figure>
      <figcaption>${caption}</figcaption>
      ${trusted(svg)}
    </figure>`
  const z = zone ? { zone } : {}
  return html`<div class="charts">
    ${chart('Status changes per 5 minutes', barChart({ title: 'Status changes per 5 minutes', unit: 'changes', points: r.statusChanges, ...z }))}
    ${chart('Sweep duration', lineChart({ title: 'Longest sweep in each 5 minutes', unit: 's', points: r.sweepSeconds, ...z }))}
    ${chart('People per sweep', lineChart({ title: 'People in the sweep', unit: 'people', points: r.sweepUsers, ...z }))}
    ${chart('Graph notifications per minute', lineChart({ title: 'Change notifications accepted per minute', unit: '/min', points: r.notificationsPerMinute, ...z }))}
    ${chart(
      'Calls to Mattermost per second, busiest 10 s',
      lineChart({
        title: 'Calls to Mattermost per second (busiest 10 seconds of each 5 minutes)',
        unit: '/s',
        points: r.mattermostBusiestPerSecond,
        ...(r.mattermostCeiling !== null ? { ceiling: r.mattermostCeiling, ceilingLabel: 'MM_MAX_REQUESTS_PER_SECOND' } : {}),
        ...z
      })
    )}
    ${chart('Throttled (429): Graph', barChart({ title: 'Graph answers 429 per 5 minutes', unit: '429s', points: r.graph429s, ...z }))}
    ${chart('Throttled (429): Mattermost', barChart({ title: 'Mattermost answers 429 per 5 minutes', unit: '429s', points: r.mattermost429s, ...z }))}
  </div>`
}
