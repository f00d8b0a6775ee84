import type { Logger } from 'pino'
import { resolveLocale, resolveSettings, type SettingsOverrides } from '../../domain'
import {
  autopilotOffText,
  autopilotOnText,
  helpText,
  invalidText,
  notEnrolledText,
  optInNeededText,
  parseCommand,
  pausedText,
  resumedText,
  statusText,
  turnedOffText,
  turnedOnText,
  type Command,
  type ReplyContext,
  type StatusView
} from '../../domain/commands'
import type { MattermostAdapter } from '../../mattermost/create-mattermost-adapter'
import type { DefaultsStore } from '../../store/defaults-store'
import type { JobQueue } from '../job-queue'
import type { SyncedUser, SyncedUserStore } from '../services'
import type { CommandReply, CommandRequest } from './command-port'
import type { PersonState } from './explain-status'
import type { SettingsPatch } from './person-settings'

// `/calstatus …`: each sub-command on the person's own record. The parser validates; the work is a
// settings change and a sync job, so the reply is back well within the time Mattermost waits
// (docs/mattermost.md#custom-slash-commands).

export interface PersonCommandsDeps {
  users: Pick<SyncedUserStore, 'get' | 'setChoice' | 'choiceOf'>
  defaults: Pick<DefaultsStore<SettingsOverrides>, 'get'>
  jobs: Pick<JobQueue, 'syncUsers' | 'enrolUser'>
  mattermost: Pick<MattermostAdapter, 'getUser'>
  explain(user: SyncedUser, state: PersonState, defaults: SettingsOverrides, optInSite: boolean): Promise<StatusView>
  changeSettings(user: SyncedUser, patch: SettingsPatch, reason: string): Promise<SettingsOverrides>
  settingsPanel(user: SyncedUser, reader: ReplyContext): Promise<CommandReply>
  /** SYNC_USERS: everyone unless they opt out, or only those who opt in */
  syncUsers: 'all' | 'opt-in'
  /** where `help` points for more (the README), if anywhere */
  moreUrl: string | null
  log: Logger
  now: () => number
}

interface Asker {
  userId: string
  user: SyncedUser | null
  state: PersonState
  reader: ReplyContext
}

/** Whether the service holds a status or custom status of the person right now. */
function holding(user: SyncedUser, now: number): { status: 'dnd' | 'away' | 'offline'; until: number } | null {
  const r = user.remembered
  if (r === null || r.released || r.blockEnd <= now || !r.setStatus || r.setStatus === 'online') return null
  return { status: r.setStatus, until: r.statusEnd ?? r.blockEnd }
}

export function createPersonCommands(deps: PersonCommandsDeps) {
  const optInSite = deps.syncUsers === 'opt-in'

  /** Who is asking: their record, whether they are synced, their zone and language. */
  const whoIs = async (userId: string, now: number): Promise<Asker> => {
    const [user, choice] = await Promise.all([deps.users.get(userId), deps.users.choiceOf(userId)])
    const optedOut = optInSite ? choice !== 'in' : choice === 'out'
    const state: PersonState = optedOut ? 'opted-out' : !user || user.mailbox === 'pending' ? 'not-enrolled' : user.mailbox !== 'ok' ? 'no-mailbox' : 'synced'
    // Not enrolled (yet): their zone and language from Mattermost, for "until 17:00" and the reply.
    const known = user ?? (await deps.mattermost.getUser(userId).catch(() => null))
    const reader = { now, zone: known?.timeZone ?? 'UTC', ...resolveLocale(known?.locale) }
    return { userId, user, state, reader }
  }

  /** A change needs a record to live on: a person who is not in is told how to start. */
  const change = async (asker: Asker, work: (user: SyncedUser) => Promise<string>): Promise<CommandReply> => {
    if (asker.state === 'opted-out') return { text: optInNeededText(asker.reader) }
    if (!asker.user) return { text: notEnrolledText(asker.reader) }
    return { text: await work(asker.user) }
  }

  const settingsOf = async (user: SyncedUser) => resolveSettings(await deps.defaults.get(), user.settings ?? {})

  const optIn = async ({ userId, user, state, reader }: Asker): Promise<string> => {
    const already = state !== 'opted-out' && user?.settings?.enabled !== false
    await deps.users.setChoice(userId, 'in')
    if (user && user.settings?.enabled === false) await deps.changeSettings(user, { enabled: null }, 'turned on')
    if (user?.mailbox === 'ok') await deps.jobs.syncUsers([userId], 'turned on')
    else await deps.jobs.enrolUser(userId)
    return turnedOnText(reader, { optInSite, already })
  }

  const optOut = async ({ userId, user, state, reader }: Asker): Promise<string> => {
    const already = state === 'opted-out'
    await deps.users.setChoice(userId, 'out')
    // Rule 1: off puts back what the service holds (docs/status-rules.md#rule-1); the directory run then lets them go.
    if (user) await deps.changeSettings(user, { enabled: false }, 'turned off')
    return turnedOffText(reader, { restored: user !== null && holding(user, reader.now) !== null, already })
  }

  const run = async (command: Command, asker: Asker): Promise<CommandReply> => {
    const { reader } = asker
    const now = reader.now
    switch (command.kind) {
      case 'help':
        return { text: helpText(reader.language, deps.moreUrl) }
      case 'invalid':
        return { text: invalidText(command.problem, reader.language) }
      case 'status':
        if (!asker.user) return { text: asker.state === 'opted-out' ? optInNeededText(reader) : notEnrolledText(reader) }
        return { text: statusText(await deps.explain(asker.user, asker.state, (await deps.defaults.get()) ?? {}, optInSite)) }
      case 'pause':
        return change(asker, async (user) => {
          await deps.changeSettings(user, { pausedUntil: command.untilMs }, 'paused')
          return pausedText(reader, command.untilMs, holding(user, now))
        })
      case 'resume':
        return change(asker, async (user) => {
          const was = (await settingsOf(user)).pausedUntil
          await deps.changeSettings(user, { pausedUntil: null }, 'resumed')
          return resumedText(reader, was !== null && was > now)
        })
      case 'autopilot':
        return change(asker, async (user) => {
          await deps.changeSettings(user, { autopilotUntil: command.untilMs }, 'autopilot on')
          return autopilotOnText(reader, command.untilMs)
        })
      case 'autopilot-off':
        return change(asker, async (user) => {
          const was = (await settingsOf(user)).autopilotUntil
          await deps.changeSettings(user, { autopilotUntil: null }, 'autopilot off')
          return autopilotOffText(reader, was !== null && was > now)
        })
      case 'settings':
        if (asker.state === 'opted-out') return { text: optInNeededText(reader) }
        if (!asker.user) return { text: notEnrolledText(reader) }
        return deps.settingsPanel(asker.user, reader)
      case 'on':
        return { text: await optIn(asker) }
      case 'off':
        return { text: await optOut(asker) }
    }
  }

  return async (req: CommandRequest): Promise<CommandReply> => {
    const now = deps.now()
    const asker = await whoIs(req.userId, now)
    const command = parseCommand(req.text, { now, zone: asker.reader.zone })
    deps.log.info({ user: req.userId, command: command.kind }, 'slash command')
    return run(command, asker)
  }
}
