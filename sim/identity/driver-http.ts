import type { FaultOptions } from './driver'
import type { IdentitySim } from './server'

// The driver over HTTP under /_sim/ (JSON, no authentication), for a simulator in another
// process. See README.md for the routes.

export interface DriverHttpAnswer {
  status: number
  body: unknown
}

const ok = (body: unknown = { ok: true }): DriverHttpAnswer => ({ status: 200, body })
const bad = (message: string, status = 400): DriverHttpAnswer => ({ status, body: { error: message } })

export function handleDriverHttp(method: string, segments: string[], bodyText: string, sim: IdentitySim): DriverHttpAnswer {
  let body: Record<string, unknown> = {}
  if (bodyText.trim()) {
    try {
      const parsed: unknown = JSON.parse(bodyText)
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>
      else return bad('body must be a JSON object')
    } catch {
      return bad('body is not JSON')
    }
  }
  const route = `${method} /${segments.map((s, i) => (segments[0] === 'apps' && i === 1 ? '{id}' : s)).join('/')}`
  const d = sim.driver
  try {
    switch (route) {
      case 'GET /health':
        return ok()
      case 'GET /counters':
        return ok(sim.counters())
      case 'DELETE /counters':
        sim.resetCounters()
        return ok()
      case 'GET /history':
        return ok(sim.history)
      case 'GET /tenants':
        return ok(sim.tenants)
      case 'POST /tenants':
        return ok(d.addTenant(body))
      case 'GET /apps':
        return ok(d.apps())
      case 'POST /apps':
        return ok(d.addApp(body))
      case 'GET /apps/{id}': {
        const app = d.app(segments[1]!)
        return app ? ok(app) : bad('no such app', 404)
      }
      case 'DELETE /apps/{id}':
        return d.removeApp(segments[1]!) ? ok() : bad('no such app', 404)
      case 'PUT /apps/{id}/secret':
        if (typeof body.secret !== 'string' || !body.secret) return bad('secret: a non-empty string')
        d.setSecret(segments[1]!, body.secret)
        return ok()
      case 'POST /apps/{id}/expire-secret':
        d.expireSecret(segments[1]!)
        return ok()
      case 'PUT /apps/{id}/consent':
        if (typeof body.consented !== 'boolean') return bad('consented: a boolean')
        d.setConsent(segments[1]!, body.consented)
        return ok()
      case 'PUT /apps/{id}/roles':
        if (!Array.isArray(body.roles) || !body.roles.every((r: unknown) => typeof r === 'string')) return bad('roles: an array of strings')
        d.setRoles(segments[1]!, body.roles)
        return ok()
      case 'POST /consent/decline-next':
        d.declineNextConsent()
        return ok()
      case 'PUT /expires-in':
        d.setExpiresIn(Number(body.seconds))
        return ok()
      case 'POST /faults': {
        const status = body.status === 'reset' ? 'reset' : Number(body.status)
        const fo: FaultOptions = {}
        if (body.retryAfterSeconds !== undefined) fo.retryAfterSeconds = Number(body.retryAfterSeconds)
        if (typeof body.route === 'string') fo.route = body.route as FaultOptions['route']
        if (body.html === true) fo.html = true
        d.failNext(body.count === undefined ? 1 : Number(body.count), status, fo)
        return ok()
      }
      case 'DELETE /faults':
        d.clearFaults()
        return ok()
      case 'POST /tokens/expire-all':
        sim.tokens.expireAll()
        return ok()
      default:
        return bad(`no driver route ${route}`, 404)
    }
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err))
  }
}
