import t from 'tap'
import { resolveSettings, type ScheduleItem } from '../../../src/domain'
import { settingsRows } from '../../../src/domain/commands'
import { meetingsAround } from '../../../src/app/commands/meetings-around'
import { applyPatch } from '../../../src/app/commands/person-settings'
import { settingsAttachments } from '../../../src/app/commands/settings-panel'
import { createExplainStatus } from '../../../src/app/commands/explain-status'
import { layerOverrides } from '../../../src/app/effective-defaults'
import { createContextSigner } from '../../../src/shared/signed-context'
import type { SyncedUser } from '../../../src/app/services'

// The pure parts of the person-facing use cases: what `/calstatus` says is on now and next, how a
// settings change is layered, the settings panel's controls, and the status reply's time budget.

const H = 3600_000
const NOW = Date.parse('2026-12-07T13:05:00Z')
const item = (startH: number, endH: number, availability: ScheduleItem['availability'], extra: Partial<ScheduleItem> = {}): ScheduleItem => ({
  startMs: NOW + startH * H,
  endMs: NOW + endH * H,
  availability,
  isPrivate: false,
  ...extra
})

t.test('meetings around now: the weightiest now, the next to start, free until', async (t) => {
  const settings = resolveSettings(null, null)
  const at = meetingsAround(
    [
      item(-1, 1, 'tentative', { subject: 'Maybe' }),
      item(-0.5, 0.5, 'busy', { subject: 'Review' }),
      item(2, 3, 'busy', { subject: 'Secret', isPrivate: true }),
      item(1.5, 2, 'free')
    ],
    settings,
    NOW
  )
  t.equal(at.now?.subject, 'Review', 'busy outweighs tentative')
  t.equal(at.now?.action, 'dnd')
  t.same([at.next?.private, at.next?.subject], [true, undefined], 'a private subject is never carried')
  t.equal(at.freeUntil, null, 'not free now')
  const later = meetingsAround([item(1, 2, 'busy'), item(0.5, 4, 'workingElsewhere')], resolveSettings(null, { customStatus: false }), NOW)
  t.same(
    [later.now, later.next?.start, later.freeUntil],
    [null, NOW + H, NOW + H],
    'working elsewhere with no custom status does nothing: free until the meeting'
  )
})

t.test('a settings patch: fields set, null removes the override, the mapping per level', async (t) => {
  const before = { notify: 'off' as const, pausedUntil: 5, mapping: { busy: { status: 'away' as const }, oof: { status: 'none' as const } } }
  t.same(applyPatch(before, { pausedUntil: null, confirm: true, mapping: { busy: { status: 'offline' } } }), {
    notify: 'off',
    confirm: true,
    mapping: { busy: { status: 'offline' }, oof: { status: 'none' } }
  })
  t.same(applyPatch(null, { enabled: false }), { enabled: false })
})

t.test('defaults in layers: saved over environment, field by field, the mapping per level and field', async (t) => {
  const env = { notify: 'every' as const, mapping: { busy: { status: 'away' as const }, tentative: { status: 'none' as const } } }
  const saved = { confirm: true, mapping: { busy: { status: 'offline' as const } } }
  t.same(layerOverrides(env, saved), { notify: 'every', confirm: true, mapping: { busy: { status: 'offline' }, tentative: { status: 'none' } } })
  t.same(layerOverrides(env, null), env)
  t.same(layerOverrides({}, { notify: 'off' }), { notify: 'off' })
})

t.test('the panel: a control per row, ids Mattermost accepts and unique, each context signed for the person', async (t) => {
  const signer = createContextSigner('a secret of at least sixteen bytes')
  const rows = settingsRows(resolveSettings(null, null))
  const attachments = settingsAttachments(rows, 'u'.repeat(26), 'https://calstatus.example.com/mattermost/actions', signer, NOW) as Array<{
    text: string
    actions: Array<{ id: string; type: string; default_option?: string; integration: { url: string; context: Record<string, unknown> } }>
  }>
  t.equal(attachments.length, rows.length)
  const ids = attachments.map((a) => a.actions[0]!.id)
  t.equal(new Set(ids).size, ids.length, 'unique ids')
  t.ok(
    ids.every((id) => /^[A-Za-z0-9]+$/.test(id)),
    'letters and digits only'
  )
  for (const a of attachments) {
    const v = signer.verify(a.actions[0]!.integration.context)
    t.ok(v.ok && v.payload['u'] === 'u'.repeat(26), `${a.text}: signed for the person`)
  }
  const notify = attachments.find((a) => a.actions[0]!.id.endsWith('notify'))!.actions[0]!
  t.same([notify.type, notify.default_option], ['select', 'daily'], 'a menu showing the value in force')
  const custom = attachments.find((a) => a.actions[0]!.id.endsWith('customStatus'))!.actions[0]!
  t.equal(custom.type, 'button', 'on/off is one button')
  const v = signer.verify(custom.integration.context)
  t.equal(v.ok && v.payload['v'], 'off', 'that switches to the other value')
})

t.test('status: live reads that take too long are left out, the answer is not', async (t) => {
  const never = new Promise<never>(() => undefined)
  const explain = createExplainStatus({
    calendars: { fetchSchedules: () => never },
    mattermost: { getStatuses: () => never },
    budgetMs: 50,
    now: () => NOW
  })
  const user = {
    mmUserId: 'u'.repeat(26),
    email: 'a@example.com',
    timeZone: 'Europe/Berlin',
    locale: 'de',
    mailbox: 'ok',
    settings: null,
    remembered: null,
    lastError: null
  } as unknown as SyncedUser
  const started = Date.now()
  const view = await explain(user, 'synced', {}, false)
  t.ok(Date.now() - started < 2000, 'answered without them')
  t.same([view.calendar, view.current, view.dateLocale, view.notify], [null, 'offline', 'de', 'daily'])
})
