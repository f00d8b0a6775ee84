import t from 'tap'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { usePrivateRedis } from '../helpers/redis-server'
import { assertBuilt, baseEnv, httpStatus, loggedUrl, procfileCommands, startCommand, waitFor, type RunningProcess } from '../helpers/processes'
import { startMattermostSim } from '../../sim/mattermost/server'

// The Procfile's two processes, started as outside tools start them, against a private Redis.

const SECRET = 'procfile-test-client-secret-value'
const BOT_TOKEN = 'procfiletestbottoken000001'

/** Log lines a process wrote after `from` characters of its output that match `re`. */
const linesSince = (p: RunningProcess, from: number, re: RegExp): string[] =>
  p
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => re.test(l))

t.test('web and worker from the Procfile: health, readiness through a Redis outage, clean SIGTERM', async (t) => {
  assertBuilt()
  const redis = await usePrivateRedis(t)
  // Port 0: each process binds a port of its own and logs it (a port picked here and handed
  // over could be taken by another process in between).
  const env = baseEnv({
    REDIS_URL: redis.url,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_METRICS_PORT: '0',
    WEB_METRICS_PORT: '0',
    MS_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    MS_CLIENT_SECRET: SECRET,
    MM_URL: 'http://127.0.0.1:9',
    MM_BOT_TOKEN: BOT_TOKEN,
    ADMIN_USERNAME: 'ops',
    ADMIN_PASSWORD: 'procfile admin password',
    QUEUE_PREFIX: '{procfile}'
  })
  const commands = procfileCommands()
  t.match(commands, { web: /^node dist\//, worker: /^node dist\// }, 'both lines run built entries')
  const web = startCommand(commands['web'] as string, env)
  const worker = startCommand(commands['worker'] as string, env)
  t.teardown(async () => {
    await web.end()
    await worker.end()
  })
  const base = await loggedUrl(web, 'web listening', 30_000)
  const metricsUrl = await loggedUrl(worker, 'worker metrics listening', 30_000)
  const webMetricsUrl = await loggedUrl(web, 'web metrics listening', 30_000)

  await waitFor('web /healthz', 15_000, async () => ((await httpStatus(`${base}/healthz`)) === 200 ? true : undefined))
  await waitFor('worker /metrics', 15_000, async () => ((await httpStatus(metricsUrl)) === 200 ? true : undefined))
  t.equal(await httpStatus(`${base}/readyz`), 200, 'ready with Redis up')
  t.equal(await httpStatus(`${base}/admin/queues`), 401, 'admin needs credentials')
  t.equal(await httpStatus(`${base}/metrics`), 404, 'no metrics on the public port')
  t.not(new URL(webMetricsUrl).port, new URL(base).port, 'the web metrics have a port of their own')
  t.match(
    await (await fetch(webMetricsUrl)).text(),
    /calstatus_http_request_duration_seconds_count\{process="web",method="GET",route="\/readyz",status="200"\}/
  )

  const [webBefore, workerBefore] = [web.output().length, worker.output().length]
  await redis.stop()
  t.equal(
    await waitFor('503 from /readyz', 10_000, async () => ((await httpStatus(`${base}/readyz`)) === 503 ? 503 : undefined)),
    503,
    '503 once Redis is gone'
  )
  t.equal(await httpStatus(`${base}/healthz`), 200, 'still alive')
  // Both have seen the outage (their connections logged it) before they are checked.
  const outage = /"msg":"redis connection error"/
  await waitFor('web and worker to log the outage', 30_000, async () =>
    linesSince(web, webBefore, outage).length > 0 && linesSince(worker, workerBefore, outage).length > 0 ? true : undefined
  )
  t.equal(web.child.exitCode, null, 'web did not crash while Redis was away')
  t.equal(worker.child.exitCode, null, 'worker did not crash while Redis was away')

  const [webDown, workerDown] = [web.output().length, worker.output().length]
  await redis.restart()
  t.equal(
    await waitFor('200 from /readyz', 15_000, async () => ((await httpStatus(`${base}/readyz`)) === 200 ? 200 : undefined)),
    200,
    'ready again without a restart'
  )

  // The worker process healed too: it takes a job enqueued after the outage.
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null })
  const queue = new Queue('sync', { connection, prefix: '{procfile}' })
  // Closed even when an assertion below throws: left open, they reconnect for ever to the
  // private Redis the teardown stops (a CI run printed pages of ECONNREFUSED).
  let closed = false
  const closeClients = async (): Promise<void> => {
    closed = true
    await queue.close()
    connection.disconnect()
  }
  // Redis may already be gone at teardown: drop the sockets rather than wait on a clean close.
  t.teardown(() => {
    if (closed) return
    connection.disconnect()
    void queue.close().catch(() => undefined)
  })
  const job = await queue.add('sync-user', { userId: 'u1', reason: 'procfile-test' })
  // u1 is nobody the directory enrolled: the real sync job runs and skips them. Read from the
  // job's own record rather than QueueEvents (an event is easy to miss, the record is not), and
  // with room for BullMQ's own recovery: after an outage its worker may wait up to its blocking
  // timeout + 1 s (watchdog, <= 11 s) and, after a fetch that failed on the connection,
  // runRetryDelay (15 s) before it fetches again, besides ioredis's reconnect back-off (<= 2 s):
  // the 15 s this test gave it was less than that.
  const finished = await waitFor('the sync-user job to finish', 60_000, async () => {
    const state = await job.getState()
    if (state !== 'completed' && state !== 'failed') return undefined
    const record = await queue.getJob(job.id as string)
    return { state, result: record?.returnvalue as unknown, failedReason: record?.failedReason }
  }).catch((err: unknown) => {
    t.comment(`worker output (tail):\n${worker.output().slice(-6000)}`)
    throw err
  })
  t.equal(finished.state, 'completed', `the job completed${finished.failedReason ? ` (failed: ${finished.failedReason})` : ''}`)
  t.match(finished.result, { outcome: 'done', detail: { users: 1, skipped: 1, mattermostWrites: 0 } }, 'worker processed a job after Redis came back')
  t.ok(linesSince(worker, workerDown, /"msg":"redis connection restored"/).length > 0, 'the worker logged its connections back')
  t.ok(linesSince(web, webDown, /"msg":"redis connection restored"/).length > 0, 'so did the web')
  await closeClients()

  // How long a stop takes is measured by bench/freshness.ts ("SIGTERM to exit"); here: it is
  // clean, and no job was cut off by the shutdown timeout.
  const [webExit, workerExit] = await Promise.all([web.stop('SIGTERM'), worker.stop('SIGTERM')])
  t.equal(webExit.code, 0, 'web exits 0 on SIGTERM')
  t.equal(workerExit.code, 0, 'worker exits 0 on SIGTERM', { output: workerExit.code === 0 ? '' : worker.output().slice(-5000) })
  t.notMatch(worker.output(), /did not finish in time/, 'no active job was cut off')
  for (const [name, p] of [
    ['web', web],
    ['worker', worker]
  ] as const) {
    t.notMatch(p.output(), SECRET, `${name} never logs the client secret`)
    t.notMatch(p.output(), BOT_TOKEN, `${name} never logs the bot token`)
    t.match(p.output(), /"msg":"stopped"/, `${name} logged a clean stop`)
  }
})

