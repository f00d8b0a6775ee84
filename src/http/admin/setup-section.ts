import { SETUP_GROUPS, type SetupCheck } from '../../app/admin/setup-check'
import type { ConsentRecord } from '../../store/consent-store'
import { html, type Html } from './html'

const STATE_WORDS: Record<SetupCheck['state'], string> = { ok: 'OK', warn: 'Check', fail: 'Fix', skipped: '—' }

function actionButton(action: SetupCheck['action']): Html | string {
  if (action === 'consent') return html` <a href="/admin/consent"><button type="button">Grant admin consent</button></a>`
  if (action === 'test-webhook') return html` <a href="/admin#setup"><button type="button" class="secondary">Test the webhook again</button></a>`
  return ''
}

/** The checklist: green and red lines, each red one with its fix and a button where one helps. */
export function setupChecklist(checks: SetupCheck[]): Html {
  return html`<div id="setup">
    ${SETUP_GROUPS.map(([group, label]) => {
      const lines = checks.filter((c) => c.group === group)
      if (lines.length === 0) return ''
      return html`<h3>${label}</h3>
        <ul class="checks">
          ${lines.map(
            (c) =>
              html`<li data-check="${c.id}">
                <span class="state ${c.state}">${STATE_WORDS[c.state]}</span> <strong>${c.title}</strong>:
                ${c.detail}${c.state !== 'ok' && c.fix ? html`<p class="fix">${c.fix}${actionButton(c.action)}</p>` : ''}
              </li>`
          )}
        </ul>`
    })}
  </div>`
}

/** Who consented, when, for which tenant; and the button to do it (again). */
export function consentSection(last: ConsentRecord | null, when: (ms: number) => string): Html {
  const said =
    last === null
      ? html`No admin consent was recorded through this page yet. If statuses already change, consent was given in the Azure portal; otherwise:`
      : last.outcome === 'granted'
        ? html`Granted by ${last.admin} on ${when(last.at)} for tenant
            <code>${last.tenant ?? 'unknown'}</code>${last.tenantCompared ? '' : ' (not compared: MS_TENANT_ID is a domain)'}.`
        : html`Declined on ${when(last.at)} (${last.admin}): ${last.error ?? ''} ${last.errorDescription ?? ''}. Sign in as a Global Administrator or Privileged
          Role Administrator and try again.`
  return html`<h2>Admin consent</h2>
    <p>${said}</p>
    <p>
      <a href="/admin/consent"><button type="button">Grant admin consent</button></a>
      <span class="muted">Opens Microsoft's consent page for this app's permissions (Calendars.Read, User.Read.All), then comes back here.</span>
    </p>`
}
