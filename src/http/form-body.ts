import type { FastifyInstance } from 'fastify'
import { HttpError } from './errors'

/**
 * application/x-www-form-urlencoded as a flat object, each field once (a repeated field is a 400:
 * neither Mattermost nor our own forms send one, and a second `user_id` is somebody's attempt to be
 * another). For the plugin it is registered in (Fastify scopes parsers by plugin).
 */
export function acceptForms(app: FastifyInstance, bodyLimit = 64 * 1024): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    const form: Record<string, string> = {}
    for (const [name, value] of new URLSearchParams(body as string)) {
      if (Object.hasOwn(form, name)) return done(new HttpError(400, `the form field ${name.slice(0, 40)} appears twice`), undefined)
      form[name] = value
    }
    done(null, form)
  })
}