t.test('SIGINT stops the processes cleanly too', async (t) => {
  assertBuilt()
  const redis = await usePrivateRedis(t)
  const env = baseEnv({
    REDIS_URL: redis.url,
    PORT: '0',
    HOST: '127.0.0.1',
    MS_TENANT_ID: 'contoso.onmicrosoft.com',
    MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
    MS_CLIENT_SECRET: SECRET,
    MM_URL: 'http://127.0.0.1:9',
    MM_BOT_TOKEN: BOT_TOKEN
  })
  const web = startCommand(procfileCommands()['web'] as string, env)
  const worker = startCommand(procfileCommands()['worker'] as string, env)
  t.teardown(async () => {
    await web.end()
    await worker.end()
  })
  const base = await loggedUrl(web, 'web listening', 30_000)
  await waitFor('web /healthz', 15_000, async () => ((await httpStatus(`${base}/healthz`)) === 200 ? true : undefined))
  await waitFor('worker started', 15_000, async () => (/workers started/.test(worker.output()) ? true : undefined))
  const [a, b] = await Promise.all([web.stop('SIGINT'), worker.stop('SIGINT')])
  t.same([a.code, b.code], [0, 0])
})

t.test('configuration errors: exit 1 with one line naming the variable, no stack trace', async (t) => {
  assertBuilt()
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['web', { PORT: 'eighty', MS_TENANT_ID: 'x' }, /^calstatus web: configuration error: MS_TENANT_ID must be a tenant GUID or a domain/],
    ['web', { PORT: 'eighty' }, /^calstatus web: configuration error: PORT must be a whole number from 0 to 65535, got "eighty"$/],
    ['worker', { REDIS_URL: 'localhost' }, /^calstatus worker: configuration error: REDIS_URL must be a URL/],
    // The password itself never shows: only its length.
    [
      'web',
      { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: SECRET.slice(0, 11) },
      /^calstatus web: configuration error: ADMIN_PASSWORD must be at least 12 characters long, got 11$/
    ],
    ['web', { ADMIN_USERNAME: 'ops', ADMIN_PASSWORD: ' \t '.repeat(5) }, /^calstatus web: configuration error: ADMIN_PASSWORD must not be blank/],
    // The value is quoted, without its password.
    [
      'worker',
      { REDIS_URL: `http://ops:${SECRET}@redis.internal` },
      /^calstatus worker: configuration error: REDIS_URL must be a redis or rediss URL, got "http:\/\/ops:\[redacted\]@redis\.internal"$/
    ],
    ['worker', {}, /^calstatus worker: configuration error: MS_TENANT_ID is required/],
    // The all-in-one entry is the service, never the demo: scripts/start.js chooses the demo.
    ['all', {}, /^calstatus all: configuration error: MS_TENANT_ID is required/],
    [
      'web',
      { MS_TENANT_ID: 'contoso.com', MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', MS_CLIENT_SECRET: SECRET },
      /^calstatus web: configuration error: MM_URL is required/
    ]
  ]
  for (const [name, vars, expected] of cases) {
    const p = startCommand(procfileCommands()[name] ?? `node dist/src/main/${name}.js`, baseEnv(vars))
    const exit = await p.exited
    const lines = p.output().trim().split('\n')
    t.equal(exit.code, 1, `${name} with ${Object.keys(vars).join(', ') || 'nothing'} set exits 1`)
    t.equal(lines.length, 1, 'one line')
    t.match(lines[0], expected)
    t.notMatch(p.output(), /\n\s+at |Error:/, 'no stack trace')
    t.notMatch(p.output(), SECRET.slice(0, 11), 'no secret')
  }
})

