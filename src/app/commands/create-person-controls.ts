import { resolveLocale, resolveSettings } from '../../domain'
import { settingsIntroText, settingsNeedPublicUrlText, settingsRows, settingsSentText, settingsSoonText, type ReplyContext } from '../../domain/commands'
import type { Services } from '../services'
import { withinBudget } from '../../shared/within-budget'
import type { PersonControls } from './command-port'
import { createExplainStatus } from './explain-status'
import { createPersonActions } from './person-actions'
import { createPersonCommands } from './person-commands'
import { createPersonSettings } from './person-settings'
import { settingsAttachments } from './settings-panel'

/** How long `/calstatus` waits for the live calendar and status reads before answering without them. */
const STATUS_READ_BUDGET_MS = 700
/** How long `/calstatus settings` waits for its direct message to be posted before answering anyway. */
const SETTINGS_POST_BUDGET_MS = 2000

/**
 * The person-facing use cases (`/calstatus` and clicks on our messages), built once in the web
 * process from its services. Null without Mattermost.
 */
export function createPersonControls(s: Services, now: () => number = Date.now): PersonControls | null {
  const mattermost = s.mattermost
  if (!mattermost) return null
  const changeSettings = createPersonSettings({ users: s.users, jobs: s.jobs })
  const explain = createExplainStatus({ calendars: s.graph, mattermost, budgetMs: STATUS_READ_BUDGET_MS, now })
  const actions = s.personActions

  type User = Parameters<typeof changeSettings>[0]
  /** The panel as it stands now, with fresh one-time contexts. */
  const panel = async (user: User, reader: ReplyContext, signed: NonNullable<typeof actions>) => {
    const settings = resolveSettings(await s.defaults.get(), user.settings ?? {})
    const rows = settingsRows(settings, reader.language)
    return { text: settingsIntroText(reader), attachments: settingsAttachments(rows, user.mmUserId, signed.url, signed.signer, now()) }
  }
  // Like the calendar plugin's settings, the panel is a direct message: a real post, so a choice
  // can update it in place, and it is still there tomorrow.
  const sendSettingsPanel = async (user: User, reader: ReplyContext) => {
    if (!actions) return { text: settingsNeedPublicUrlText(reader) }
    const content = await panel(user, reader, actions)
    const sent = mattermost.sendDirectMessage(user.mmUserId, content.text, { attachments: content.attachments })
    // Behind a busy rate ceiling the post may wait: the person hears back in time either way.
    const posted = await withinBudget(SETTINGS_POST_BUDGET_MS, sent)
    if (!posted.done) sent.catch((err: unknown) => s.log.warn({ err, user: user.mmUserId }, 'settings message not sent'))
    return { text: posted.done ? settingsSentText(reader) : settingsSoonText(reader) }
  }

  const command = createPersonCommands({
    users: s.users,
    defaults: s.defaults,
    jobs: s.jobs,
    mattermost,
    explain,
    changeSettings,
    settingsPanel: sendSettingsPanel,
    syncUsers: s.config.syncUsers,
    moreUrl: null,
    log: s.log,
    now
  })
  const action = actions
    ? createPersonActions({
        signer: actions.signer,
        nonces: s.nonces,
        users: s.users,
        jobs: s.jobs,
        changeSettings,
        settingsPanel: (user, reader) => panel(user, reader, actions),
        reader: (user) => ({ now: now(), zone: user?.timeZone ?? 'UTC', ...resolveLocale(user?.locale) }),
        log: s.log
      })
    : null
  return {
    command,
    // Without PUBLIC_URL no message of ours carries buttons: nothing can call back.
    action: action ?? (async () => ({}))
  }
}
