// The admin pages' one stylesheet, served from /admin/assets/admin.css so the pages' CSP can
// forbid inline styles (docs/architecture.md#admin-pages). Plain CSS, no build step.
export const ADMIN_CSS = `
:root { --fg: #1d1d1f; --muted: #6b6b70; --line: #d8d8dc; --ok: #1a7f37; --warn: #9a6700; --fail: #cf222e; --bg: #fff; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .8rem 1.5rem; border-bottom: 1px solid var(--line); }
header strong { font-size: 1.1rem; }
header nav a { margin-right: 1rem; color: var(--accent); text-decoration: none; }
header nav a[aria-current="page"] { font-weight: 600; text-decoration: underline; }
main { padding: 1rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
.muted { color: var(--muted); }
.flash { padding: .6rem .8rem; border: 1px solid var(--line); border-left: 4px solid var(--accent); margin: 0 0 1rem; }
.flash.error { border-left-color: var(--fail); }
ul.checks { list-style: none; padding: 0; margin: 0; }
ul.checks li { padding: .45rem 0; border-bottom: 1px solid var(--line); }
.state { display: inline-block; min-width: 3.2rem; font-weight: 600; }
.state.ok { color: var(--ok); } .state.warn { color: var(--warn); } .state.fail { color: var(--fail); } .state.skipped { color: var(--muted); }
.fix { margin: .2rem 0 0 3.6rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
form.inline { display: inline; }
button, input[type=submit] { font: inherit; padding: .3rem .8rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
input[type=search], select, input[type=number] { font: inherit; padding: .25rem .4rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1rem; }
.charts figure { margin: 0; } .charts figcaption { font-weight: 600; margin-bottom: .2rem; }
.pager { margin: .8rem 0; display: flex; gap: 1rem; align-items: center; }
dl.person { display: grid; grid-template-columns: 14rem 1fr; gap: .3rem 1rem; }
dl.person dt { color: var(--muted); }
`
