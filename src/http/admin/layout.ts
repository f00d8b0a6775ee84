import { html, type Html } from './html'

export type Section = 'overview' | 'people' | 'defaults'

/** The frame of every admin page: the navigation, one heading, the content. */
export function layout(o: { title: string; section: Section | null; admin: string; body: Html; flash?: { text: string; error?: boolean } | null }): Html {
  const link = (section: Section, href: string, label: string) =>
    html`<a href="${href}" ${o.section === section ? html` aria-current="page"` : ''}>${label}</a>`
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${o.title} · calstatus admin</title>
        <link rel="stylesheet" href="/admin/assets/admin.css" />
      </head>
      <body>
        <header>
          <strong>calstatus</strong>
          <nav>
            ${link('overview', '/admin', 'Overview')}${link('people', '/admin/people', 'People')}${link('defaults', '/admin/defaults', 'Defaults')}<a
              href="/admin/queues"
              >Queues</a
            >
          </nav>
          <span class="muted">signed in as ${o.admin}</span>
        </header>
        <main>
          ${o.flash ? html`<p class="flash${o.flash.error ? ' error' : ''}" role="status">${o.flash.text}</p>` : ''}
          <h1>${o.title}</h1>
          ${o.body}
        </main>
      </body>
    </html>`
}
