// The `/calstatus` slash command, pure (issue 16): reading the text, and the texts of the replies.
export { parseCommand } from './parse-command'
export type { Command } from './command'
export { helpText, invalidText } from './help-text'
export {
  actionRefusedText,
  autopilotOffText,
  autopilotOnText,
  notEnrolledText,
  optInNeededText,
  pausedText,
  resumedText,
  settingsIntroText,
  settingsNeedPublicUrlText,
  settingsSentText,
  settingsSoonText,
  turnedOffText,
  turnedOnText
} from './replies'
export type { RefusedAction } from './catalog-type'
export { statusText } from './status-text'
export type { Meeting, ReplyContext, StatusView } from './status-view'
export { settingChange, settingsRows } from './settings-panel'
export type { PanelSettings } from './settings-panel'
