// /calstatus reply time: how long Mattermost waits for the answer to a slash command (issue 16:
// "ephemeral replies within 1 s"). The real web process (bench/_ingest-target.ts in `calstatus`
// mode) with its own Redis; the simulators in this process; the Mattermost simulator sends each
// command over HTTP exactly as Mattermost does and times the answer (IntegrationReply.durationMs).
// 500 people with a meeting now and one later; 10 people type at once; every kind of command,
// `status` included (it reads the calendar from Graph and the status from Mattermost live, with a
// 700 ms budget). No worker runs: what a command starts waits in the queue, as it would behind a
// busy worker, and does not change the reply time.
import { fork } from 'node:child_process'
import path from 'node:path'
import { Redis } from 'ioredis'
import { startSimulators } from '../sim/index'
import { freePort, startPrivateRedis } from '../sim/private-redis'
import { createUserStore } from '../src/store/user-store'
import { childProcesses, figure, runStandalone, type BenchResult, type Figure } from './_shared'

const PEOPLE = 500
const ROUNDS = 3
const PER_ROUND = 600
const AT_ONCE = 10
const COMMANDS = ['', 'status', 'pause 1h', 'resume', 'autopilot until 17:00', 'autopilot off', 'settings', 'help', 'paus 1h', 'on']
const children = childProcesses()

function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN
}

export async function run(): Promise<BenchResult> {
  const redis = await startPrivateRedis()
  const sims = await startSimulators({ mattermost: { config: { allowedUntrustedInternalConnections: ['127.0.0.1'] }, dndExpiryPeriodMs: 0 } })
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const command = sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: `${publicUrl}/mattermost/command` })
  const prefix = '{bench}'
  const state = new Redis(redis.url)
  const users = createUserStore(state, prefix)
  const ids: string[] = []
  const now = Date.now()
  for (let i = 0; i < PEOPLE; i++) {
    const p = sims.addPerson({ username: `person${i}`, email: `p${i}@example.com`, timeZone: 'Europe/Berlin' })
    sims.graph.driver.addEvent(p.graphUserId, { start: now - 600_000, end: now + 3600_000, showAs: 'busy', subject: `Meeting ${i}` })
    sims.graph.driver.addEvent(p.graphUserId, { start: now + 7200_000, end: now + 9000_000, showAs: 'tentative', subject: 'Later' })
    ids.push(p.mmUserId)
  }
  await users.upsertFromDirectory(
    ids.map((id, i) => ({ mmUserId: id, email: `p${i}@example.com`, username: `person${i}`, timeZone: 'Europe/Berlin', locale: 'en', isSystemAdmin: false }))
  )
  const graphIds = new Map(sims.graph.driver.users().map((u) => [u.mail, u.id]))
  await users.setGraphIdentities(ids.map((id, i) => ({ mmUserId: id, graphUserId: graphIds.get(`p${i}@example.com`) ?? null, mailbox: 'ok' as const })))

  const child = fork(path.join(__dirname, '_ingest-target.js'), ['calstatus'], {
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      ...sims.env,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      MM_COMMAND_TOKEN: command.token,
      MM_MAX_REQUESTS_PER_SECOND: '1000',
      LOG_LEVEL: 'warn'
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
  children.track(child)
  let stderr = ''
  child.stderr?.on('data', (d) => (stderr += String(d)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web did not start: ${stderr}`)), 20_000)
    child.once('message', () => {
      clearTimeout(timer)
      resolve()
    })
  })

  const byKind = new Map<string, number[]>()
  const p50s: number[] = []
  const p99s: number[] = []
  let non200 = 0
  let n = 0
  for (let round = 0; round < ROUNDS; round++) {
    const samples: number[] = []
    for (let i = 0; i < PER_ROUND; i += AT_ONCE) {
      await Promise.all(
        Array.from({ length: AT_ONCE }, async () => {
          const text = COMMANDS[n % COMMANDS.length] ?? ''
          const userId = ids[(n * 7) % ids.length] as string
          n += 1
          const r = await sims.mattermost.driver.executeCommand({ userId, command: `/calstatus ${text}` })
          if (r.reply.status !== 200) non200 += 1
          samples.push(r.reply.durationMs)
          const kind = text.split(' ')[0] || 'status'
          byKind.set(kind, [...(byKind.get(kind) ?? []), r.reply.durationMs])
        })
      )
    }
    p50s.push(percentile(samples, 50))
    p99s.push(percentile(samples, 99))
  }
  await children.stop(child, () => (child.connected ? child.send('stop') : child.kill('SIGTERM')), 10_000)
  state.disconnect()
  await sims.stop()
  await redis.stop()
  const figures: Record<string, Figure> = {
    'reply time p50 (per round)': figure(p50s, 'ms'),
    'reply time p99 (per round)': figure(p99s, 'ms')
  }
  for (const [kind, samples] of byKind) figures[`${kind}: p99 over all rounds`] = figure([percentile(samples, 99)], 'ms')
  return {
    name: 'Slash command reply time',
    figures,
    notes: [
      `${PEOPLE} people in a meeting; ${ROUNDS} rounds of ${PER_ROUND} commands, ${AT_ONCE} at once, every kind in turn; ${non200} answers other than 200`,
      'the time Mattermost waits: from sending the form to the whole answer, as the Mattermost simulator measures it',
      'status reads Graph (getSchedule, one mailbox) and Mattermost live within a 700 ms budget; settings posts the panel as a DM'
    ]
  }
}

if (require.main === module) runStandalone(run)
