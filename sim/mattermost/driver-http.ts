import { AppError } from './app-error'
import type { MattermostSimDriver } from './driver'
import type { SimHistory } from './history'
import { IntegrationError } from './integrations'
import type { ContractViolation } from './openapi-contract'
import type { SimCounters } from './request-stats'
import { MM_STATUSES, type MmStatus, type PresenceEvent } from './status-model'

// The HTTP face of the driver, under /_sim/, for a simulator started as a separate process
// (the demo, a manual session). No authentication: the simulator listens on 127.0.0.1 only.
// Routes are listed in README.md.

export interface DriverHttpDeps {
  driver: MattermostSimDriver
  history: SimHistory
  counters(): SimCounters
  resetCounters(): void
  runDndExpiry(nowMs?: number): string[]
  contractViolations: ContractViolation[]
}

export interface DriverHttpResponse {
  status: number
  json: unknown
}

function obj(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {}
  const v = JSON.parse(raw) as unknown
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object')
  return v as Record<string, unknown>
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`${name} (string) is required`)
  return v
}

export async function handleDriverHttp(method: string, path: string, rawBody: string, deps: DriverHttpDeps): Promise<DriverHttpResponse> {
  const d = deps.driver
  const ok = (json: unknown): DriverHttpResponse => ({ status: 200, json })
  try {
    const body = obj(rawBody)
    const user = /^\/_sim\/users\/([A-Za-z0-9]+)(\/.*)?$/.exec(path)
    if (user) {
      const id = user[1] as string
      const rest = user[2] ?? ''
      if (rest === '' && method === 'GET') {
        const u = d.user(id)
        return u ? ok(u) : { status: 404, json: { error: `no user ${id}` } }
      }
      if (rest === '/status' && method === 'GET') return ok(d.status(id))
      if (rest === '/status' && method === 'PUT') {
        const status = str(body['status'], 'status')
        if (!(MM_STATUSES as readonly string[]).includes(status)) throw new Error(`status must be one of ${MM_STATUSES.join(', ')}`)
        const end = body['dnd_end_time']
        return ok(d.setStatus(id, status as MmStatus, typeof end === 'number' ? end : undefined))
      }
      if (rest === '/presence' && method === 'POST') {
        const event = str(body['event'], 'event')
        if (!['active', 'idle', 'disconnect'].includes(event)) throw new Error('event must be active, idle or disconnect')
        return ok(d.presence(id, event as PresenceEvent))
      }
      if (rest === '/custom-status' && method === 'GET') return ok(d.customStatus(id))
      if (rest === '/custom-status' && method === 'PUT') return ok(d.setCustomStatus(id, body))
      if (rest === '/custom-status' && method === 'DELETE') {
        d.clearCustomStatus(id)
        return ok({ status: 'OK' })
      }
      if (rest === '/recent-custom-statuses' && method === 'GET') return ok(d.recentCustomStatuses(id))
    }
    const route = `${method} ${path}`
    switch (route) {
      case 'GET /_sim/health':
        return ok({ ok: true })
      case 'POST /_sim/users':
        return ok(body['isBot'] === true ? d.addBot(body) : d.addUser(body))
      case 'POST /_sim/tokens':
        return ok({ token: d.createToken(str(body['userId'], 'userId'), body['kind'] as 'session' | 'personal' | 'bot' | undefined) })
      case 'POST /_sim/dnd-expiry':
        return ok({ changed: deps.runDndExpiry(typeof body['now'] === 'number' ? body['now'] : undefined) })
      case 'GET /_sim/history':
        return ok(deps.history)
      case 'GET /_sim/counters':
        return ok(deps.counters())
      case 'DELETE /_sim/counters':
        deps.resetCounters()
        return ok(deps.counters())
      case 'GET /_sim/contract-violations':
        return ok(deps.contractViolations)
      case 'POST /_sim/faults': {
        const count = typeof body['count'] === 'number' ? body['count'] : 1
        const { count: _c, ...fault } = body
        d.injectFaults(count, fault as unknown as Parameters<MattermostSimDriver['injectFaults']>[1])
        return ok({ status: 'OK' })
      }
      case 'DELETE /_sim/faults':
        d.clearFaults()
        return ok({ status: 'OK' })
      case 'PUT /_sim/latency':
        d.setLatency(typeof body['ms'] === 'number' ? body['ms'] : 0)
        return ok({ status: 'OK' })
      case 'PUT /_sim/rate-limit':
        d.setRateLimit(
          body['enabled'] === false
            ? false
            : {
                ...(typeof body['perSec'] === 'number' ? { perSec: body['perSec'] } : {}),
                ...(typeof body['maxBurst'] === 'number' ? { maxBurst: body['maxBurst'] } : {})
              }
        )
        return ok({ status: 'OK' })
      case 'PUT /_sim/config':
        return ok(d.setConfig(body))
      case 'POST /_sim/commands':
        return ok(d.registerCommand({ trigger: str(body['trigger'], 'trigger'), url: str(body['url'], 'url') }))
      case 'POST /_sim/commands/execute': {
        const r = await d.executeCommand({
          userId: str(body['userId'], 'userId'),
          command: str(body['command'], 'command'),
          ...(typeof body['channelId'] === 'string' ? { channelId: body['channelId'] } : {})
        })
        return ok(r)
      }
      case 'POST /_sim/buttons/click':
        return ok(
          await d.clickButton({ userId: str(body['userId'], 'userId'), postId: str(body['postId'], 'postId'), actionId: str(body['actionId'], 'actionId') })
        )
      case 'POST /_sim/menus/select': {
        const [userId, postId, actionId] = [str(body['userId'], 'userId'), str(body['postId'], 'postId'), str(body['actionId'], 'actionId')]
        // An empty value is allowed: the server then sends no selected_option.
        if (typeof body['value'] !== 'string') throw new Error('value must be a string')
        return ok(await d.selectOption({ userId, postId, actionId, value: body['value'] }))
      }
    }
    return { status: 404, json: { error: `no driver route ${route}` } }
  } catch (err) {
    if (err instanceof AppError) return { status: err.statusCode, json: { id: err.id, message: err.message, detailed_error: err.detailedError } }
    if (err instanceof IntegrationError) return { status: 502, json: { error: err.message, kind: err.kind } }
    return { status: 400, json: { error: (err as Error).message } }
  }
}
