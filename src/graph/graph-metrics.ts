import { Counter, Histogram, type Registry } from 'prom-client'

export interface GraphMetrics {
  requests: Counter<'kind' | 'outcome'>
  throttled: Counter<'kind'>
  retryDelay: Histogram<'kind'>
  tokenRequests: Counter<'outcome'>
}

export function createGraphMetrics(registry: Registry): GraphMetrics {
  return {
    requests: new Counter({
      name: 'calstatus_graph_requests_total',
      help: 'Graph HTTP requests and $batch items, by kind (batch, getSchedule, user, subscription) and outcome (HTTP status class or error)',
      labelNames: ['kind', 'outcome'],
      registers: [registry]
    }),
    throttled: new Counter({
      name: 'calstatus_graph_throttled_total',
      help: 'Graph answers 429 (whole requests and $batch items)',
      labelNames: ['kind'],
      registers: [registry]
    }),
    retryDelay: new Histogram({
      name: 'calstatus_graph_retry_delay_seconds',
      help: 'Delays waited before retrying a throttled or failed Graph request or item',
      labelNames: ['kind'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry]
    }),
    tokenRequests: new Counter({
      name: 'calstatus_graph_token_requests_total',
      help: 'Token acquisitions: fetched from the identity host, served from the cache, failed, or held (refused without asking after a sign-in failure an administrator must fix)',
      labelNames: ['outcome'],
      registers: [registry]
    })
  }
}
