// `npm run demo` (and `npm start` with nothing configured, scripts/start.js): the whole service
// against the simulators. The web and worker processes are the production entries (the Procfile's), started
// with an environment that points them at the simulators: the demo exercises the same code paths
// as production; only the endpoints differ.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startSimulators, type Simulators } from '../sim/index'
import { freePort, redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../sim/private-redis'
import { REALISTIC_LATENCY } from '../sim/graph/server'
import { buildDemoTenant, type DemoPerson } from './build-demo-tenant'
import { createLiveView, type StatusChangeLine, type ViewRow } from './create-live-view'

interface Seeded {
  person: DemoPerson
  mmUserId: string
  graphUserId: string
}

const MINUTE = 60_000
const PRECEDENCE = ['free', 'tentative', 'workingElsewhere', 'busy', 'oof']

function seed(sims: Simulators, people: DemoPerson[]): Seeded[] {
  return people.map((person) => {
    const ids = sims.addPerson({ username: person.username, email: person.email, displayName: person.displayName, timeZone: person.timeZone })
    for (const e of person.events) {
      sims.graph.driver.addEvent(ids.graphUserId, {
        start: e.start,
        end: e.end,
        showAs: e.showAs,
        subject: e.subject,
        isPrivate: e.isPrivate ?? false,
        isAllDay: e.isAllDay ?? false
      })
    }
    const mm = sims.mattermost.driver
    mm.presence(ids.mmUserId, 'active')
    const manual = person.mattermost
    if (manual?.status === 'dnd') mm.setStatus(ids.mmUserId, 'dnd', Math.floor((Date.now() + (manual.dndMinutes ?? 60) * MINUTE) / 1000))
    else if (manual?.status) mm.setStatus(ids.mmUserId, manual.status)
    if (manual?.customStatus) mm.setCustomStatus(ids.mmUserId, manual.customStatus)
    return { person, ...ids }
  })
}

function rowsOf(sims: Simulators, people: Seeded[], now: number): ViewRow[] {
  return people.map(({ person, mmUserId, graphUserId }) => {
    const events = sims.graph.driver.listEvents(graphUserId).filter((e) => !e.isCancelled)
    let availability = 'free'
    let next: number | null = null
    for (const e of events) {
      const start = e.start
      const end = e.end
      if (start <= now && now < end && PRECEDENCE.indexOf(e.showAs) > PRECEDENCE.indexOf(availability)) availability = e.showAs
      for (const t of [start, end]) if (t > now && (next === null || t < next)) next = t
    }
    const status = sims.mattermost.driver.status(mmUserId)
    const cs = sims.mattermost.driver.customStatus(mmUserId)
    return {
      username: person.username,
      availability,
      status: status.status,
      dndEndsAt: status.dnd_end_time ? status.dnd_end_time * 1000 : null,
      customStatus: cs && (cs.emoji || cs.text) ? `:${cs.emoji}: ${cs.text ?? ''}`.trim() : '',
      nextChangeAt: next
    }
  })
}

function startChild(name: string, script: string, env: Record<string, string>, logDir: string): ChildProcess {
  // The log file itself is the child's stdout and stderr (not a pipe through the demo), so the
  // child can still write, and stop cleanly, if the demo dies first.
  const log = openSync(join(logDir, `${name}.log`), 'a')
  // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
  // demo wants to stop the service itself, once, gracefully (a second signal means "now").
  // The IPC channel ties its life to the demo's: if the demo is killed outright, the channel
  // closes and the process stops by itself (src/main/startup.ts).
  const child = spawn(process.execPath, [join(__dirname, '..', 'src', 'main', script)], { env, stdio: ['ignore', log, log, 'ipc'], detached: true })
  closeSync(log)
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return child
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** `/calstatus <text>` typed by one of the demo's people: the simulated Mattermost sends it as Mattermost does. */
async function typeCommand(sims: Simulators, who: Seeded, text: string): Promise<string> {
  try {
    const r = await sims.mattermost.driver.executeCommand({ userId: who.mmUserId, command: `/calstatus ${text}` })
    return r.ephemeralText ?? `(answer ${r.reply.status})`
  } catch (err) {
    return `the command failed: ${(err as Error).message}`
  }
}

/**
 * A small control server: "a meeting starting now" for anyone, through Graph's notification path,
 * and `/calstatus` as anyone.
 */
function startControl(sims: Simulators, people: Seeded[], onMeeting: (text: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname === '/command') {
      const who = people.find((p) => p.person.username === url.searchParams.get('user'))
      if (!who) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such user; try one of: ${people.map((p) => p.person.username).join(', ')}\n`)
        return
      }
      const text = (url.searchParams.get('text') ?? '').slice(0, 200)
      void typeCommand(sims, who, text).then((answer) => {
        onMeeting(`${who.person.username}: /calstatus ${text}`)
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${answer}\n`)
      })
      return
    }
    if (url.pathname === '/meeting-now') {
      const who = people.find((p) => p.person.username === url.searchParams.get('user'))
      const minutes = Math.min(Math.max(Number(url.searchParams.get('minutes') ?? 2) || 2, 1), 120)
      if (!who) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no such user; try one of: ${people.map((p) => p.person.username).join(', ')}\n`)
        return
      }
      const start = Date.now()
      sims.graph.driver.addEvent(who.graphUserId, {
        start,
        end: start + minutes * MINUTE,
        showAs: 'busy',
        subject: 'Ad-hoc meeting (from the demo)',
        isPrivate: false,
        isAllDay: false
      })
      onMeeting(`${who.person.username}: a ${minutes}-minute meeting starting now was added to the calendar`)
      res.writeHead(201, { 'content-type': 'text/plain' }).end(`created a ${minutes}-minute meeting for ${who.person.username}; watch the view\n`)
      return
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('POST /meeting-now?user=<username>&minutes=<1..120> or POST /command?user=<username>&text=<pause 1h>\n')
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })
    })
  )
}

async function main(): Promise<void> {
  const out = process.stdout
  const view = createLiveView(out)
  const logDir = mkdtempSync(join(tmpdir(), 'calstatus-demo-'))
  let redis: PrivateRedis | null = null
  let redisUrl = process.env['REDIS_URL']
  if (!redisUrl) {
    if (redisServerAvailable()) {
      redis = await startPrivateRedis({ ownProcessGroup: true })
      redisUrl = redis.url
    } else {
      redisUrl = 'redis://127.0.0.1:6379'
      view.message('redis-server is not installed: using the Redis at 127.0.0.1:6379 with a demo-only key prefix')
    }
  }
  const sims = await startSimulators({
    graph: { latency: REALISTIC_LATENCY },
    // Slash commands and buttons from the simulated Mattermost reach the demo on localhost.
    mattermost: { config: { allowedUntrustedInternalConnections: ['127.0.0.1'] } }
  })
  const people = seed(sims, buildDemoTenant(Date.now()))
  // The admin's slash command; its URL is the web's, known once the port is chosen below.
  const command = sims.mattermost.driver.registerCommand({ trigger: 'calstatus', url: 'http://127.0.0.1:9/' })
  const port = await freePort()
  const adminPassword = randomBytes(12).toString('base64url')
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? tmpdir(),
    ...sims.env,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: redis ? '{calstatus}' : `{calstatus-demo-${randomBytes(4).toString('hex')}}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    MM_COMMAND_TOKEN: command.token,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    SWEEP_INTERVAL_SECONDS: process.env['SWEEP_INTERVAL_SECONDS'] ?? '60',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info'
  }
  sims.mattermost.driver.updateCommandUrl(command.id, `http://127.0.0.1:${port}/mattermost/command`)
  const web = startChild('web', 'web.js', env, logDir)
  // Listening (/healthz): /readyz stays 503 until a worker has upserted the job schedulers.
  await waitReady(`http://127.0.0.1:${port}/healthz`, 20_000)
  const worker = startChild('worker', 'worker.js', env, logDir)
  const pending: string[] = []
  const control = await startControl(sims, people, (text) => pending.push(text))

  const byMmId = new Map(people.map((p) => [p.mmUserId, p.person.username]))
  const intro = [
    `calstatus demo: ${people.length} people, simulated Microsoft 365 and Mattermost, the real web and worker processes.`,
    `  web:       http://127.0.0.1:${port}  (admin: admin / ${adminPassword}, Bull Board at /admin/queues)`,
    `  logs:      ${logDir}/web.log, ${logDir}/worker.log`,
    `  try it:    curl -X POST '${control.url}/meeting-now?user=ada&minutes=2'   (a meeting starting now, via a Graph change notification)`,
    `             curl -X POST '${control.url}/command?user=ada&text=status'   (/calstatus as ada; also pause%201h, resume, settings, help)`,
    '  Ctrl-C stops everything.'
  ]
  for (const l of intro) view.message(l)
  let seen = sims.mattermost.history.statuses.length

  const tick = (): void => {
    const now = Date.now()
    const all = sims.mattermost.history.statuses
    const changes: StatusChangeLine[] = all
      .slice(seen)
      .filter((c) => byMmId.has(c.userId) && c.from !== c.to)
      .map((c) => ({
        time: c.time,
        username: byMmId.get(c.userId) as string,
        from: c.from ?? '-',
        to: c.to,
        who: c.who.startsWith('api:') && c.who !== `api:${c.userId}` ? 'calstatus' : c.who === `api:${c.userId}` ? 'the user' : c.who
      }))
    seen = all.length
    for (const text of pending.splice(0)) changes.push({ time: now, username: '(demo)', from: '', to: '', who: '', detail: text })
    view.update(rowsOf(sims, people, now), changes, now)
    if (view.tty) out.write(`\n${intro.slice(1).join('\n')}\n`)
  }
  const timer = setInterval(tick, 1000)
  tick()

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1)
    stopping = true
    clearInterval(timer)
    view.message('\nstopping the demo...')
    const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())))
    worker.kill('SIGTERM')
    web.kill('SIGTERM')
    await Promise.all([exited(worker), exited(web)])
    control.server.close()
    await sims.stop()
    if (redis) await redis.stop()
    view.message('stopped.')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
  for (const [name, child] of [
    ['web', web],
    ['worker', worker]
  ] as const) {
    child.once('exit', (code, signal) => {
      if (!stopping) {
        view.message(`the ${name} process exited (${code ?? signal}); see ${logDir}/${name}.log`)
        void stop()
      }
    })
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`calstatus demo: ${(err as Error).message}\n`)
  process.exit(1)
})
