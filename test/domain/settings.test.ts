import t from 'tap'
import { DEFAULT_SETTINGS, resolveSettings } from '../../src/domain'
import type { SettingsOverrides } from '../../src/domain'

t.test('defaults: the mapping table of status-rules.md', async (t) => {
  t.same(DEFAULT_SETTINGS.mapping, {
    busy: { status: 'dnd', customStatus: { emoji: 'calendar', text: 'In a meeting' } },
    tentative: { status: 'dnd', customStatus: { emoji: 'calendar', text: 'In a meeting (tentative)' } },
    oof: { status: 'dnd', customStatus: { emoji: 'palm_tree', text: 'Out of office' } },
    workingElsewhere: { status: 'none', customStatus: { emoji: 'house', text: 'Working elsewhere' } },
    free: { status: 'none', customStatus: null }
  })
  t.match(DEFAULT_SETTINGS, {
    enabled: true,
    customStatus: true,
    notify: true,
    pausedUntil: null,
    autopilotUntil: null,
    offlineUsers: 'skip',
    showSubject: false,
    mergeGapMinutes: 0
  })
  t.same(resolveSettings(null, null), DEFAULT_SETTINGS)
  t.ok(Object.isFrozen(DEFAULT_SETTINGS))
})

t.test('admin defaults, then user overrides, field by field', async (t) => {
  const admin: SettingsOverrides = { notify: false, offlineUsers: 'apply', mapping: { tentative: { status: 'none' } }, customStatus: false, mergeGapMinutes: 5 }
  const user: SettingsOverrides = {
    notify: true,
    customStatus: true,
    mapping: { busy: { customStatus: { emoji: ':spiral_calendar_pad:', text: ' Busy  busy ' } }, tentative: { customStatus: null } },
    pausedUntil: 123,
    showSubject: true
  }
  const s = resolveSettings(admin, user)
  t.equal(s.notify, true, 'user wins')
  t.equal(s.offlineUsers, 'apply', 'admin default kept where the user says nothing')
  t.equal(s.customStatus, true)
  t.equal(s.mergeGapMinutes, 5)
  t.equal(s.pausedUntil, 123)
  t.equal(s.showSubject, true)
  t.same(
    s.mapping.busy,
    { status: 'dnd', customStatus: { emoji: 'spiral_calendar_pad', text: 'Busy busy' } },
    'status kept, custom status replaced, colons and spaces tidied'
  )
  t.same(s.mapping.tentative, { status: 'none', customStatus: null }, 'admin status, user custom status off')
  t.same(s.mapping.oof, DEFAULT_SETTINGS.mapping.oof)
  t.same(resolveSettings(null, null).mapping.busy, DEFAULT_SETTINGS.mapping.busy, 'resolving never mutates the defaults')
})

t.test('invalid fields fall back to the layer below instead of stopping the sync', async (t) => {
  const junk = {
    enabled: 'yes',
    notify: 1,
    offlineUsers: 'sometimes',
    mergeGapMinutes: -3,
    pausedUntil: 'soon',
    mapping: { busy: { status: 'explode', customStatus: { emoji: '', text: '' } }, nope: { status: 'dnd' } }
  } as unknown as SettingsOverrides
  const s = resolveSettings({ mergeGapMinutes: 10 }, junk)
  t.same(s, { ...DEFAULT_SETTINGS, mergeGapMinutes: 10 })
  t.equal(resolveSettings(null, { mergeGapMinutes: 61 }).mergeGapMinutes, 0, 'gaps over an hour refused')
  t.equal(resolveSettings({ autopilotUntil: 5 }, { autopilotUntil: null }).autopilotUntil, null, 'a user can clear a value with null')
})