t.test('npm start with no configuration runs the demo against the simulators and stops cleanly', async (t) => {
  assertBuilt()
  // `npm start` is the build, then scripts/start.js; npm test has built already.
  const p = startCommand('node scripts/start.js', baseEnv({}))
  t.teardown(() => p.end())
  // What to configure for real comes first, then the demo's own lines.
  await waitFor('the demo intro', 30_000, async () => (/meeting-now\?user=/.test(p.output()) ? true : undefined))
  const out = p.output()
  t.match(out, /Microsoft 365 and Mattermost are not configured/)
  for (const v of ['MS_TENANT_ID', 'MS_CLIENT_ID', 'MS_CLIENT_SECRET', 'MM_URL', 'MM_BOT_TOKEN', 'PUBLIC_URL']) t.match(out, v)
  // Non-TTY: one line per status change as it happens; the first ones come from the start-up sweep.
  await waitFor('a status changed by the service', 60_000, async () => (/-> dnd\s+by calstatus/.test(p.output()) ? true : undefined))
  const control = /curl -X POST '([^']+)'/.exec(p.output())?.[1]
  t.ok(control, 'prints how to create a meeting starting now')
  const res = await fetch(control!.replace('user=ada', 'user=zoe'), { method: 'POST' })
  t.equal(res.status, 201, 'the control URL creates a meeting')
  await waitFor('zoe to DND through a change notification', 15_000, async () =>
    /zoe\s+\S+\s+-> dnd\s+by calstatus/.test(p.output()) ? true : undefined
  ).catch((err: unknown) => {
    t.comment(`demo output (tail):\n${p.output().slice(-3000)}`)
    throw err
  })
  const command = /curl -X POST '([^']+\/command\?[^']+)'/.exec(p.output())?.[1]
  t.ok(command, 'prints how to type /calstatus as someone')
  const answer = await fetch(command!.replace('text=status', 'text=pause%201h'), { method: 'POST' })
  t.match(await answer.text(), /Paused until/, '/calstatus reaches the web through the simulated Mattermost')
  const exit = await p.stop('SIGINT')
  t.equal(exit.code, 0, 'Ctrl-C stops the demo cleanly')
  t.notMatch(p.output(), /\n\s+at /, 'no stack trace')
})

t.test('worker start-up check: a refused bot token stops it with one clear line; a good one is logged', async (t) => {
  assertBuilt()
  const redis = await usePrivateRedis(t)
  const sim = await startMattermostSim({ dndExpiryPeriodMs: 0 })
  t.teardown(() => sim.stop())
  const env = (token: string) =>
    baseEnv({
      REDIS_URL: redis.url,
      MS_TENANT_ID: '11111111-2222-3333-4444-555555555555',
      MS_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      MS_CLIENT_SECRET: SECRET,
      MM_URL: sim.url,
      MM_BOT_TOKEN: token,
      QUEUE_PREFIX: '{startup}'
    })
  const wrong = startCommand(procfileCommands()['worker'] as string, env('wrongtokenwrongtokenwrongt'))
  const exit = await wrong.exited
  t.equal(exit.code, 1, 'exit 1')
  const lines = wrong
    .output()
    .split('\n')
    .filter((l) => l.startsWith('calstatus worker:'))
  t.equal(lines.length, 1)
  t.match(lines[0], /^calstatus worker: Mattermost refused the bot token \(MM_BOT_TOKEN\)/)

  const good = startCommand(procfileCommands()['worker'] as string, env(sim.botToken))
  t.teardown(() => good.end())
  await waitFor('token accepted', 15_000, async () => (/Mattermost bot token accepted/.test(good.output()) ? true : undefined))
  t.match(good.output(), /"bot":"calstatus"/)
  t.equal((await good.stop('SIGTERM')).code, 0)
})
