import type { GraphAdapter } from '../../graph/create-graph-adapter'
import { GraphAuthError, SIGN_IN_ADVICE } from '../../graph/errors'
import type { SyncedUserStore } from '../services'
import { skipped, type CheckSpec, type Finding } from './setup-check'
import { tokenRoles } from './token-roles'

// Microsoft: a token, the permissions in it, and one getSchedule answered (docs/graph.md).

const CALENDAR_ROLES = ['Calendars.ReadBasic', 'Calendars.Read', 'Calendars.ReadWrite']
/** Change-notification subscriptions on events need more than ReadBasic (docs/graph.md#permissions). */
const SUBSCRIPTION_ROLES = ['Calendars.Read', 'Calendars.ReadWrite']
const USER_ROLE = 'User.Read.All'
const PORTAL_PERMISSIONS =
  'In the Entra admin center: App registrations > the calstatus app > API permissions > Add a permission > Microsoft Graph > Application permissions'
const NOT_CONFIGURED = 'Set MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET.'
// How many enrolled people are looked at to find one whose mailbox was found.
const MAILBOX_CANDIDATES = 50

export interface MicrosoftCheckDeps {
  graph: Pick<GraphAdapter, 'tokens' | 'fetchSchedules'> | null
  users: Pick<SyncedUserStore, 'enrolledIds' | 'getMany'>
  now: () => number
  /** the mailbox to ask getSchedule for (`npm run doctor -- --mailbox`); else one of the enrolled people's */
  mailbox?: string | null
  /** PUBLIC_URL is set: the service subscribes to calendar changes, which needs Calendars.Read */
  subscribes?: boolean
}

function signInFinding(err: unknown): Finding {
  if (!(err instanceof GraphAuthError)) throw err
  const code = err.detail ? ` (${err.detail})` : ''
  return {
    state: err.retryable ? 'warn' : 'fail',
    detail: `Microsoft refused the sign-in: ${err.problem}${code}`,
    fix: SIGN_IN_ADVICE[err.problem],
    ...(err.problem === 'consent-missing' ? { action: 'consent' as const } : {})
  }
}

function rolesFinding(roles: string[] | null, subscribes: boolean, scheduleRead: () => Promise<boolean>): Promise<Finding> | Finding {
  if (roles === null) return { state: 'warn', detail: 'the token is not one whose permissions can be read; calls to Graph show whether they are enough' }
  if (roles.length === 0) {
    return {
      state: 'fail',
      detail: 'the token carries no application permissions: admin consent has not been granted',
      fix: `Press "Grant admin consent" and sign in as a Global Administrator or Privileged Role Administrator.`,
      action: 'consent'
    }
  }
  const calendarRole = roles.some((r) => CALENDAR_ROLES.includes(r))
  const wanted = subscribes ? 'Calendars.Read' : 'Calendars.ReadBasic'
  const calendarMissing = !calendarRole || (subscribes && !roles.some((r) => SUBSCRIPTION_ROLES.includes(r)))
  const missing = [...(calendarMissing ? [wanted] : []), ...(roles.includes(USER_ROLE) ? [] : [USER_ROLE])]
  if (missing.length === 0) return { state: 'ok', detail: `granted: ${roles.join(', ')}` }
  const finding: Finding = {
    state: 'fail',
    detail:
      `missing: ${missing.join(', ')} (granted: ${roles.join(', ')})` +
      (calendarMissing && calendarRole ? '; Calendars.ReadBasic reads schedules, but change-notification subscriptions (PUBLIC_URL) need Calendars.Read' : ''),
    fix: `${PORTAL_PERMISSIONS}: ${missing.join(', ')}. Then press "Grant admin consent".`,
    action: 'consent'
  }
  // Scoped with Exchange's RBAC for Applications, the token carries no Calendars role at all, yet
  // reads work (docs/operations.md#scoping-the-app-to-a-group-of-mailboxes): a warning, not a failure.
  if (calendarRole || missing.includes(USER_ROLE)) return finding
  return scheduleRead().then((read) =>
    read
      ? {
          state: 'warn',
          detail: `the token carries no Calendars permission (granted: ${roles.join(', ')}), yet Graph answered getSchedule: the app is scoped in Exchange (RBAC for Applications)`,
          fix: `If you did not scope the app in Exchange: ${PORTAL_PERMISSIONS}: ${wanted}. Then press "Grant admin consent".`
        }
      : finding
  )
}

