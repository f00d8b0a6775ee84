import t from 'tap'
import { settingChange, settingsRows } from '../../../src/domain/commands'
import type { PanelSettings } from '../../../src/domain/commands'
import { checkTone } from './text-checks'

const defaults: PanelSettings = {
  mapping: { busy: { status: 'dnd' }, tentative: { status: 'dnd' }, oof: { status: 'dnd' }, workingElsewhere: { status: 'none' } },
  customStatus: true,
  showSubject: false,
  notify: 'daily',
  confirm: false,
  offlineUsers: 'skip',
  mergeGapMinutes: 0
}

t.test('the rows of the panel, each with its current value and options', async (t) => {
  const rows = settingsRows(defaults)
  t.same(
    rows.map((r) => [r.key, r.label, r.valueLabel]),
    [
      ['busy', 'When busy', 'Do Not Disturb'],
      ['tentative', 'When tentative', 'Do Not Disturb'],
      ['oof', 'When out of office', 'Do Not Disturb'],
      ['workingElsewhere', 'When working elsewhere', 'No change'],
      ['customStatus', 'Custom status', 'on'],
      ['showSubject', 'Show meeting subject', 'off'],
      ['notify', 'Messages', 'once a day'],
      ['confirm', 'Ask first', 'off'],
      ['offlineUsers', "When I'm offline", 'Leave my status'],
      ['mergeGapMinutes', 'Merge meetings closer than', '0 min (only back-to-back)']
    ]
  )
  const options = (key: string) => rows.find((r) => r.key === key)?.options.map((o) => o.label)
  t.same(options('busy'), ['Do Not Disturb', 'Away', 'Offline', 'No change'])
  t.same(options('notify'), ['once a day', 'every meeting', 'never'])
  t.same(options('offlineUsers'), ['Leave my status', 'Change it anyway'])
  t.same(options('mergeGapMinutes'), ['0 min (only back-to-back)', '5 min', '10 min', '15 min'])
  for (const row of rows)
    t.ok(
      row.options.some((o) => o.value === row.value),
      `${row.key}: the current value is one of the options`
    )
})

t.test('a value outside the usual choices still shows as current', async (t) => {
  const gap = settingsRows({ ...defaults, mergeGapMinutes: 30, notify: 'every' }).find((r) => r.key === 'mergeGapMinutes')
  t.same(
    gap?.options.map((o) => o.value),
    ['0', '5', '10', '15', '30']
  )
  t.equal(gap?.valueLabel, '30 min')
})

t.test('a choice: the overrides it writes and what it says', async (t) => {
  const table: [string, string, object, string][] = [
    ['busy', 'away', { mapping: { busy: { status: 'away' } } }, 'When busy: Away.'],
    ['workingElsewhere', 'dnd', { mapping: { workingElsewhere: { status: 'dnd' } } }, 'When working elsewhere: Do Not Disturb.'],
    ['customStatus', 'off', { customStatus: false }, 'Custom status: off.'],
    ['showSubject', 'on', { showSubject: true }, 'Show meeting subject: on.'],
    ['notify', 'every', { notify: 'every' }, 'Messages: every meeting.'],
    ['notify', 'off', { notify: 'off' }, 'Messages: never.'],
    ['confirm', 'on', { confirm: true }, 'Ask first: on.'],
    ['offlineUsers', 'apply', { offlineUsers: 'apply' }, "When I'm offline: Change it anyway."],
    ['mergeGapMinutes', '10', { mergeGapMinutes: 10 }, 'Merge meetings closer than: 10 min.'],
    ['mergeGapMinutes', '45', { mergeGapMinutes: 45 }, 'Merge meetings closer than: 45 min.']
  ]
  for (const [key, value, overrides, said] of table) {
    const change = settingChange(key, value)
    t.same(change?.overrides, overrides, `${key}=${value}`)
    t.ok(change?.said.startsWith(said), change?.said ?? `${key}=${value}`)
    if (change) checkTone(t, change.said, `${key}=${value}`)
  }
})

t.test('an unknown key or value changes nothing', async (t) => {
  const bad: [string, string][] = [
    ['busy', 'banana'],
    ['free', 'dnd'],
    ['notify', 'weekly'],
    ['notify', 'true'],
    ['confirm', 'yes'],
    ['mergeGapMinutes', '61'],
    ['mergeGapMinutes', '-5'],
    ['mergeGapMinutes', '1e1'],
    ['offlineUsers', 'skipp'],
    ['enabled', 'off'],
    ['__proto__', 'on'],
    ['constructor', 'dnd'],
    ['', '']
  ]
  for (const [key, value] of bad) t.equal(settingChange(key, value), null, `${key}=${value}`)
})
