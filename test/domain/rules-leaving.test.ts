// Rules 11-14: leaving a block.
import t from 'tap'
import { decide, MATTERMOST_GRACE_MS } from '../../src/domain'
import type { RememberedState } from '../../src/domain'
import { input, item, sec, settings, T, World } from './helpers'

const owned = (over: Partial<RememberedState> = {}): RememberedState => ({
  version: 3,
  blockStart: T('10:00'),
  blockEnd: T('11:00'),
  level: 'busy',
  setStatus: 'dnd',
  statusEnd: T('11:00'),
  setDndEndTime: sec(T('11:00')),
  prevStatus: 'online',
  prevManual: false,
  autopilot: false,
  released: false,
  setCustomStatus: null,
  customReleased: false,
  notified: true,
  asked: false,
  ...over
})

t.test('rule 11: a released block ends: forget it, touch nothing', async (t) => {
  const d = decide(
    input({
      now: T('11:00'),
      items: [item('10:00', '11:00')],
      current: { status: 'online', manual: false, dndEndTime: 0 },
      remembered: owned({ ...{ setStatus: null, released: true } })
    })
  )
  t.equal(d.reason, 'rule-11-released')
  t.same(d.statusWrites, [])
  t.equal(d.remembered, null)
  const dnd = decide(
    input({ now: T('11:00'), current: { status: 'dnd', manual: true, dndEndTime: 0 }, remembered: owned({ setStatus: null, released: true }) })
  )
  t.same(dnd.statusWrites, [], 'even when the user is in DND')
})

t.test('rule 12: Mattermost already restored at the DND end time: forget, touch nothing', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.expire(T('11:00'))
  t.equal(w.mm.status, 'away', "Mattermost's own restore: the exact previous status")
  const d = w.evaluate(T('11:01:05'))
  t.equal(d.reason, 'rule-12-already-restored')
  t.same(d.statusWrites, [])
  t.equal(d.remembered, null)
})

t.test('rule 12: the user changed it after the end: touch nothing', async (t) => {
  const d = decide(
    input({ now: T('11:00:30'), current: { status: 'away', manual: true, dndEndTime: 0 }, remembered: owned({ setDndEndTime: sec(T('11:30')) }) })
  )
  t.equal(d.reason, 'rule-12-status-changed')
  t.same(d.statusWrites, [])
  t.equal(d.remembered, null)
})

t.test('rule 13: planned end: give Mattermost its minute, restore only if it did not', async (t) => {
  const still = { status: 'dnd' as const, manual: true, dndEndTime: sec(T('11:00')) }
  const wait = decide(input({ now: T('11:00'), current: still, remembered: owned() }))
  t.equal(wait.reason, 'rule-13-waiting-for-mattermost')
  t.same(wait.statusWrites, [])
  t.equal(wait.nextWakeAt, T('11:00') + MATTERMOST_GRACE_MS, 'about 65 s after the end')
  t.ok(wait.remembered, 'still remembered while waiting')
  const again = decide(input({ now: T('11:00:40'), current: still, remembered: wait.remembered }))
  t.same(again.statusWrites, [])
  t.equal(again.remembered, wait.remembered, 'waiting is stable')
  const restore = decide(input({ now: wait.nextWakeAt!, current: still, remembered: wait.remembered }))
  t.equal(restore.reason, 'rule-13-restored')
  t.same(restore.statusWrites, [{ status: 'online' }], 'automatic previous status: online, back to presence')
  t.equal(restore.remembered, null)
})

t.test('rule 13: ended early or cancelled: restore now', async (t) => {
  for (const prev of ['online', 'away', 'offline'] as const) {
    const w = new World(prev, false)
    w.settings = settings({ offlineUsers: 'apply' })
    w.items = [item('10:00', '11:00')]
    w.evaluate(T('10:00'))
    w.items = []
    const d = w.evaluate(T('10:20'))
    t.equal(d.reason, 'rule-13-restored', `cancelled, previous ${prev}`)
    t.same(d.statusWrites, [{ status: 'online' }], 'never an automatic away or offline restored as manual')
    t.equal(w.mm.manual, false)
    t.equal(d.remembered, null)
  }
})

