import type { Problem } from '../../store/problem-store'
import { html, type Html } from './html'
import { when } from './when'

/** The parts of the overview, each present when its use case is configured. */
export interface OverviewParts {
  problems: Problem[]
  /** the list could not be read (Redis away) */
  problemsUnreadable?: boolean
  checklist?: Html
  consent?: Html
  activity?: Html
  zone?: string
}

/** /admin: setup, problems now, the last 24 hours, links (docs/architecture.md#admin-pages). */
export function overviewBody(p: OverviewParts): Html {
  return html`${
      p.checklist
        ? html`<h2>Setup</h2>
            ${p.checklist}`
        : ''
    }
    ${p.consent ?? ''}
    <h2>Problems now</h2>
    ${p.problemsUnreadable ? html`<p class="flash error">Could not read the current problems: Redis did not answer.</p>` : problemsList(p.problems, p.zone)}
    <p class="muted">
      The same problems go to the Mattermost users in <code>ADMIN_MM_USERS</code> by direct message, once an hour each, and when they are fixed.
    </p>
    ${
      p.activity
        ? html`<h2>Last 24 hours</h2>
            ${p.activity}`
        : ''
    }
    <h2>Links</h2>
    <ul>
      <li><a href="/admin/queues">Queues (Bull Board)</a>: every job, waiting, running, failed, and why</li>
      <li><a href="/admin/people">People</a>: who is synced, and why their status is what it is</li>
      <li><a href="/admin/defaults">Defaults for everyone</a></li>
    </ul>`
}

export function problemsList(problems: Problem[], zone?: string): Html {
  if (problems.length === 0) return html`<p>No problems now.</p>`
  const sorted = [...problems].sort((a, b) => b.since - a.since)
  return html`<ul class="checks">
    ${sorted.map(
      (p) =>
        html`<li>
          <span class="state fail">${p.kind}</span> since ${when(p.since, zone)}
          <p class="fix">${p.text}</p>
        </li>`
    )}
  </ul>`
}
