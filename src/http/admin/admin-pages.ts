import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DefaultsChange } from '../../store/defaults-audit-store'
import type { DefaultsRow } from '../../app/admin/admin-defaults'
import type { AdminUseCases } from '../../app/admin/create-admin-use-cases'
import { activityCharts } from './activity-charts'
import { overviewBody } from './overview-page'
import { peopleListBody, personBody } from './people-pages'
import { consentSection, setupChecklist } from './setup-section'
import { HttpError } from '../errors'
import { MATTERMOST_ID } from '../mattermost-id'
import { acceptForms } from '../form-body'
import { ADMIN_CSS } from './admin-css'
import type { Csrf } from './csrf'
import { html, type Html } from './html'
import { when } from './when'
import { layout, type Section } from './layout'

// The admin pages (issue 17; docs/architecture.md#admin-pages), behind the basic auth of
// src/http/routes/admin.ts: server-rendered HTML readable without JavaScript, every value escaped,
// a strict CSP, a CSRF token in every form, and what each page shows from a use case.

export interface AdminPageDeps {
  admin: string
  csrf: Csrf
  useCases: AdminUseCases
  /** the zone times are shown in (the server's, unless set) */
  zone?: string
}

/** No script, no inline style, no framing, forms to ourselves only. */
export const ADMIN_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

export function sendPage(reply: FastifyReply, o: Parameters<typeof layout>[0], status = 200) {
  return reply
    .code(status)
    .header('content-security-policy', ADMIN_CSP)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(layout(o).text)
}

/** A form post: the CSRF token checked, and from our own pages when the browser says where from. */
export function checkForm(request: FastifyRequest, deps: Pick<AdminPageDeps, 'csrf' | 'admin'>): Record<string, unknown> {
  const form = request.body
  if (typeof form !== 'object' || form === null) throw new HttpError(400, 'expected a form')
  const site = request.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'a form of another site: refused (CSRF)')
  if (!deps.csrf.check(deps.admin, (form as Record<string, unknown>)['_csrf']))
    throw new HttpError(403, 'the form is too old or not from this page: reload the page and try again')
  return form as Record<string, unknown>
}

export function csrfField(deps: Pick<AdminPageDeps, 'csrf' | 'admin'>): Html {
  return html`<input type="hidden" name="_csrf" value="${deps.csrf.token(deps.admin)}" />`
}

