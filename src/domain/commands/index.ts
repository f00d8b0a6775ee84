// The `/calstatus` slash command, pure (issue 16): reading the text, and the texts of the replies.
export { parseCommand } from './parse-command'
export type { ParseContext } from './parse-command'
export { MAX_DURATION_DAYS, SUB_COMMANDS } from './command'
export type { Command, InvalidInput, SubCommand, TimedCommand } from './command'
export { helpText, invalidText } from './help-text'
export {
  autopilotOffText,
  autopilotOnText,
  notEnrolledText,
  optInNeededText,
  pausedText,
  resumedText,
  turnedOffText,
  turnedOnText
} from './replies'
export { statusText } from './status-text'
export type { Meeting, MeetingAction, MeetingLevel, NotifyMode, PersonStatus, ReplyContext, StatusView } from './status-view'
export { settingChange, settingsRows } from './settings-panel'
export type { PanelOverrides, PanelSettings, SettingKey, SettingOption, SettingsRow } from './settings-panel'
