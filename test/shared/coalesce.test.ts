import t from 'tap'
import { coalesce } from '../../src/shared/coalesce'

// Group commit (src/shared/coalesce.ts): calls share runs, each is answered by the run that took it.

const tick = () => new Promise((r) => setImmediate(r))

t.test('calls in the same turn share one run; calls during a run share the next', async (t) => {
  const runs: number[][] = []
  let release: () => void = () => undefined
  const run = coalesce(async (inputs: number[]) => {
    runs.push(inputs)
    if (runs.length === 1) await new Promise<void>((r) => (release = r))
    return inputs.length
  })
  const first = [run(1), run(2), run(3)]
  await tick()
  t.same(runs, [[1, 2, 3]], 'one run for the first three')
  const second = [run(4), run(5)]
  await tick()
  t.same(runs.length, 1, 'the next waits for the run in flight')
  release()
  t.same(await Promise.all(first), [3, 3, 3], 'each answered with its own run')
  t.same(await Promise.all(second), [2, 2])
  t.same(runs, [
    [1, 2, 3],
    [4, 5]
  ])
})

t.test('a failed run rejects its callers only; the next run goes on', async (t) => {
  let calls = 0
  const run = coalesce(async (inputs: string[]) => {
    calls++
    if (calls === 1) throw new Error('Redis went away')
    return inputs.join(',')
  })
  const failed = [run('a'), run('b')]
  const results = await Promise.allSettled(failed)
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected']
  )
  t.equal(await run('c'), 'c')
})
