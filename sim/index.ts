import { randomBytes, randomUUID } from 'node:crypto'
import { startGraphSim, type GraphSim, type GraphSimOptions } from './graph/server'
import { startIdentitySim, type IdentitySim, type IdentitySimOptions } from './identity/server'
import { startMattermostSim, type MattermostSim, type MattermostSimOptions } from './mattermost/server'
import { createTokenRegistry, type TokenRegistry } from './shared/token-registry'
import { simTlsDir } from './shared/tls'
import { join } from 'node:path'

// All three simulators with one call, wired to each other (the Graph simulator accepts only
// tokens the identity simulator issued), plus the environment that points the service at them.
// Tests, benchmarks and the demo use this; the service sees nothing but configuration.

export interface StartSimulatorsOptions {
  graph?: Omit<Partial<GraphSimOptions>, 'tokens'>
  identity?: Omit<Partial<IdentitySimOptions>, 'tokens' | 'tenants' | 'apps'>
  mattermost?: MattermostSimOptions
}

export interface SimPerson {
  username: string
  email: string
  displayName?: string
  timeZone?: string
  /**
   * How they sign in to Mattermost: 'office365' (Entra ID single sign-on, the default: the
   * e-mail comes from Microsoft 365) or '' for e-mail and password.
   */
  authService?: string
}

export interface Simulators {
  identity: IdentitySim
  graph: GraphSim
  mattermost: MattermostSim
  tokens: TokenRegistry
  tenantId: string
  clientId: string
  clientSecret: string
  /** Where the service trusts the simulators' TLS certificate from (NODE_EXTRA_CA_CERTS). */
  caPath: string
  /**
   * MS_TENANT_ID, MS_CLIENT_ID, MS_CLIENT_SECRET, MS_AUTHORITY_HOST, MS_GRAPH_URL, MM_URL,
   * MM_BOT_TOKEN and NODE_EXTRA_CA_CERTS: merge into a process's environment.
   */
  env: Record<string, string>
  /** The same person in Microsoft 365 and in Mattermost (same e-mail). */
  addPerson(p: SimPerson): { mmUserId: string; graphUserId: string }
  stop(): Promise<void>
}

export async function startSimulators(opts: StartSimulatorsOptions = {}): Promise<Simulators> {
  const tokens = createTokenRegistry()
  const tenantId = randomUUID()
  const clientId = randomUUID()
  const clientSecret = `sim~${randomBytes(24).toString('base64url')}`
  // Graph's `/users/{x}` takes an id or a UPN, not a mail address: the strict model by default.
  const graph = await startGraphSim({ userPathByMail: false, ...opts.graph, tokens, tenantId })
  const identity = await startIdentitySim({
    ...opts.identity,
    tokens,
    tenants: [{ id: tenantId, domain: 'demo.calstatus.example' }],
    apps: [{ clientId, secret: clientSecret }],
    graphUrl: graph.url
  })
  const mattermost = await startMattermostSim({
    // The bot needs edit_other_users (and manage_system for admins' statuses): docs/mattermost.md.
    botRoles: 'system_user system_admin',
    ...opts.mattermost
  })
  const caPath = join(simTlsDir(), 'ca.pem')
  const env = {
    MS_TENANT_ID: tenantId,
    MS_CLIENT_ID: clientId,
    MS_CLIENT_SECRET: clientSecret,
    MS_AUTHORITY_HOST: identity.url,
    MS_GRAPH_URL: graph.url,
    MM_URL: mattermost.url,
    MM_BOT_TOKEN: mattermost.botToken,
    NODE_EXTRA_CA_CERTS: caPath
  }
  return {
    identity,
    graph,
    mattermost,
    tokens,
    tenantId,
    clientId,
    clientSecret,
    caPath,
    env,
    addPerson(p) {
      const displayName = p.displayName ?? p.username
      const g = graph.driver.addUser({ mail: p.email, userPrincipalName: p.email, displayName })
      const [first, ...rest] = displayName.split(' ')
      const m = mattermost.driver.addUser({
        username: p.username,
        email: p.email,
        first_name: first ?? '',
        last_name: rest.join(' '),
        authService: p.authService ?? 'office365',
        ...(p.timeZone ? { timezone: { useAutomaticTimezone: 'true', automaticTimezone: p.timeZone, manualTimezone: '' } } : {})
      })
      return { mmUserId: m.id, graphUserId: g.id }
    },
    async stop() {
      await Promise.allSettled([graph.stop(), identity.stop(), mattermost.stop()])
    }
  }
}
