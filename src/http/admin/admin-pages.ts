import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DateTime } from 'luxon'
import type { Problem } from '../../store/problem-store'
import type { DefaultsChange } from '../../store/defaults-audit-store'
import type { DefaultsRow, SaveResult } from '../../app/admin/admin-defaults'
import { HttpError } from '../errors'
import { acceptForms } from '../form-body'
import { ADMIN_CSS } from './admin-css'
import type { Csrf } from './csrf'
import { html, type Html } from './html'
import { layout, type Section } from './layout'

// The admin pages (issue 17; docs/architecture.md#admin-pages), behind the basic auth of
// src/http/routes/admin.ts: server-rendered HTML readable without JavaScript, every value escaped,
// a strict CSP, a CSRF token in every form, and what each page shows from a use case.

export interface AdminPageDeps {
  admin: string
  csrf: Csrf
  problems(): Promise<Problem[]>
  defaults: {
    view(): Promise<{ rows: DefaultsRow[]; audit: DefaultsChange[] }>
    save(admin: string, form: Record<string, unknown>): Promise<SaveResult>
  }
  /** the zone times are shown in (the server's, unless set) */
  zone?: string
}

/** No script, no inline style, no framing, forms to ourselves only. */
export const ADMIN_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

export function when(ms: number, zone?: string): string {
  return DateTime.fromMillis(ms, { zone: zone ?? 'local' }).toFormat('yyyy-MM-dd HH:mm')
}

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

function problemsList(problems: Problem[], zone?: string): Html {
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

export async function adminPages(
  app: FastifyInstance,
  deps: AdminPageDeps & { overview(request: FastifyRequest): Promise<Html>; extra?: (app: FastifyInstance) => Promise<void> }
): Promise<void> {
  acceptForms(app)
  const page = (reply: FastifyReply, section: Section | null, title: string, body: Html, flash?: { text: string; error?: boolean } | null, status = 200) =>
    sendPage(reply, { title, section, admin: deps.admin, body, flash: flash ?? null }, status)

  app.get('/assets/admin.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(ADMIN_CSS))

  app.get('/', async (request, reply) => page(reply, 'overview', 'Overview', await deps.overview(request)))

  app.get('/defaults', async (request, reply) => {
    const { rows, audit } = await deps.defaults.view()
    const saved = (request.query as Record<string, string | undefined>)['saved']
    const flash =
      saved === undefined ? null : { text: saved === '0' ? 'Nothing changed.' : `Saved: ${Number(saved) || 0} setting(s) changed, applying to everyone now.` }
    return page(reply, 'defaults', 'Defaults for everyone', defaultsPage(deps, rows, audit, []), flash)
  })
  app.post('/defaults', async (request, reply) => {
    const form = checkForm(request, deps)
    const result = await deps.defaults.save(deps.admin, form)
    if (result.ok) return reply.redirect(`/admin/defaults?saved=${result.changed}`, 303)
    const { rows, audit } = await deps.defaults.view()
    return page(reply, 'defaults', 'Defaults for everyone', defaultsPage(deps, rows, audit, result.errors), null, 400)
  })
  await deps.extra?.(app)
}

export { problemsList }
