// Rules 1-6: entering a block.
import t from 'tap'
import { decide, MATTERMOST_GRACE_MS } from '../../src/domain'
import { input, item, sec, settings, T, World } from './helpers'

const meeting = [item('10:00', '11:00')]

t.test('rule 1: sync disabled with nothing held: no change, remember nothing, no wake-up', async (t) => {
  const d = decide(input({ items: meeting, settings: settings({ enabled: false }) }))
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.message, null)
  t.equal(d.remembered, null)
  t.equal(d.nextWakeAt, null)
  t.equal(d.reason, 'rule-1-disabled')
})

t.test('rule 1: disabled during a block the service owns: puts back the status and clears our custom status', async (t) => {
  const w = new World('away', true)
  w.items = meeting
  w.settings = settings({ autopilotUntil: T('18:00') })
  w.evaluate(T('10:00'))
  t.equal(w.mm.status, 'dnd')
  w.settings = settings({ enabled: false })
  const d = w.evaluate(T('10:20'))
  t.same(d.reasons, ['rule-1-disabled', 'rule-13-restored', 'rule-18-custom-status-cleared'])
  t.same(d.statusWrites, [{ status: 'online' }], 'entered under autopilot: online, as a cancelled block')
  t.same(d.customStatus, { action: 'clear' })
  t.equal(d.message, null)
  t.equal(d.remembered, null)
  t.equal(d.nextWakeAt, null)
  const manual = new World('online')
  manual.items = meeting
  manual.settings = settings({ mapping: { busy: { status: 'away' } } })
  manual.evaluate(T('10:00'))
  manual.settings = settings({ enabled: false, mapping: { busy: { status: 'away' } } })
  t.same(manual.evaluate(T('10:20')).statusWrites, [{ status: 'online' }], 'an away the service set goes back too')
  t.same(manual.evaluate(T('10:25')).statusWrites, [], 'once')
})

t.test("rule 1: disabled just after our DND's end: waits for Mattermost's own restore, then forgets", async (t) => {
  const w = new World('online')
  w.items = meeting
  w.evaluate(T('10:00'))
  w.settings = settings({ enabled: false })
  const d = w.evaluate(T('11:00:10'))
  t.same(d.reasons, ['rule-1-disabled', 'rule-13-waiting-for-mattermost', 'rule-18-custom-status-cleared'])
  t.same(d.statusWrites, [])
  t.equal(d.nextWakeAt, T('11:00') + MATTERMOST_GRACE_MS)
  t.match(d.remembered, { setStatus: 'dnd', setCustomStatus: null })
  w.expire(T('11:01'))
  const after = w.evaluate(d.nextWakeAt!)
  t.same(after.reasons, ['rule-1-disabled', 'rule-12-already-restored'])
  t.same(after.statusWrites, [])
  t.equal(after.remembered, null)
})

t.test('rule 1: disabled never touches what the person took back', async (t) => {
  const w = new World('online')
  w.items = meeting
  w.evaluate(T('10:00'))
  w.setByUser('away', true, T('10:10'))
  w.custom = { emoji: 'coffee', text: 'Back soon' }
  w.settings = settings({ enabled: false })
  const d = w.evaluate(T('10:20'))
  t.same(d.reasons, ['rule-1-disabled', 'rule-12-status-changed'])
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.remembered, null)
})

t.test('rule 1: paused: no change, remember nothing; the block is entered once the pause is over', async (t) => {
  const s = settings({ pausedUntil: T('10:20') })
  const d = decide(input({ items: meeting, settings: s }))
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null)
  t.equal(d.remembered, null)
  t.equal(d.reason, 'rule-1-paused')
  t.equal(d.nextWakeAt, T('10:20'), 'wake when the pause ends')
  t.equal(decide(input({ items: meeting, settings: settings({ pausedUntil: T('12:00') }) })).nextWakeAt, T('11:00'), 'never later than the next item boundary')
  const after = decide(input({ now: T('10:20'), items: meeting, settings: s }))
  t.equal(after.reason, 'rule-6-entered', 'pausedUntil is exclusive')
  t.same(after.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
})

t.test('rule 2: no status action for the level: no status change, the custom status still applies', async (t) => {
  const d = decide(input({ items: [item('09:00', '17:00', 'workingElsewhere')] }))
  t.same(d.statusWrites, [])
  t.equal(d.reason, 'rule-2-no-status-action')
  t.match(d.customStatus, { action: 'set', emoji: 'house', text: 'Working elsewhere' })
  t.match(d.remembered, { setStatus: null, setCustomStatus: { emoji: 'house' } })
  const over = decide(input({ items: meeting, settings: settings({ mapping: { busy: { status: 'none' } } }) }))
  t.same(over.statusWrites, [], 'a user mapping busy to none')
  t.match(over.customStatus, { action: 'set', text: 'In a meeting' })
})

