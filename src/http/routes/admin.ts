import type { FastifyInstance } from 'fastify'
import basicAuth from '@fastify/basic-auth'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import type { Queue } from 'bullmq'
import { timingSafeEqualStrings } from '../timing-safe-equal'
import { HttpError } from '../errors'

export interface AdminDeps {
  credentials: { username: string; password: string } | null
  queues: Queue[]
}

/**
 * Everything under /admin sits behind basic auth, including unknown paths (the not-found
 * handler lives in this context so its hook runs first). Without ADMIN_USERNAME/PASSWORD the
 * admin pages are off rather than open.
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const credentials = deps.credentials
  if (!credentials) {
    app.addHook('onRequest', async () => {
      throw new HttpError(404, 'admin pages are off: set ADMIN_USERNAME and ADMIN_PASSWORD to turn them on')
    })
    app.setNotFoundHandler(() => undefined)
    return
  }

  await app.register(basicAuth, {
    authenticate: { realm: 'calstatus admin' },
    validate: async (username, password) => {
      // Compare both fields every time so the answer takes as long whichever one is wrong.
      const userOk = timingSafeEqualStrings(username, credentials.username)
      const passOk = timingSafeEqualStrings(password, credentials.password)
      if (!(userOk && passOk)) throw new HttpError(401, 'wrong or missing admin credentials')
    }
  })
  app.addHook('onRequest', app.basicAuth)

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>calstatus admin</title><h1>calstatus</h1><ul><li><a href="/admin/queues">Queues (Bull Board)</a></li></ul>')
  )

  const serverAdapter = new FastifyAdapter()
  serverAdapter.setBasePath('/admin/queues')
  createBullBoard({ queues: deps.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter })
  await app.register(serverAdapter.registerPlugin(), { prefix: '/queues' })

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'Not Found', message: `no admin page at ${request.url.split('?')[0]}`, requestId: request.id })
  )
}