/** One enrolled person whose mailbox was found, or null. */
async function oneMailbox(users: MicrosoftCheckDeps['users']): Promise<string | null> {
  const ids = (await users.enrolledIds()).slice(0, MAILBOX_CANDIDATES)
  const records = await users.getMany(ids)
  return [...records.values()].find((u) => u.mailbox === 'ok' && u.email)?.email ?? null
}

export function microsoftChecks(deps: MicrosoftCheckDeps): CheckSpec[] {
  const graph = deps.graph
  // One sign-in for all three lines; the two that need a token wait for it and skip without one.
  let token: Promise<string> | null = null
  const getToken = (): Promise<string> => (token ??= graph!.tokens.getToken())
  const signedIn = (): Promise<boolean> =>
    getToken().then(
      () => true,
      () => false
    )
  // One getSchedule for both lines that need it (the permissions line asks only when in doubt).
  type ScheduleRead = { kind: 'nobody' } | { kind: 'read'; email: string } | { kind: 'failed'; email: string; reason: string }
  let schedule: Promise<ScheduleRead> | null = null
  const readSchedule = (): Promise<ScheduleRead> =>
    (schedule ??= (async (): Promise<ScheduleRead> => {
      const email = deps.mailbox ?? (await oneMailbox(deps.users))
      if (!email) return { kind: 'nobody' }
      const start = deps.now()
      const { results } = await graph!.fetchSchedules([email], { startMs: start, endMs: start + 3_600_000 })
      const result = results.get(email.toLowerCase())
      if (result?.kind === 'schedule') return { kind: 'read', email }
      return { kind: 'failed', email, reason: result && 'reason' in result ? result.reason : 'no answer for the mailbox' }
    })())
  const spec = (id: string, title: string, run: () => Promise<Finding>): CheckSpec => ({
    id,
    group: 'microsoft',
    title,
    run: graph ? run : async () => skipped('Microsoft 365 is not configured', NOT_CONFIGURED)
  })
  return [
    spec('ms-token', 'Microsoft sign-in', async () => {
      try {
        await getToken()
        return { state: 'ok', detail: 'the app signed in and got a token for Graph' }
      } catch (err) {
        return signInFinding(err)
      }
    }),
    spec('ms-roles', 'Graph permissions', async () => {
      const got = await getToken().catch(() => null)
      if (got === null) return skipped('no token (see Microsoft sign-in)')
      return rolesFinding(tokenRoles(got), deps.subscribes ?? false, async () => (await readSchedule()).kind === 'read')
    }),
    spec('ms-schedule', 'Calendar read', async () => {
      if (!(await signedIn())) return skipped('no token (see Microsoft sign-in)')
      const read = await readSchedule()
      if (read.kind === 'nobody') {
        return skipped(
          'nobody with a mailbox is enrolled yet; the directory run enrols people hourly and at start',
          'To check one mailbox now: npm run doctor -- --mailbox someone@your-domain'
        )
      }
      const { email } = read
      if (read.kind === 'read') return { state: 'ok', detail: `Graph answered getSchedule for ${email}` }
      const reason = read.reason
      return {
        state: 'fail',
        detail: `getSchedule for ${email} failed: ${reason}`,
        fix: 'Check that the address is a mailbox of this tenant, the Graph permissions above, and any application access policy that limits the app to some mailboxes (docs/graph.md).'
      }
    })
  ]
}
