import t from 'tap'
import { Redis } from 'ioredis'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/observability/create-logger'
import { usePrivateRedis } from '../helpers/redis-server'
import { waitFor } from '../helpers/processes'

function capture(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = []
  const sink = new Writable({
    write: (chunk, _e, done) => {
      lines.push(String(chunk))
      done()
    }
  })
  return { log: createLogger({ level: 'debug', name: 'test' }, sink), text: () => lines.join('') }
}

t.test('a Redis error from a refused password logs the command name, never its arguments', async (t) => {
  const server = await usePrivateRedis(t)
  const admin = new Redis(server.url)
  t.teardown(() => admin.disconnect())
  await admin.config('SET', 'requirepass', 'right-redis-pw-4711')
  const url = server.url.replace('redis://', 'redis://default:wrong-redis-pw-0815@')
  const { log, text } = capture()
  const redis = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null })
  let seen: Error | null = null
  redis.on('error', (err: Error) => {
    seen ??= err
    log.warn({ err, url }, 'redis connection error')
  })
  t.teardown(() => redis.disconnect())
  await waitFor('the WRONGPASS error', 10_000, async () => seen ?? undefined)
  // ioredis puts the command and its arguments on the error; from 6.1 it redacts AUTH's itself,
  // but not other commands' (the next test), hence the scrub.
  t.match(JSON.stringify(seen), /"args"/, "ioredis keeps the command's arguments on the error")
  const out = text()
  t.notMatch(out, 'wrong-redis-pw-0815', 'not in the log line')
  t.match(out, /WRONGPASS/, 'the reason is kept')
  t.match(out, /"command":\{"name":"(hello|auth)"\}/, 'the command name is kept')
  t.match(out, /redis:\/\/default:\[redacted\]@127\.0\.0\.1/, 'the URL is kept without its password')
})

t.test('a Redis error carrying stored values (a clientState) keeps them out of the log', async (t) => {
  const server = await usePrivateRedis(t)
  const redis = new Redis(server.url)
  t.teardown(() => redis.disconnect())
  await redis.set('not-a-hash', 'x')
  const { log, text } = capture()
  const err = await redis.hset('not-a-hash', 'clientState', 'client-state-secret-42').catch((e: unknown) => e)
  t.match(err, { message: /WRONGTYPE/ })
  log.warn({ err }, 'job failed')
  t.notMatch(text(), 'client-state-secret-42')
  t.match(text(), /"command":\{"name":"hset"\}/)
})

t.test('secret-named fields, bearer tokens and URL credentials are hidden wherever they are', async (t) => {
  const { log, text } = capture()
  const cause = new Error('upstream said: Authorization: Bearer eyJhbGciOi.secret-jwt.sig')
  const err = Object.assign(new Error('fetch https://u:url-pw-1@h/x failed', { cause }), {
    options: { headers: { Authorization: 'Bearer header-token-2', 'X-Mattermost-Token': 'mm-token-3' }, body: { client_secret: 'body-secret-4' } }
  })
  log.error(
    { err, request: { headers: { authorization: 'Basic YWRtaW46YWRtaW4tcHctNQ==' } }, detail: { clientState: 'cs-6', nested: { accessToken: 'at-7' } } },
    'failed'
  )
  log.error(new Error('plain error with redis://:msg-pw-8@h'))
  log.info('message with redis://:msg-pw-9@h and Bearer msg-token-10')
  const out = text()
  for (const secret of [
    'eyJhbGciOi',
    'url-pw-1',
    'header-token-2',
    'mm-token-3',
    'body-secret-4',
    'YWRtaW46YWRtaW4tcHctNQ',
    'cs-6',
    'at-7',
    'msg-pw-8',
    'msg-pw-9',
    'msg-token-10'
  ])
    t.notMatch(out, secret, secret)
  t.match(out, /fetch https:\/\/u:\[redacted\]@h\/x failed/, 'the message is kept, without the password')
  t.match(out, /"type":"Error"/, 'errors are still serialized as errors')
})
