import type { PeopleList } from '../../app/admin/people'
import type { PersonView } from '../../app/admin/person-view'
import { html, type Html } from './html'

type When = (ms: number) => string

function statusText(s: PersonView['mattermostStatus'], when: When): string {
  if (s === 'unknown') return 'unknown (Mattermost did not answer in time)'
  const how = s.status === 'online' || s.manual ? '' : ' (automatic)'
  return `${s.status}${how}${s.dndEndsAt ? `, ends ${when(s.dndEndsAt)}` : ''}`
}

function setText(p: PersonView, when: When): string {
  const set = p.serviceSet
  if (!set) return 'nothing'
  if (set.released) return 'nothing: the person took over for this meeting'
  const parts = [
    set.status ? `${set.status}${set.until ? ` until ${when(set.until)}` : ''}` : null,
    set.customStatus ? `custom status "${set.customStatus.text}"` : null
  ]
  return parts.filter(Boolean).join(', ')
}

function settingsText(p: PersonView): string {
  return p.settingsChanged.length === 0 ? 'as everyone' : p.settingsChanged.map((c) => `${c.setting}: ${String(c.value)}`).join(', ')
}

/** /admin/people: search, a page of rows, the pager. */
export function peopleListBody(list: PeopleList, when: When): Html {
  const link = (page: number) => `/admin/people?q=${encodeURIComponent(list.query)}&page=${page}`
  return html`<form method="get" action="/admin/people" role="search">
      <label for="q">Find a person by the start of their username or e-mail</label>
      <input type="search" id="q" name="q" value="${list.query}" autocomplete="off" /> <input type="submit" value="Search" />
    </form>
    <p class="muted">${list.total} ${list.total === 1 ? 'person' : 'people'}${list.query ? html` matching “${list.query}”` : ''}.</p>
    <table>
      <thead>
        <tr>
          <th>Person</th>
          <th>Mailbox</th>
          <th>Now</th>
          <th>Mattermost status</th>
          <th>calstatus set</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        ${list.people.map(
          (p) =>
            html`<tr>
              <td><a href="/admin/people/${p.mmUserId}">${p.username}</a></td>
              <td>${p.mailbox.email} <span class="muted">(${p.mailbox.label})</span></td>
              <td>${p.availabilityText}</td>
              <td>${statusText(p.mattermostStatus, when)}</td>
              <td>${setText(p, when)}</td>
              <td>${p.lastError ?? ''}</td>
            </tr>`
        )}
      </tbody>
    </table>
    <p class="pager">
      ${list.page > 1 ? html`<a href="${link(list.page - 1)}" rel="prev">← Previous</a>` : ''}<span>Page ${list.page} of ${list.pages}</span>${
        list.page < list.pages ? html`<a href="${link(list.page + 1)}" rel="next">Next →</a>` : ''
      }
    </p>`
}

/** /admin/people/<id>: why their status is what it is, and what an admin can do about it. */
export function personBody(p: PersonView, when: When, csrfField: Html): Html {
  const button = (action: string, label: string, secondary = false) =>
    html`<form class="inline" method="post" action="/admin/people/${p.mmUserId}/${action}">
      ${csrfField}<button type="submit" ${secondary ? html` class="secondary"` : ''}>${label}</button>
    </form>`
  return html`<dl class="person">
      <dt>Mattermost user</dt>
      <dd>${p.username} <span class="muted">${p.mmUserId}</span></dd>
      <dt>Mailbox</dt>
      <dd>${p.mailbox.email} (${p.mailbox.label})</dd>
      <dt>Calendar now</dt>
      <dd>${p.availabilityText}${p.availability ? ` until ${when(p.availability.until)}` : ''}</dd>
      <dt>Mattermost status</dt>
      <dd>${statusText(p.mattermostStatus, when)}</dd>
      <dt>What calstatus set</dt>
      <dd>${setText(p, when)}</dd>
      <dt>Why (last decision)</dt>
      <dd>
        ${
          p.lastReasons.words.length === 0
            ? 'no decision yet'
            : html`<ul>
                ${p.lastReasons.words.map((w) => html`<li>${w}</li>`)}
              </ul>`
        }
      </dd>
      <dt>Next wake-up</dt>
      <dd>${p.nextWakeUpAt ? when(p.nextWakeUpAt) : 'none pending'}</dd>
      <dt>Paused</dt>
      <dd>${p.pausedUntil ? `until ${when(p.pausedUntil)}` : 'no'}</dd>
      <dt>Autopilot</dt>
      <dd>${p.autopilotUntil ? `until ${when(p.autopilotUntil)}` : 'off'}</dd>
      <dt>Own settings</dt>
      <dd>${settingsText(p)}</dd>
      <dt>Last sync</dt>
      <dd>${p.lastSyncAt ? when(p.lastSyncAt) : 'never'}</dd>
      <dt>Last error</dt>
      <dd>${p.lastError ?? 'none'}</dd>
    </dl>
    <p>${button('sync', 'Sync now')} ${p.pausedUntil ? button('resume', 'Resume', true) : button('pause', 'Pause 1 h', true)}</p>
    <p><a href="/admin/people">← All people</a></p>`
}
