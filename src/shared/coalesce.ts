/**
 * Calls made while one run is in flight (or within the same turn of the event loop) share the
 * next run: group commit. Each caller's promise settles with the run that took its input, so a
 * caller that is answered knows its input was handled (for notifications: written to Redis).
 * At most one run at a time; inputs that arrive meanwhile wait for the next, all together.
 */
export function coalesce<I, O>(run: (inputs: I[]) => Promise<O>): (input: I) => Promise<O> {
  interface Batch {
    inputs: I[]
    settle: Array<{ resolve(out: O): void; reject(err: unknown): void }>
  }
  let next: Batch | null = null
  let running = false

  const drain = async (): Promise<void> => {
    running = true
    while (next) {
      const batch = next
      next = null
      try {
        const out = await run(batch.inputs)
        for (const s of batch.settle) s.resolve(out)
      } catch (err) {
        for (const s of batch.settle) s.reject(err)
      }
    }
    running = false
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      if (!next) {
        next = { inputs: [], settle: [] }
        if (!running) setImmediate(() => void drain())
      }
      next.inputs.push(input)
      next.settle.push({ resolve, reject })
    })
}
