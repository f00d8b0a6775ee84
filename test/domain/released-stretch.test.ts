// A release (rules 5, 7, pause) lasts for its stretch; what happens when the stretch is over
// and the service still holds the status it set (rules 13, 14).
import t from 'tap'
import { item, settings, T, World } from './helpers'

const awayWhenBusy = { mapping: { busy: { status: 'away' as const } } }

t.test('pause released an away still ours; the next meeting of the block starts before the next evaluation: carried on, no flicker (rule 14)', async (t) => {
  const w = new World('online')
  w.settings = settings(awayWhenBusy)
  w.items = [item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00'), item('11:30', '12:00')]
  t.same(w.evaluate(T('10:00')).statusWrites, [{ status: 'away' }])
  w.settings = settings({ ...awayWhenBusy, pausedUntil: T('10:30') })
  t.same(w.evaluate(T('10:20')).reasons, ['rule-1-paused', 'pause-released'])
  // The service was down from the end of the first meeting to the start of the second.
  const d = w.evaluate(T('11:30'))
  t.same(d.reasons, ['released-stretch-over', 'rule-6-entered', 'rule-14-next-block'])
  t.same(d.statusWrites, [], 'the away is already there: not handed back to online and set again')
  t.equal(d.message, null)
  t.match(d.remembered, { setStatus: 'away', prevStatus: 'online', released: false, statusEnd: T('12:00') })
  const end = w.evaluate(T('12:00'))
  t.same(end.statusWrites, [{ status: 'online' }], 'handed back at the end of the second meeting (rule 13)')
  t.same(end.reasons, ['rule-13-restored'])
})

t.test('pause released an away still ours; the stretch is over with no meeting on: handed back (rule 13)', async (t) => {
  const w = new World('online')
  w.settings = settings(awayWhenBusy)
  w.items = [item('09:00', '17:00', 'workingElsewhere'), item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.settings = settings({ ...awayWhenBusy, pausedUntil: T('10:30') })
  w.evaluate(T('10:20'))
  const d = w.evaluate(T('11:00'))
  t.same(d.reasons, ['released-stretch-over', 'rule-13-restored', 'rule-2-no-status-action'])
  t.same(d.statusWrites, [{ status: 'online' }])
})

t.test(
  'pause while the user already took back the away the service set: forgotten, so their own later away is never "restored" (rule 1, rule 12)',
  async (t) => {
    const w = new World('online')
    w.settings = settings(awayWhenBusy)
    w.items = [item('09:00', '17:00')]
    t.same(w.evaluate(T('09:00')).statusWrites, [{ status: 'away' }])
    w.setByUser('online', true, T('10:00'))
    w.settings = settings({ ...awayWhenBusy, pausedUntil: T('10:30') })
    const paused = w.evaluate(T('10:00'))
    t.same(paused.reasons, ['rule-1-paused', 'pause-released'])
    t.equal(paused.remembered?.setStatus, null, 'the away is the user’s now, not ours')
    // Within the pause, the user picks away themselves: the same value the service had set.
    w.setByUser('away', true, T('10:01'))
    w.evaluate(T('10:35'))
    const end = w.evaluate(T('17:00'))
    t.same(end.statusWrites, [], 'their away stays at the block end')
  }
)