t.test('rule 3: already in the target status: no change and no ownership, the user DND is left alone at the end', async (t) => {
  const w = new World('dnd', true)
  w.items = meeting
  const d = w.evaluate(T('10:00'))
  t.same(d.statusWrites, [])
  t.equal(d.reason, 'rule-3-already-target')
  t.match(d.customStatus, { action: 'set', text: 'In a meeting' }, 'the custom status rules still apply')
  t.equal(d.remembered?.setStatus, null)
  w.run(T('10:00'), T('12:00'))
  t.same(w.writes, [], 'never a status write')
  t.equal(w.mm.status, 'dnd', 'the user is still in their own DND')
  t.equal(w.custom, null, 'our custom status was cleared at the end')
})

t.test('rule 3: a user DND ending inside the meeting: the block is entered after Mattermost restores it', async (t) => {
  const w = new World('online')
  w.setByUser('dnd', true, T('09:00'), sec(T('10:30')))
  w.items = meeting
  const d = w.evaluate(T('10:00'))
  t.equal(d.reason, 'rule-3-already-target')
  t.equal(d.nextWakeAt, T('10:30') + MATTERMOST_GRACE_MS, 'wake when Mattermost has had its minute')
  w.expire(T('10:30'))
  const later = w.evaluate(d.nextWakeAt!)
  t.equal(later.reason, 'rule-6-entered')
  t.same(later.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
})

t.test('rule 4: offline users are skipped by default, and entered when they come online', async (t) => {
  const w = new World('offline', false)
  w.items = meeting
  const d = w.evaluate(T('10:00'))
  t.equal(d.reason, 'rule-4-offline-skipped')
  t.same(d.statusWrites, [])
  t.equal(d.customStatus, null, 'no change at all, custom status included')
  t.equal(d.remembered, null)
  w.presence('active', T('10:10'))
  const later = w.evaluate(T('10:10'))
  t.equal(later.reason, 'rule-6-entered')
  t.same(later.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }])
  t.match(later.remembered, { prevStatus: 'online', prevManual: false })
})

t.test('rule 5: a manual status other than online is respected and the block released', async (t) => {
  for (const [status, s] of [
    ['away', settings()],
    ['offline', settings({ offlineUsers: 'apply' })],
    ['dnd', settings({ mapping: { busy: { status: 'away' } } })]
  ] as const) {
    const w = new World(status, true)
    w.items = meeting
    w.settings = s
    const d = w.evaluate(T('10:00'))
    t.equal(d.reason, 'rule-5-manual-respected', status)
    t.same(d.statusWrites, [])
    t.equal(d.customStatus, null, 'no change: the user already said what they want')
    t.match(d.remembered, { released: true, setStatus: null })
    w.setByUser('online', false, T('10:20'))
    w.run(T('10:01'), T('12:00'))
    t.same(w.writes, [], `${status}: nothing for the whole block, even after the user went online`)
    t.equal(w.remembered, null, 'forgotten after the block')
  }
})

t.test('rule 6: set the target, DND until the block end in seconds, remember the previous status', async (t) => {
  for (const [status, manual] of [
    ['online', false],
    ['away', false]
  ] as const) {
    const d = decide(input({ items: meeting, current: { status, manual, dndEndTime: 0 } }))
    t.equal(d.reason, 'rule-6-entered')
    t.same(d.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }], `${status} (automatic)`)
    t.match(d.remembered, {
      version: 1,
      blockStart: T('10:00'),
      blockEnd: T('11:00'),
      level: 'busy',
      setStatus: 'dnd',
      prevStatus: status,
      prevManual: false,
      released: false,
      setDndEndTime: sec(T('11:00'))
    })
    t.equal(d.nextWakeAt, T('11:00'))
  }
  const applied = decide(input({ items: meeting, current: { status: 'offline', manual: false, dndEndTime: 0 }, settings: settings({ offlineUsers: 'apply' }) }))
  t.same(applied.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('11:00')) }], 'automatic offline with offlineUsers=apply')
  const away = decide(input({ items: meeting, settings: settings({ mapping: { busy: { status: 'away' } } }) }))
  t.same(away.statusWrites, [{ status: 'away' }], 'away carries no end time')
  const odd = decide(input({ items: [item('10:00', '10:30:30')] }))
  t.same(odd.statusWrites, [{ status: 'dnd', dndEndTime: sec(T('10:31')) }], 'a whole minute, rounded up so Mattermost never ends it early')
  const late = decide(input({ now: T('10:40'), items: meeting }))
  t.equal(late.reason, 'rule-6-entered', 'a block is entered at any evaluation inside it')
})

t.test('rules 3-5 in order: already-target before offline before manual', async (t) => {
  const s = settings({ mapping: { busy: { status: 'offline' } } })
  t.equal(decide(input({ items: meeting, settings: s, current: { status: 'offline', manual: true, dndEndTime: 0 } })).reason, 'rule-3-already-target')
  t.equal(decide(input({ items: meeting, current: { status: 'offline', manual: true, dndEndTime: 0 } })).reason, 'rule-4-offline-skipped')
  t.equal(decide(input({ items: meeting, current: { status: 'dnd', manual: true, dndEndTime: 0 } })).reason, 'rule-3-already-target')
})
