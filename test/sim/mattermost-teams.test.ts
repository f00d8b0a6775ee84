import t, { type Test } from 'tap'
import { loadOpenApiContract } from '../../sim/mattermost/openapi-contract'
import { startMattermostSim, type MattermostSim } from '../../sim/mattermost/server'

// GET /api/v4/teams and GET /api/v4/commands as the setup check of the /calstatus command uses
// them: who sees which teams and commands, tokens only for those who may manage them, and the
// answers in the shapes Mattermost's OpenAPI spec documents.

const contract = loadOpenApiContract()

async function start(t: Test): Promise<MattermostSim> {
  const sim = await startMattermostSim({ botRoles: 'system_user system_admin', contract: 'enforce' })
  t.teardown(() => sim.stop())
  return sim
}

async function get(sim: MattermostSim, token: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })
  const body: unknown = await res.json()
  // include_total_count's object is described in the parameter's text, not in the response schema.
  if (res.status === 200 && !path.includes('include_total_count'))
    t.same(contract.validateResponse('GET', path.split('?')[0] ?? path, 200, body), [], `${path}: the documented shape`)
  return { status: res.status, body }
}

t.test('a system admin sees the team and every custom command with its token', async (t) => {
  const sim = await start(t)
  const someone = sim.driver.addUser({ username: 'dora' })
  const cmd = sim.driver.registerCommand({ trigger: 'calstatus', url: 'https://c.example.com/mattermost/command', creatorId: someone.id })
  const teams = await get(sim, sim.botToken, '/api/v4/teams?per_page=200')
  t.match(teams, { status: 200, body: [{ id: sim.teamId, name: 'calstatus', type: 'O' }] })
  const counted = await get(sim, sim.botToken, '/api/v4/teams?include_total_count=true')
  t.match(counted.body, { teams: [{ id: sim.teamId }], total_count: 1 })
  const commands = await get(sim, sim.botToken, `/api/v4/commands?team_id=${sim.teamId}&custom_only=true`)
  t.match(commands, {
    status: 200,
    body: [{ id: cmd.id, token: cmd.token, trigger: 'calstatus', method: 'P', url: 'https://c.example.com/mattermost/command', creator_id: someone.id }]
  })
  const elsewhere = await get(sim, sim.botToken, `/api/v4/commands?team_id=${'x'.repeat(26)}&custom_only=true`)
  t.same(elsewhere, { status: 200, body: [] }, 'another team: nothing')
  t.same(sim.contractViolations, [])
})

t.test('a member without manage_own_slash_commands: 403 for custom commands, sanitized autocomplete list otherwise', async (t) => {
  const sim = await start(t)
  const member = sim.driver.addUser({ username: 'eve' })
  const token = sim.driver.createToken(member.id, 'session')
  sim.driver.registerCommand({ trigger: 'calstatus', url: 'https://c.example.com/mattermost/command' })
  const teams = await get(sim, token, '/api/v4/teams')
  t.match(teams, { status: 200, body: [{ id: sim.teamId, email: '', invite_id: '' }] }, 'an open team, sanitized')
  const custom = await get(sim, token, `/api/v4/commands?team_id=${sim.teamId}&custom_only=true`)
  t.match(custom, { status: 403, body: { id: 'api.context.permissions.app_error' } })
  const all = await get(sim, token, `/api/v4/commands?team_id=${sim.teamId}`)
  t.match(all, { status: 200, body: [{ trigger: 'calstatus', token: '', url: '', method: '' }] })
  const otherTeam = await get(sim, token, `/api/v4/commands?team_id=${'x'.repeat(26)}&custom_only=true`)
  t.equal(otherTeam.status, 403, 'view_team on a team they are not in')
  const bad = await get(sim, token, '/api/v4/commands?team_id=nope&custom_only=true')
  t.match(bad, { status: 400, body: { id: /invalid_url_param/ } })
})

t.test('manage_own_slash_commands without manage_others: only their own commands', async (t) => {
  const sim = await start(t)
  sim.driver.defineRole('own_commands', ['manage_own_slash_commands'])
  const maker = sim.driver.addUser({ username: 'fay' })
  sim.driver.setRoles(maker.id, 'system_user own_commands')
  const token = sim.driver.createToken(maker.id, 'session')
  sim.driver.registerCommand({ trigger: 'theirs', url: 'https://c.example.com/a' })
  const mine = sim.driver.registerCommand({ trigger: 'mine', url: 'https://c.example.com/b', creatorId: maker.id })
  const listed = await get(sim, token, `/api/v4/commands?team_id=${sim.teamId}&custom_only=true`)
  t.match(listed, { status: 200, body: [{ id: mine.id, token: mine.token }] })
  t.equal((listed.body as unknown[]).length, 1)
})
