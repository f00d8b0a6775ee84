// Early starts (docs/status-rules.md#early-starts): a block may be entered up to earlyEntryMs
// before its start; one entered early stays entered; ends are never early.
import t from 'tap'
import { decide } from '../../src/domain'
import { input, item, settings, T, World } from './helpers'

const S = 1000
const meeting = [item('10:00', '11:00')]

t.test('a free person is entered early when the block starts within earlyEntryMs, not before', async (t) => {
  const cases: Array<{ at: string; early: number; enters: boolean }> = [
    { at: '09:59:20', early: 60 * S, enters: true },
    { at: '09:59:00', early: 60 * S, enters: true },
    { at: '09:58:59', early: 60 * S, enters: false },
    { at: '09:59:50', early: 5 * S, enters: false },
    { at: '09:59:55', early: 5 * S, enters: true },
    { at: '09:59:59', early: 0, enters: false }
  ]
  for (const c of cases) {
    const w = new World('online')
    w.items = meeting
    const d = w.evaluate(T(c.at), c.early)
    if (c.enters) {
      t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: T('11:00') / 1000 }], `${c.at}, ${c.early} ms early: DND until the block's end`)
      t.equal(d.nextWakeAt, T('11:00'), `${c.at}: the next wake-up is the end, not the start`)
      t.equal(d.remembered?.blockStart, T('10:00'), `${c.at}: the block is remembered with its real start`)
    } else {
      t.same(d.statusWrites, [], `${c.at}, ${c.early} ms early: not yet`)
      t.equal(d.nextWakeAt, T('10:00'), `${c.at}: wakes at the start`)
    }
  }
})

t.test('entered early: later evaluations without a lead change nothing until the start, and the start changes nothing', async (t) => {
  const w = new World('online')
  w.items = meeting
  w.evaluate(T('09:59:10'), 60 * S)
  const entered = w.remembered
  for (const at of ['09:59:30', '09:59:59', '10:00', '10:00:01', '10:30']) {
    const d = w.evaluate(T(at))
    t.same(d.statusWrites, [], `${at}: no write (no flicker back to online)`)
    t.equal(d.customStatus, null, `${at}: custom status untouched`)
    t.equal(d.message, null, `${at}: no second message`)
  }
  t.equal(w.remembered?.blockStart, entered?.blockStart)
  t.equal(w.mm.status, 'dnd')
})

t.test('entered early, then cancelled or moved before its start: put back as a cancelled block', async (t) => {
  for (const change of ['cancelled', 'moved to 10:30'] as const) {
    const w = new World('online')
    w.items = meeting
    w.evaluate(T('09:59:10'), 60 * S)
    t.equal(w.mm.status, 'dnd')
    w.items = change === 'cancelled' ? [] : [item('10:30', '11:30')]
    const d = w.evaluate(T('09:59:40'))
    t.same(d.statusWrites, [{ status: 'online' }], `${change}: back to online at once`)
    t.same(d.customStatus, { action: 'clear' }, `${change}: our custom status goes`)
  }
})

t.test('ends are never early, and a seam is not a boundary', async (t) => {
  const alone = new World('online')
  alone.items = [item('09:00', '10:00')]
  alone.evaluate(T('09:00'))
  const end = alone.evaluate(T('09:59:30'), 60 * S)
  t.same(end.statusWrites, [], 'no restore before the end')
  t.equal(end.nextWakeAt, T('10:00'))

  const seam = new World('online')
  seam.items = [item('09:00', '10:00'), item('10:00', '11:00', 'busy', { subject: 'Next' })]
  seam.evaluate(T('09:00'))
  const before = seam.writes.length
  seam.evaluate(T('09:59:30'), 60 * S)
  seam.evaluate(T('10:00'))
  t.equal(seam.writes.length, before, 'back to back: no status write at the seam')
  t.equal(seam.mm.status, 'dnd')
})

t.test('no early entry while paused, disabled, or while the block before is still being left', async (t) => {
  const paused = decide(input({ now: T('09:59:30'), earlyEntryMs: 60 * S, items: meeting, settings: settings({ pausedUntil: T('09:59:45') }) }))
  t.same(paused.statusWrites, [], 'paused at the real now: not entered')
  t.equal(paused.nextWakeAt, T('09:59:45'))
  const disabled = decide(input({ now: T('09:59:30'), earlyEntryMs: 60 * S, items: meeting, settings: settings({ enabled: false }) }))
  t.same(disabled.statusWrites, [])

  const w = new World('online')
  w.items = [item('09:00', '09:59'), ...meeting]
  w.evaluate(T('09:00'))
  const d = w.evaluate(T('09:59:20'), 60 * S)
  t.same(
    d.statusWrites.filter((x) => x.status === 'dnd' && x.dndEndTime === T('11:00') / 1000),
    [],
    'the earlier block is still waiting for Mattermost: the next one is entered at its start'
  )
  w.expire(T('10:00'))
  w.evaluate(T('10:00'))
  t.equal(w.mm.status, 'dnd', 'then entered at its start')
})

t.test('idempotent: the same inputs after an early entry give no change and the same wake-up', async (t) => {
  const w = new World('online')
  w.items = meeting
  const first = w.evaluate(T('09:59:15'), 45 * S)
  const again = decide(w.input(T('09:59:15'), 45 * S))
  t.same(again.statusWrites, [])
  t.equal(again.customStatus, null)
  t.equal(again.remembered, w.remembered, 'the same remembered object')
  t.equal(again.nextWakeAt, first.nextWakeAt)
})
