import type { FastifyInstance, FastifyRequest } from 'fastify'
import basicAuth from '@fastify/basic-auth'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { Queue } from 'bullmq'
import type { LoginAttemptStore } from '../../store/login-attempt-store'
import { timingSafeEqualStrings } from '../timing-safe-equal'
import { HttpError } from '../errors'
import type { AdminUseCases } from '../../app/admin/create-admin-use-cases'
import { adminPages } from '../admin/admin-pages'
import { createCsrf } from '../admin/csrf'

export interface AdminDeps {
  credentials: { username: string; password: string } | null
  /** what the pages show and do; null: only Bull Board (the tests of the login limit) */
  useCases: AdminUseCases | null
  queues: Queue[]
  /** Failed logins per client address, shared by every web process. */
  loginAttempts: LoginAttemptStore
}

/** Failed logins allowed per client address and window, for every web process together. */
export const ADMIN_LOGIN_LIMIT = { maxFailures: 10, windowMs: 60_000 }

/** How long the count of failed logins may take before the limit is skipped (fail open). */
const ATTEMPT_COUNT_TIMEOUT_MS = 1000

/**
 * Everything under /admin sits behind basic auth, including unknown paths (the not-found
 * handler lives in this context so its hook runs first). Without ADMIN_USERNAME/PASSWORD the
 * admin pages are off rather than open. Failed logins are limited per client address
 * (docs/architecture.md#http-surface).
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const credentials = deps.credentials
  // Redis away or slow: no limit rather than nobody let in; the credentials are still checked.
  const lockedFor = async (request: FastifyRequest, failed: boolean): Promise<number> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ATTEMPT_COUNT_TIMEOUT_MS} ms`)), ATTEMPT_COUNT_TIMEOUT_MS)
    })
    try {
      return (await Promise.race([deps.loginAttempts.attempt(request.ip, failed), timeout])).lockedForSeconds
    } catch (err) {
      request.log.warn({ err }, 'could not count admin login attempts; the limit is off for this request')
      return 0
    } finally {
      clearTimeout(timer)
    }
  }
  if (!credentials) {
    app.addHook('onRequest', async () => {
      throw new HttpError(404, 'admin pages are off: set ADMIN_USERNAME and ADMIN_PASSWORD to turn them on')
    })
    app.setNotFoundHandler(() => undefined)
    return
  }

  await app.register(basicAuth, {
    authenticate: { realm: 'calstatus admin' },
    validate: async (username, password, request, reply) => {
      // Compare both fields every time so the answer takes as long whichever one is wrong.
      const userOk = timingSafeEqualStrings(username, credentials.username)
      const passOk = timingSafeEqualStrings(password, credentials.password)
      const ok = userOk && passOk
      // Counted, right or wrong, in one round trip; while the client is locked out the answer
      // is 429 whatever the credentials were, so a guess then tells nothing.
      const lockedForSeconds = await lockedFor(request, !ok)
      if (lockedForSeconds > 0) {
        void reply.header('retry-after', String(lockedForSeconds))
        throw new HttpError(429, `too many failed admin logins from this address: try again in ${lockedForSeconds} s`)
      }
      if (!ok) throw new HttpError(401, 'wrong or missing admin credentials')
    }
  })
  app.addHook('onRequest', app.basicAuth)

  const useCases = deps.useCases
  if (useCases) {
    await app.register(async (pages) => adminPages(pages, { admin: credentials.username, csrf: createCsrf(credentials.password), useCases }))
  }

  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath('/admin/queues')
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter })
  await app.register(serverAdapter.registerPlugin(), { prefix: '/queues' })

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `no admin page at ${request.url.split('?')[0]}`, requestId: request.id })
  )
}
