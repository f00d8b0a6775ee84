import { request } from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { loadSimTls } from '../shared/tls'

// A tiny HTTPS client that trusts the simulators' CA, for tests and scripts that talk to the
// Graph simulator without NODE_EXTRA_CA_CERTS (the service itself trusts the CA through it).

export interface SimHttpResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** the body parsed as JSON, or undefined (untyped: tests read what they expect) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
}

let ca: string | undefined

export function simHttps(url: string, o: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<SimHttpResponse> {
  ca ??= loadSimTls().ca
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
  const headers: Record<string, string> = { ...o.headers }
  if (body !== undefined) {
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json'
    headers['Content-Length'] = String(Buffer.byteLength(body))
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text ? JSON.parse(text) : undefined
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
