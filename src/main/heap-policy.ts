import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the heap grow past what a full collection found alive, in percent.
 *
 * By default V8 lets the old space grow to several times the live set before it collects
 * again (the limit is a quarter of the machine's memory), so a worker's memory follows the heap
 * limit rather than what it keeps alive. Held to 1.5x, it stays close to the live set at no
 * measurable CPU cost (README, "Sizing"; bench/RESULTS.md, "Full sweep"). It is a growth
 * policy, not a ceiling: a bigger live set gets the memory it needs instead of the
 * out-of-memory crash that `--max-old-space-size` would give it.
 */
export const HEAP_GROWING_PERCENT = 50

/** Apply the policy, unless the operator chose their own (node flag or NODE_OPTIONS). */
export function applyHeapPolicy(env: NodeJS.ProcessEnv = process.env, execArgv: string[] = process.execArgv): boolean {
  const chosen = [...execArgv, env['NODE_OPTIONS'] ?? ''].some((a) => /--heap[-_]growing[-_]percent/.test(a))
  if (chosen) return false
  // Read by V8 at each full collection, so setting it at start-up is enough.
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  return true
}
