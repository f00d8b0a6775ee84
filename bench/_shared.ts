// Small pieces every benchmark uses (the leading "_" keeps the runner from taking this file
// for a benchmark).
import type { ChildProcess } from 'node:child_process'
import type { Queue } from 'bullmq'

export interface Figure {
  median: number
  min: number
  max: number
  unit: string
  /** how many values the median is over: 1 is printed as a single run */
  samples: number
  /**
   * The true value is above the one shown: a percentile that falls on a miss (nothing within
   * the 60 s a delay is watched for) is printed "> 60000", never as a number that looks measured.
   */
  over?: boolean
}

export interface BenchResult {
  name: string
  description?: string
  figures: Record<string, Figure>
  notes?: string[]
}

/** Median (the mean of the two middle samples for an even count), min and max. */
export function figure(samples: number[], unit: string): Figure {
  const s = [...samples].sort((a, b) => a - b)
  const mid = s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
  return { median: mid, min: s[0] as number, max: s[s.length - 1] as number, unit, samples: s.length }
}

/** A figure from one run: one value, printed as a single run. */
export function single(value: number, unit: string, over = false): Figure {
  return { median: value, min: value, max: value, unit, samples: 1, ...(over ? { over } : {}) }
}

/** Thrown by a probe to stop waiting at once (a process died, say). */
export class Fatal extends Error {}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)))

/** Poll `probe` until it returns a value; errors count as "not yet", except Fatal. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let value: T | undefined
    try {
      value = await probe()
    } catch (err) {
      if (err instanceof Fatal) throw err
      value = undefined
    }
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** Nothing running or waiting on the queue. */
export async function queueIdle(q: Queue): Promise<boolean> {
  const c = await q.getJobCounts('active', 'waiting', 'prioritized', 'waiting-children')
  return Object.values(c).every((v) => v === 0)
}

/** `node dist/bench/x.js`: run one benchmark on its own and print its figures and notes. */
export function runStandalone(run: () => Promise<BenchResult>): void {
  run().then(
    (r) => {
      console.log(r.name)
      for (const [k, v] of Object.entries(r.figures))
        console.log(
          `  ${k}: ${v.samples === 1 ? `${v.over ? '> ' : ''}${v.median.toFixed(2)} ${v.unit} (single run)` : `median ${v.median.toFixed(2)} ${v.unit} (min ${v.min.toFixed(2)}, max ${v.max.toFixed(2)}, ${v.samples} samples)`}`
        )
      for (const n of r.notes ?? []) console.log(`  - ${n}`)
      process.exit(0)
    },
    (err) => {
      console.error(err)
      process.exit(1)
    }
  )
}

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null

/**
 * The child processes a benchmark starts: every one still running is SIGKILLed if the
 * benchmark process exits (a failed run must not leave simulators or workers behind).
 */
export function childProcesses() {
  const children = new Set<ChildProcess>()
  process.once('exit', () => {
    for (const child of children) if (running(child)) child.kill('SIGKILL')
  })
  return {
    track<C extends ChildProcess>(child: C): C {
      children.add(child)
      return child
    },
    /** Ask the child to stop with `how`; SIGKILL after `timeoutMs`. */
    async stop(child: ChildProcess, how: () => void, timeoutMs: number): Promise<void> {
      if (running(child)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
          child.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          how()
        })
      }
      children.delete(child)
    }
  }
}

/** The last `max` characters a child wrote to its piped stdout and stderr, for error reports. */
export function outputTail(child: ChildProcess, max = 8000): () => string {
  let out = ''
  const keep = (d: Buffer): void => {
    out = (out + String(d)).slice(-max)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => out
}
