// Server-rendered admin pages (docs/architecture.md#admin-pages): every interpolated value is
// escaped unless it is a fragment this module built (`Html`), so a display name such as
// `<img src=x onerror=alert(1)>` renders as text.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

/** Markup that is safe to insert as is: built by `html`, or `trusted` around our own SVG. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string)
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[]

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return ''
  if (part instanceof Html) return part.text
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('')
  return escapeHtml(part as string | number | boolean)
}

/** A template whose values are escaped; arrays are joined; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? ''
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '')
  })
  return new Html(out)
}

/** Markup this service generated itself (the SVG charts), never text from outside. */
export function trusted(markup: string): Html {
  return new Html(markup)
}
