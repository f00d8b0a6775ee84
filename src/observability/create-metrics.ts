import { Registry, collectDefaultMetrics, Counter, Histogram } from 'prom-client'

/**
 * One registry per process (no prom-client global): default process metrics plus the
 * project's own, all named calstatus_*. Later adapters add theirs to `registry`.
 */
export interface Metrics {
  registry: Registry
  httpRequests: Histogram<'method' | 'route' | 'status'>
  jobs: Counter<'queue' | 'name' | 'outcome'>
  jobDuration: Histogram<'queue' | 'name'>
}

export function createMetrics(processName: string): Metrics {
  const registry = new Registry()
  registry.setDefaultLabels({ process: processName })
  collectDefaultMetrics({ register: registry, prefix: 'calstatus_' })
  return {
    registry,
    httpRequests: new Histogram({
      name: 'calstatus_http_request_duration_seconds',
      help: 'HTTP requests served, by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [registry]
    }),
    jobs: new Counter({
      name: 'calstatus_jobs_total',
      help: 'Jobs processed, by queue, job name and outcome (completed, skipped, delayed, failed)',
      labelNames: ['queue', 'name', 'outcome'],
      registers: [registry]
    }),
    jobDuration: new Histogram({
      name: 'calstatus_job_duration_seconds',
      help: 'Job processing time',
      labelNames: ['queue', 'name'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
      registers: [registry]
    })
  }
}