t.test('rule 13: a manual previous status is set again', async (t) => {
  const current = { status: 'dnd' as const, manual: true, dndEndTime: sec(T('11:00')) }
  const d = decide(input({ now: T('10:20'), current, remembered: owned({ prevStatus: 'away', prevManual: true }) }))
  t.same(d.statusWrites, [{ status: 'away' }])
  const ap = decide(input({ now: T('10:20'), current, remembered: owned({ prevStatus: 'away', prevManual: true, autopilot: true }) }))
  t.same(ap.statusWrites, [{ status: 'online' }], 'under autopilot: online')
})

t.test('rule 13: a status that is not DND is restored at the end, without waiting', async (t) => {
  const w = new World('online')
  w.settings = settings({ mapping: { busy: { status: 'away' } } })
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  const d = w.evaluate(T('11:00'))
  t.equal(d.reason, 'rule-13-restored')
  t.same(d.statusWrites, [{ status: 'online' }])
})

t.test('rule 13 end to end: Mattermost restores automatic away exactly, the service writes nothing', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  w.run(T('09:55'), T('11:10'))
  t.same(
    w.writes.map((x) => x.status),
    ['dnd']
  )
  t.equal(w.mm.status, 'away')
  t.equal(w.mm.manual, false)
})

t.test('rule 13 end to end: a Mattermost whose expiry is late (5-minute job) is covered by the service', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00')]
  let wake: number | null = null
  for (let at = T('10:00'); at <= T('11:10'); at += 1000) {
    if ((at - T('00:00')) % (5 * 60_000) === 3 * 60_000) w.expire(at) // older servers: every 5 minutes, here at 10:58, 11:03
    if (at === T('10:00') || (wake !== null && at >= wake)) wake = w.evaluate(at).nextWakeAt
  }
  t.same(
    w.writes.map((x) => [x.at, x.status]),
    [
      [T('10:00'), 'dnd'],
      [T('11:01:05'), 'online']
    ]
  )
})

t.test('rule 14: a new block right away after Mattermost restored: same previous status', async (t) => {
  // The next meeting was added late; the service sees it only after Mattermost restored.
  const w = new World('away', false)
  w.items = [item('10:00', '11:00')]
  w.evaluate(T('10:00'))
  w.expire(T('11:00'))
  w.items = [item('10:00', '11:00'), item('11:00', '11:30')]
  const d = w.evaluate(T('11:00:30'))
  t.same(d.reasons.slice(0, 2), ['rule-12-already-restored', 'rule-6-entered'])
  t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:30')) }])
  t.match(d.remembered, { prevStatus: 'away', prevManual: false })
  t.equal(w.mm.prev_status, 'away')
  t.equal(d.message, null, 'the same block: no second message')
})

t.test('rule 14: the next block is on while the status is still ours: no flicker to online', async (t) => {
  const w = new World('away', false)
  w.items = [item('10:00', '11:00'), item('11:05', '12:00')]
  w.evaluate(T('10:00'))
  // Service down at 11:00, Mattermost's expiry late: at 11:06 the user is still in our DND.
  const d = w.evaluate(T('11:06'))
  t.same(d.reasons.slice(0, 2), ['rule-6-entered', 'rule-14-next-block'])
  t.same(d.statusWrites, [{ status: 'away' }, { status: 'dnd', dndEndTime: sec(T('12:00')) }])
  t.equal(w.mm.prev_status, 'away', 'Mattermost still restores the pre-meeting status')
  t.ok(d.message, 'a new block: its own message')
  t.match(d.remembered, { blockStart: T('11:05'), prevStatus: 'away', prevManual: false })
})

t.test('rule 14: a remembered manual previous status carries into the next block', async (t) => {
  // Mattermost restores with manual=false; the remembered flag says the user chose it.
  const d = decide(
    input({
      now: T('11:01'),
      items: [item('11:01', '12:00')],
      current: { status: 'away', manual: false, dndEndTime: 0 },
      remembered: owned({ prevStatus: 'away', prevManual: true })
    })
  )
  t.same(d.reasons, ['rule-12-already-restored', 'rule-5-manual-respected'])
  t.same(d.statusWrites, [])
})

