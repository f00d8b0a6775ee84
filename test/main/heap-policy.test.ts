import t from 'tap'
import { applyHeapPolicy } from '../../src/main/heap-policy'

// The worker's heap growth policy (src/main/heap-policy.ts); its effect on memory is measured
// by bench/sweep.ts, not here. Here: an operator's own choice always wins.

t.test('applied by default; an operator flag or NODE_OPTIONS wins', async (t) => {
  t.equal(applyHeapPolicy({}, []), true, 'nothing chosen: the policy applies')
  t.equal(applyHeapPolicy({}, ['--heap-growing-percent=20']), false, 'a node flag')
  t.equal(applyHeapPolicy({ NODE_OPTIONS: '--enable-source-maps --heap_growing_percent=80' }, []), false, 'NODE_OPTIONS, either spelling')
  t.equal(applyHeapPolicy({ NODE_OPTIONS: '--max-old-space-size=512' }, []), true, 'other memory flags do not opt out')
})
