import type { GraphAdapter } from '../../graph/create-graph-adapter'
import { GraphAuthError, SIGN_IN_ADVICE } from '../../graph/errors'
import type { SyncedUserStore } from '../services'
import { skipped, type CheckSpec, type Finding } from './setup-check'
import { tokenRoles } from './token-roles'

// Microsoft: a token, the permissions in it, and one getSchedule answered (docs/graph.md).

const CALENDAR_ROLES = ['Calendars.ReadBasic', 'Calendars.Read', 'Calendars.ReadWrite']
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

function rolesFinding(roles: string[] | null): Finding {
  if (roles === null) return { state: 'warn', detail: 'the token is not one whose permissions can be read; calls to Graph show whether they are enough' }
  if (roles.length === 0) {
    return {
      state: 'fail',
      detail: 'the token carries no application permissions: admin consent has not been granted',
      fix: `Press "Grant admin consent" and sign in as a Global Administrator or Privileged Role Administrator.`,
      action: 'consent'
    }
  }
  const missing = [...(roles.some((r) => CALENDAR_ROLES.includes(r)) ? [] : ['Calendars.ReadBasic']), ...(roles.includes(USER_ROLE) ? [] : [USER_ROLE])]
  if (missing.length === 0) return { state: 'ok', detail: `granted: ${roles.join(', ')}` }
  return {
    state: 'fail',
    detail: `missing: ${missing.join(', ')} (granted: ${roles.join(', ')})`,
    fix: `${PORTAL_PERMISSIONS}: ${missing.join(', ')}. Then press "Grant admin consent".`,
    action: 'consent'
  }
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
      return rolesFinding(tokenRoles(got))
    }),
    spec('ms-schedule', 'Calendar read', async () => {
      if (!(await signedIn())) return skipped('no token (see Microsoft sign-in)')
      const email = deps.mailbox ?? (await oneMailbox(deps.users))
      if (!email) {
        return skipped(
          'nobody with a mailbox is enrolled yet; the directory run enrols people hourly and at start',
          'To check one mailbox now: npm run doctor -- --mailbox someone@your-domain'
        )
      }
      const start = deps.now()
      const { results } = await graph!.fetchSchedules([email], { startMs: start, endMs: start + 3_600_000 })
      const result = results.get(email.toLowerCase())
      if (result?.kind === 'schedule') return { state: 'ok', detail: `Graph answered getSchedule for ${email}` }
      const reason = result && 'reason' in result ? result.reason : 'no answer for the mailbox'
      return {
        state: 'fail',
        detail: `getSchedule for ${email} failed: ${reason}`,
        fix: 'Check that the address is a mailbox of this tenant, the Graph permissions above, and any application access policy that limits the app to some mailboxes (docs/graph.md).'
      }
    })
  ]
}
