import t from 'tap'
import { DEFAULT_SETTINGS, MAX_MERGE_GAP_MINUTES, NOTIFY_MODES, resolveSettings } from '../../src/domain'
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
    notify: 'daily',
    confirm: false,
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
  const admin: SettingsOverrides = {
    notify: 'off',
    confirm: true,
    offlineUsers: 'apply',
    mapping: { tentative: { status: 'none' } },
    customStatus: false,
    mergeGapMinutes: 5
  }
  const user: SettingsOverrides = {
    notify: 'every',
    customStatus: true,
    mapping: { busy: { customStatus: { emoji: ':spiral_calendar_pad:', text: ' Busy  busy ' } }, tentative: { customStatus: null } },
    pausedUntil: 123,
    showSubject: true
  }
  const s = resolveSettings(admin, user)
  t.equal(s.notify, 'every', 'user wins')
  t.equal(s.confirm, true, 'admin default kept')
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
    notify: 'sometimes',
    confirm: 'yes',
    offlineUsers: 'sometimes',
    mergeGapMinutes: -3,
    pausedUntil: 'soon',
    mapping: { busy: { status: 'explode', customStatus: { emoji: '', text: '' } }, nope: { status: 'dnd' } }
  } as unknown as SettingsOverrides
  const s = resolveSettings({ mergeGapMinutes: 10 }, junk)
  t.same(s, { ...DEFAULT_SETTINGS, mergeGapMinutes: 10 })
  t.equal(resolveSettings(null, { mergeGapMinutes: MAX_MERGE_GAP_MINUTES + 1 }).mergeGapMinutes, 0, 'gaps over an hour refused')
  t.equal(resolveSettings(null, { notify: 1 } as unknown as SettingsOverrides).notify, 'daily', 'a number is no mode')
  t.equal(resolveSettings({ autopilotUntil: 5 }, { autopilotUntil: null }).autopilotUntil, null, 'a user can clear a value with null')
})

t.test('notify: every mode; the boolean stored before the modes reads true as every, false as off', async (t) => {
  for (const mode of NOTIFY_MODES) t.equal(resolveSettings({ notify: 'off' }, { notify: mode }).notify, mode)
  t.same(NOTIFY_MODES, ['every', 'daily', 'off'])
  t.equal(resolveSettings(null, { notify: true }).notify, 'every')
  t.equal(resolveSettings(null, { notify: false }).notify, 'off')
  t.equal(resolveSettings({ notify: false }, {}).notify, 'off', 'an admin default from before too')
  t.equal(resolveSettings({ notify: 'off' }, { notify: true }).notify, 'every', 'the user still wins')
})
