import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { rootCertificates } from 'node:tls'

// Graph's own outgoing calls: validation handshakes, change and lifecycle notifications.

export interface OutResult {
  /** 0 when there was no answer (refused, reset, timed out) */
  status: number
  contentType: string
  text: string
  latencyMs: number
  error?: string
  timedOut?: boolean
}

export interface Outbound {
  post(url: string, o: { body: string; contentType: string; timeoutMs: number; headers?: Record<string, string> }): Promise<OutResult>
  close(): void
}

/** `extraCa`: the simulators' CA, so that an https endpoint with a sim certificate is trusted. */
export function createOutbound(extraCa?: string): Outbound {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 })
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) })
  const open = new Set<() => void>()
  let closed = false

  return {
    post(url, o) {
      const started = performance.now()
      const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10
      return new Promise<OutResult>((resolve) => {
        if (closed) return resolve({ status: 0, contentType: '', text: '', latencyMs: 0, error: 'simulator stopped' })
        let target: URL
        try {
          target = new URL(url)
        } catch {
          return resolve({ status: 0, contentType: '', text: '', latencyMs: 0, error: `invalid URL ${url}` })
        }
        const isHttps = target.protocol === 'https:'
        const body = Buffer.from(o.body, 'utf8')
        let settled = false
        const finish = (r: OutResult): void => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          open.delete(abort)
          resolve(r)
        }
        const req = (isHttps ? httpsRequest : httpRequest)(
          target,
          {
            method: 'POST',
            agent: isHttps ? httpsAgent : httpAgent,
            headers: { ...o.headers, 'Content-Type': o.contentType, 'Content-Length': String(body.length), 'User-Agent': 'Microsoft-Graph-Sim/1.0' }
          },
          (res: IncomingMessage) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () =>
              finish({
                status: res.statusCode ?? 0,
                contentType: String(res.headers['content-type'] ?? ''),
                text: Buffer.concat(chunks).toString('utf8'),
                latencyMs: elapsed()
              })
            )
            res.on('error', (err) => finish({ status: 0, contentType: '', text: '', latencyMs: elapsed(), error: err.message }))
          }
        )
        const timer = setTimeout(() => {
          finish({ status: 0, contentType: '', text: '', latencyMs: elapsed(), error: `no answer within ${o.timeoutMs} ms`, timedOut: true })
          req.destroy()
        }, o.timeoutMs)
        const abort = (): void => {
          finish({ status: 0, contentType: '', text: '', latencyMs: elapsed(), error: 'simulator stopped' })
          req.destroy()
        }
        open.add(abort)
        req.on('error', (err) => finish({ status: 0, contentType: '', text: '', latencyMs: elapsed(), error: err.message }))
        req.end(body)
      })
    },
    close() {
      closed = true
      for (const abort of [...open]) abort()
      httpAgent.destroy()
      httpsAgent.destroy()
    }
  }
}