function defaultsPage(deps: AdminPageDeps, rows: DefaultsRow[], audit: DefaultsChange[], errors: string[]): Html {
  return html`<p>What happens for everyone who has not chosen otherwise with <code>/calstatus settings</code>. A change applies at once.</p>
    ${
      errors.length > 0
        ? html`<div class="flash error" role="alert">
            <p>Nothing was saved:</p>
            <ul>
              ${errors.map((e) => html`<li>${e}</li>`)}
            </ul>
          </div>`
        : ''
    }
    <form method="post" action="/admin/defaults">
      ${csrfField(deps)}
      <table>
        <thead>
          <tr>
            <th>Setting</th>
            <th>Value</th>
            <th>From</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                <td><label for="d-${r.key}">${r.label}</label></td>
                <td>
                  <select id="d-${r.key}" name="${r.key}">
                    ${r.options.map((o) => html`<option value="${o.value}" ${o.value === r.value ? html` selected` : ''}>${o.label}</option>`)}
                  </select>
                </td>
                <td class="muted">${r.source}</td>
              </tr>`
          )}
        </tbody>
      </table>
      <p><input type="submit" value="Save defaults" /></p>
    </form>
    <h2>Changes</h2>
    ${
      audit.length === 0
        ? html`<p class="muted">No changes saved here yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
              </tr>
            </thead>
            <tbody>
              ${audit.map(
                (a) =>
                  html`<tr>
                    <td>${when(a.at, deps.zone)}</td>
                    <td>${a.by}</td>
                    <td>${a.changes.map((c) => html`${c.setting}: ${c.from} → ${c.to}<br />`)}</td>
                  </tr>`
              )}
            </tbody>
          </table>`
    }`
}

export async function adminPages(app: FastifyInstance, deps: AdminPageDeps): Promise<void> {
  const u = deps.useCases
  const at = (ms: number) => when(ms, deps.zone)
  acceptForms(app)
  const page = (reply: FastifyReply, section: Section | null, title: string, body: Html, flash?: { text: string; error?: boolean } | null, status = 200) =>
    sendPage(reply, { title, section, admin: deps.admin, body, flash: flash ?? null }, status)

  app.get('/assets/admin.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(ADMIN_CSS))

  // The page admins open when something is wrong: each part that cannot be read says so, and the
  // rest still shows (the checklist's own lines say what is wrong with Redis).
  app.get('/', async (request, reply) => {
    const part = <T>(what: string, work: Promise<T>): Promise<T | null> =>
      work.catch((err: unknown) => {
        request.log.warn({ err, part: what }, 'an admin overview part could not be read')
        return null
      })
    const [problems, activity, checks, lastConsent] = await Promise.all([
      part('problems', u.problems()),
      part('activity', u.activity.readLast24h(Date.now())),
      part('checklist', u.setup.check()),
      part('consent', u.lastConsent())
    ])
    const unreadable = (what: string) => html`<p class="flash error">Could not read ${what} (Redis did not answer): see the log.</p>`
    const body = overviewBody({
      problems: problems ?? [],
      problemsUnreadable: problems === null,
      zone: deps.zone,
      checklist: checks ? setupChecklist(checks) : unreadable('the checklist'),
      consent: consentSection(lastConsent, at),
      activity: activity ? activityCharts(activity, deps.zone) : unreadable('the activity')
    })
    return page(reply, 'overview', 'Overview', body)
  })

  app.get('/defaults', async (request, reply) => {
    const { rows, audit } = await u.defaults.view()
    const saved = (request.query as Record<string, string | undefined>)['saved']
    const flash =
      saved === undefined ? null : { text: saved === '0' ? 'Nothing changed.' : `Saved: ${Number(saved) || 0} setting(s) changed, applying to everyone now.` }
    return page(reply, 'defaults', 'Defaults for everyone', defaultsPage(deps, rows, audit, []), flash)
  })
  app.post('/defaults', async (request, reply) => {
    const form = checkForm(request, deps)
    const result = await u.defaults.save(deps.admin, form)
    if (result.ok) return reply.redirect(`/admin/defaults?saved=${result.changed}`, 303)
    const { rows, audit } = await u.defaults.view()
    return page(reply, 'defaults', 'Defaults for everyone', defaultsPage(deps, rows, audit, result.errors), null, 400)
  })

  app.get('/people', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>
    const query = (q['q'] ?? '').trim().slice(0, 100)
    const pageNo = Math.max(1, Math.min(1_000_000, Number.parseInt(q['page'] ?? '1', 10) || 1))
    return page(reply, 'people', 'People', peopleListBody(await u.people.listPeople(query, pageNo), at))
  })
  app.get('/people/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id
    if (!MATTERMOST_ID.test(id)) throw new HttpError(400, 'not a Mattermost user id (26 letters and digits)')
    const person = await u.people.person(id)
    if (!person) throw new HttpError(404, 'nobody with this id is synced (left, opted out, or never enrolled)')
    const done = (request.query as Record<string, string | undefined>)['done']
    const flash = done ? { text: DONE[done] ?? 'Done.' } : null
    return page(reply, 'people', person.username, personBody(person, at, csrfField(deps)), flash)
  })
  for (const action of ['sync', 'pause', 'resume'] as const) {
    app.post(`/people/:id/${action}`, async (request, reply) => {
      checkForm(request, deps)
      const id = (request.params as { id: string }).id
      if (!MATTERMOST_ID.test(id)) throw new HttpError(400, 'not a Mattermost user id (26 letters and digits)')
      const run = { sync: u.personActions.syncNow, pause: u.personActions.pause, resume: u.personActions.resume }[action]
      if (!(await run(id))) throw new HttpError(404, 'nobody with this id is synced')
      return reply.redirect(`/admin/people/${id}?done=${action}`, 303)
    })
  }

  app.get('/consent', async (_request, reply) => {
    const start = await u.consent.start(deps.admin)
    if (start.ok) return reply.redirect(start.url, 302)
    return page(
      reply,
      'overview',
      'Admin consent',
      html`<p>${start.message}</p>
        <p><a href="/admin">← Overview</a></p>`,
      { text: `Set ${start.variable} first.`, error: true },
      400
    )
  })
  app.get('/consent/callback', async (request, reply) => {
    const outcome = await u.consent.callback(request.query as Record<string, string | undefined>, deps.admin)
    const body = html`<p>${outcome.message}</p>
      <p><a href="/admin">← Overview</a></p>`
    if (outcome.kind === 'refused') return page(reply, 'overview', 'Admin consent', body, { text: 'Nothing was recorded.', error: true }, 400)
    return page(reply, 'overview', 'Admin consent', body, {
      text: outcome.kind === 'granted' ? 'Consent granted.' : 'Consent declined.',
      error: outcome.kind !== 'granted'
    })
  })
}

const DONE: Record<string, string> = {
  sync: 'A sync of this person is queued: reload in a few seconds.',
  pause: 'Paused for an hour: calstatus leaves their status alone.',
  resume: 'Resumed: calstatus follows their calendar again.'
}
