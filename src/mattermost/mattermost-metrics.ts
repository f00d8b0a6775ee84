import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface MattermostMetrics {
  calls: Counter<'route' | 'outcome'>
  throttled: Counter<'route'>
  ceilingWait: Histogram
  allowedRate: Gauge
}

export function createMattermostMetrics(registry: Registry): MattermostMetrics {
  return {
    calls: new Counter({
      name: 'calstatus_mattermost_calls_total',
      help: 'Mattermost API calls by route template and outcome (HTTP status class, error)',
      labelNames: ['route', 'outcome'],
      registers: [registry]
    }),
    throttled: new Counter({
      name: 'calstatus_mattermost_throttled_total',
      help: 'Mattermost answers 429',
      labelNames: ['route'],
      registers: [registry]
    }),
    ceilingWait: new Histogram({
      name: 'calstatus_mattermost_ceiling_wait_seconds',
      help: 'Time a call waited for its slot under MM_MAX_REQUESTS_PER_SECOND',
      buckets: [0, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry]
    }),
    allowedRate: new Gauge({
      name: 'calstatus_mattermost_allowed_rate',
      help: 'Calls per second the cluster-wide ceiling lets through now: learned from the server, at most 90% of MM_MAX_REQUESTS_PER_SECOND',
      registers: [registry]
    })
  }
}
