import { errorMessage } from '../../shared/to-error'
import { redactUrlCredentials } from '../../shared/redact-url-credentials'

/** One line of the admin's setup checklist (and of `npm run doctor`). */
export interface SetupCheck {
  /** stable, e.g. 'ms-token' */
  id: string
  group: 'configuration' | 'microsoft' | 'mattermost' | 'webhook' | 'redis'
  state: 'ok' | 'warn' | 'fail' | 'skipped'
  /** e.g. "Microsoft sign-in" */
  title: string
  /** what was seen, in plain words, never a secret */
  detail: string
  /** what to do when not ok: variable names, portal steps */
  fix?: string
  /** a button the page offers for this line */
  action?: 'consent' | 'test-webhook'
}

/** The groups in the order they are shown, with their headings (admin page and doctor alike). */
export const SETUP_GROUPS: ReadonlyArray<readonly [SetupCheck['group'], string]> = [
  ['configuration', 'Configuration'],
  ['microsoft', 'Microsoft 365'],
  ['mattermost', 'Mattermost'],
  ['webhook', 'Change notifications (webhook)'],
  ['redis', 'Redis']
]

/** What a check finds; the runner adds id, group and title. */
export type Finding = Pick<SetupCheck, 'state' | 'detail'> & Partial<Pick<SetupCheck, 'fix' | 'action'>>

export interface CheckSpec {
  id: string
  group: SetupCheck['group']
  title: string
  run: () => Promise<Finding>
}

/** The fix of a check that timed out or met an error it does not name a fix for: where the call went. */
const UNANSWERED_FIX: Record<SetupCheck['group'], string> = {
  configuration: 'See docs/configuration.md.',
  microsoft: "Check this server's network path to MS_AUTHORITY_HOST and MS_GRAPH_URL (a proxy or firewall), and Microsoft's service health.",
  mattermost: "Check MM_URL and this server's network path to it.",
  webhook: 'Check that PUBLIC_URL reaches the web process.',
  redis: 'Check REDIS_URL and that Redis answers.'
}

/**
 * A check within its time budget, never throwing: a timeout or an error is the line's answer,
 * with the fix its group suggests.
 * The error's message is shown with any URL credentials removed (our own errors carry no secret).
 */
export async function runCheck(spec: CheckSpec, budgetMs: number): Promise<SetupCheck> {
  const base = { id: spec.id, group: spec.group, title: spec.title }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<Finding>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'fail', detail: `no answer within ${Math.round(budgetMs / 1000)} s`, fix: UNANSWERED_FIX[spec.group] }), budgetMs)
  })
  try {
    const finding = await Promise.race([spec.run(), timeout])
    return { ...base, ...finding }
  } catch (err) {
    return { ...base, state: 'fail', detail: redactUrlCredentials(errorMessage(err)), fix: UNANSWERED_FIX[spec.group] }
  } finally {
    clearTimeout(timer)
  }
}

export const skipped = (detail: string, fix?: string): Finding => ({ state: 'skipped', detail, ...(fix ? { fix } : {}) })