t.test('rule 14: the next block needs no status (working elsewhere) while ours is still on: restore', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00'), item('11:05', '17:00', 'workingElsewhere')]
  w.evaluate(T('10:00'))
  const d = w.evaluate(T('11:06')) // late, Mattermost has not expired our DND yet
  t.same(d.reasons.slice(0, 2), ['rule-2-no-status-action', 'rule-13-restored'])
  t.same(d.statusWrites, [{ status: 'online' }])
  t.match(d.customStatus, { action: 'set', emoji: 'house' }, 'ours replaced directly')
})

t.test('rule 14 with a manual status: the leftover custom status of the ended block is cleared', async (t) => {
  const w = new World('online')
  w.items = [item('10:00', '11:00'), item('11:30', '12:00')]
  w.evaluate(T('10:00'))
  w.expire(T('11:00'))
  w.setByUser('away', true, T('11:10'))
  const d = w.evaluate(T('11:30'))
  t.same(d.reasons, ['rule-12-status-changed', 'rule-5-manual-respected', 'rule-18-custom-status-cleared'])
  t.same(d.customStatus, { action: 'clear' })
  t.same(d.statusWrites, [])
})

// Rule 14a: Mattermost remembered `dnd` as the previous status (a second DND landed over ours) and
// its expiry "restored" DND with no end time and manual=false. A person's own DND is always manual.
const corrupted = { status: 'dnd' as const, manual: false, dndEndTime: 0 }

t.test('rule 14a: after the block, an automatic DND with no end is repaired at once: the remembered previous status goes back', async (t) => {
  for (const [prevStatus, prevManual, expected] of [
    ['online', false, 'online'],
    ['away', true, 'away'],
    ['away', false, 'online']
  ] as const) {
    const d = decide(input({ now: T('11:00') + 5_000, current: corrupted, remembered: owned({ prevStatus, prevManual }) }))
    t.same(d.reasons, ['rule-14a-repaired', 'rule-13-restored'], `${prevStatus} (manual ${prevManual})`)
    t.same(d.statusWrites, [{ status: expected }], 'no waiting for an expiry that already ran')
    t.equal(d.remembered, null)
  }
})

t.test('rule 14a: the same found after the grace wait, and when a next block follows (rule 14, no DND over DND)', async (t) => {
  const late = decide(input({ now: T('11:00') + MATTERMOST_GRACE_MS, current: corrupted, remembered: owned() }))
  t.same(late.statusWrites, [{ status: 'online' }])
  const next = decide(input({ now: T('11:00') + 5_000, items: [item('11:00', '12:00')], current: corrupted, remembered: owned() }))
  t.ok(next.reasons.includes('rule-14a-repaired'))
  t.same(next.statusWrites, [{ status: 'online' }, { status: 'dnd', dndEndTime: sec(T('12:00')) }], 'previous status first, so Mattermost captures it again')
})

t.test('rule 14a: a block extended past our DND end: previous status, then DND to the new end (rule 8)', async (t) => {
  const d = decide(input({ now: T('11:00') + 5_000, items: [item('10:00', '11:30')], current: corrupted, remembered: owned() }))
  t.same(d.reasons.slice(0, 2), ['rule-14a-repaired', 'rule-8-extended'])
  t.same(d.statusWrites, [{ status: 'online' }, { status: 'dnd', dndEndTime: sec(T('11:30')) }])
})

t.test('rule 14a does not touch a DND the person set (manual), nor one with an end time, nor before our end', async (t) => {
  const own = decide(input({ now: T('11:00') + 5_000, current: { status: 'dnd', manual: true, dndEndTime: 0 }, remembered: owned() }))
  t.same(own.statusWrites, [])
  t.equal(own.reason, 'rule-12-status-changed')
  const withEnd = decide(input({ now: T('11:00') + 5_000, current: { status: 'dnd', manual: false, dndEndTime: sec(T('12:00')) }, remembered: owned() }))
  t.same(withEnd.statusWrites, [])
  const early = decide(input({ now: T('10:30'), items: [item('10:00', '11:00')], current: corrupted, remembered: owned() }))
  t.notOk(early.reasons.includes('rule-14a-repaired'), 'before our end time Mattermost has not expired anything')
})
