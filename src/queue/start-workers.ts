import { DelayedError, Worker, UnrecoverableError, type Job } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Metrics } from '../observability/create-metrics'
import { RetryLater } from '../shared/retry-later'
import { errorMessage } from '../shared/to-error'
import { QUEUE_NAMES, jobNamesOf, type JobName, type JobResult, type Processors, type QueueName } from './jobs'

export interface WorkerSet {
  workers: Worker[]
  /** Stop taking jobs, let active ones finish for at most `timeoutMs`, then force-close. */
  close(timeoutMs: number): Promise<{ forced: boolean; cutOff: string[] }>
}

export interface StartWorkersOptions {
  connection: Redis
  prefix: string
  processors: Processors
  log: Logger
  metrics: Metrics
  concurrency?: Partial<Record<QueueName, number>>
}

const DEFAULT_CONCURRENCY: Record<QueueName, number> = { sync: 50, sweep: 4, maintenance: 2 }

export function startWorkers(opts: StartWorkersOptions): WorkerSet {
  // What is running now, so a forced shutdown can say which jobs it cut off.
  const active = new Map<string, string>()
  const workers = QUEUE_NAMES.map((queue) => {
    const names = new Set<string>(jobNamesOf(queue))
    const worker = new Worker<unknown, JobResult, string>(
      queue,
      async (job: Job<unknown, JobResult, string>, token?: string) => {
        if (!names.has(job.name)) {
          opts.metrics.jobs.inc({ queue, name: job.name, outcome: 'failed' })
          // A job this queue has no processor for can never succeed: do not retry it.
          throw new UnrecoverableError(`no processor for job "${job.name}" on queue "${queue}"`)
        }
        const processor = opts.processors[job.name as JobName] as (j: Job<unknown, JobResult, string>) => Promise<JobResult>
        const stop = opts.metrics.jobDuration.startTimer({ queue, name: job.name })
        const key = `${queue}:${job.id ?? '?'}`
        active.set(key, `${job.name} ${job.id ?? ''} since ${new Date().toISOString()}`)
        try {
          const result = await processor(job)
          opts.metrics.jobs.inc({ queue, name: job.name, outcome: result.outcome === 'skipped' ? 'skipped' : 'completed' })
          return result
        } catch (err) {
          if (err instanceof RetryLater) {
            // Not a failure (another job holds the user, Mattermost asked to wait): run again later
            // without using up an attempt.
            opts.metrics.jobs.inc({ queue, name: job.name, outcome: 'delayed' })
            opts.log.debug({ queue, job: job.name, jobId: job.id, afterMs: err.afterMs, reason: err.message }, 'job delayed')
            await job.moveToDelayed(Date.now() + err.afterMs, token)
            throw new DelayedError()
          }
          opts.metrics.jobs.inc({ queue, name: job.name, outcome: 'failed' })
          // An error that says retrying cannot help (a sign-in only an administrator can fix)
          // fails the job at once instead of using up its attempts (docs/graph.md#sign-in-failures).
          if ((err as { retryable?: unknown } | null)?.retryable === false) throw new UnrecoverableError(errorMessage(err))
          throw err
        } finally {
          stop()
          active.delete(key)
        }
      },
      {
        connection: opts.connection,
        prefix: opts.prefix,
        concurrency: opts.concurrency?.[queue] ?? DEFAULT_CONCURRENCY[queue],
        autorun: true
      }
    )
    // BullMQ emits 'error' for connection trouble; unhandled, it would crash the process.
    worker.on('error', (err) => opts.log.warn({ queue, err }, 'worker error'))
    worker.on('failed', (job, err) => opts.log.warn({ queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err }, 'job failed'))
    return worker
  })

  return {
    workers,
    async close(timeoutMs) {
      // pause() stops fetching new jobs and resolves once the active ones have finished.
      // (close() cannot be used for the wait: a later close(true) returns the same pending
      // promise instead of forcing.) Jobs still running at the deadline are left to BullMQ,
      // whose stalled-job check hands them to another worker.
      let timer: NodeJS.Timeout | undefined
      const drained = Promise.all(workers.map((w) => w.pause())).then(() => false)
      const deadline = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs)
      })
      const forced = await Promise.race([drained, deadline])
      clearTimeout(timer)
      const cutOff = forced ? [...active.values()] : []
      await Promise.all(workers.map((w) => w.close(forced)))
      return { forced, cutOff }
    }
  }
}
