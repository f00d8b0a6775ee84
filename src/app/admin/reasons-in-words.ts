import type { MmStatus } from '../../domain'

// The rule engine's reason codes (docs/status-rules.md#reason-codes) in words for an admin
// looking at one person: what happened, then what the service did. English only, like the rest
// of the admin page.

const STATUS_NAMES: Record<MmStatus, string> = { dnd: 'Do Not Disturb', away: 'Away', offline: 'Offline', online: 'Online' }

const WORDS: Record<string, (status: string) => string> = {
  'rule-1-disabled': () => 'sync is off for this person: nothing set',
  'rule-1-paused': () => 'paused: no changes until the pause ends',
  'pause-released': () => 'a pause began during a meeting: the status is left to the person',
  'rule-2-no-status-action': () => 'the settings leave the status alone for this kind of calendar entry',
  'rule-3-already-target': () => 'the status was already the right one: nothing to do',
  'rule-4-offline-skipped': () => 'the person is offline: left alone (offline people are skipped)',
  'rule-5-manual-respected': () => 'the person set their own status: left alone',
  'rule-6-entered': (status) => `a meeting started: set ${status}`,
  'rule-7-released': () => 'the person changed the status the service set: left alone until the meeting ends',
  'block-released': () => 'the person took this meeting over: still left alone',
  'released-stretch-over': () => 'the meeting the person took over has ended',
  'rule-8-extended': () => 'the meeting now ends later: Do Not Disturb moved to the new end',
  'rule-8-shortened': () => 'the meeting now ends earlier: the status comes back at the new end',
  'rule-9-level-changed': (status) => `the calendar changed during the meeting (busy, out of office, ...): set ${status}`,
  'rule-9-custom-status-changed': () => 'the custom status follows the calendar: updated',
  'rule-9-custom-status-cleared': () => 'this part of the meeting has no custom status: the service cleared its own',
  'rule-10-no-change': () => 'nothing changed: nothing to do',
  'rule-11-released': () => 'a meeting the person took over ended: nothing touched',
  'rule-12-status-changed': () => 'the person changed the status after the meeting: left alone',
  'rule-12-already-restored': () => 'Mattermost already put the status back after Do Not Disturb: nothing to do',
  'rule-13-waiting-for-mattermost': () => 'the meeting ended: waiting a minute for Mattermost to end Do Not Disturb itself',
  'rule-13-restored': () => 'the meeting ended: the status from before it was put back',
  'rule-14a-repaired': () => 'Mattermost put back Do Not Disturb by mistake after the meeting: the service repaired it',
  'rule-14-next-block': () => 'another meeting starts right away: went straight into it',
  'rule-15-custom-status-set': () => 'custom status set for the meeting',
  'rule-15-user-custom-status-kept': () => 'the person has their own custom status: kept',
  'rule-18-custom-status-cleared': () => 'the meeting ended: the custom status the service set was cleared',
  'confirm-asked': () => 'Ask first: asked the person; nothing set yet',
  'confirm-waiting': () => 'Ask first: waiting for the person to answer; nothing set',
  'confirm-accepted': (status) => `Ask first: the person said yes: set ${status}`,
  'confirm-declined': () => 'Ask first: the person said no: left alone',
  'no-block': () => 'no meeting now: nothing to do'
}

/**
 * One line per code, in order. `status`: the status the service set in that decision, when
 * known (the remembered `setStatus`), so "set Do Not Disturb" names it; otherwise "set the
 * meeting status". An unknown code (from a newer version) is shown as itself.
 */
export function reasonsInWords(codes: string[], opts: { status?: MmStatus | null } = {}): string[] {
  const status = opts.status ? STATUS_NAMES[opts.status] : 'the meeting status'
  return codes.map((code) => WORDS[code]?.(status) ?? `another reason (${code})`)
}
