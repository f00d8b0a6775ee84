import type { InvalidInput, TimedCommand } from './command'
import type { CommandCatalog, ErrorKind, MeetingWords } from './catalog-type'
import type { LocalInstant } from './when'

// English, complete. Tone (issue 16): short, second person, the reader's own times, no internal
// names, every message ends with something the reader can do, and only commands that exist.

const until = (i: LocalInstant): string => {
  if (i.midnight) return i.lastDayIsToday ? 'until the end of today' : `until the end of ${i.lastDate}`
  if (i.day === 'today') return `until ${i.time}`
  if (i.day === 'tomorrow') return `until tomorrow ${i.time}`
  return `until ${i.date}, ${i.time}`
}

const at = (i: LocalInstant): string => (i.day === 'today' ? `at ${i.time}` : i.day === 'tomorrow' ? `tomorrow at ${i.time}` : `on ${i.date} at ${i.time}`)

const EXAMPLES: Readonly<Record<TimedCommand, string>> = {
  pause: 'Try `/calstatus pause 30m`, `/calstatus pause 2h` or `/calstatus pause until 17:00`.',
  autopilot: 'Try `/calstatus autopilot 2h`, `/calstatus autopilot until 17:00` or `/calstatus autopilot until tomorrow`.'
}

const SHORT_HELP = '`/calstatus status` · `/calstatus pause 1h` · `/calstatus resume` · `/calstatus settings` · `/calstatus help` for everything'

function invalid(p: InvalidInput, quoted: string): string {
  switch (p.reason) {
    case 'unknown-command':
      return p.suggestion === null
        ? `I didn't understand \`${quoted}\`. Here's what I can do:\n${SHORT_HELP}`
        : `I didn't understand \`${quoted}\`. Did you mean \`/calstatus ${p.suggestion}\`?\n${SHORT_HELP}`
    case 'missing-duration':
      return `For how long? ${EXAMPLES[p.command]}`
    case 'bad-duration':
      return `I didn't understand \`${quoted}\`. ${EXAMPLES[p.command]}`
    case 'no-unit':
      return `Did you mean \`/calstatus ${p.command} ${p.amount}m\`? Add m for minutes, h for hours or d for days.`
    case 'too-short':
      return `That's less than a minute. ${EXAMPLES[p.command]}`
    case 'past':
      return `That time has already passed today. Try \`/calstatus ${p.command} until tomorrow 9:00\`.`
    case 'too-long':
      return p.command === 'pause'
        ? `I can pause for at most ${p.maxDays} days. Try \`/calstatus pause ${p.maxDays}d\`, or \`/calstatus off\` to stop for good.`
        : `Autopilot lasts at most ${p.maxDays} days. Try \`/calstatus autopilot ${p.maxDays}d\`.`
    case 'extra-words':
      return `\`/calstatus ${p.command}\` takes nothing after it. Try \`/calstatus ${p.command}\`.`
  }
}

const HELP = [
  "I keep your Mattermost status in step with your calendar: Do Not Disturb during meetings, and your own status back when they end. Here's what you can type:",
  "- `/calstatus` or `/calstatus status`: what I'm doing for you right now",
  '- `/calstatus pause <time>`: leave your status alone for a while, e.g. `/calstatus pause 1h` or `/calstatus pause until 17:00`',
  '- `/calstatus resume`: start again before the pause ends',
  "- `/calstatus autopilot <time>`: set your status during meetings even when you've set one yourself, e.g. `/calstatus autopilot until tomorrow`",
  '- `/calstatus autopilot off`: stop autopilot early',
  '- `/calstatus on`: start changing your status during meetings',
  '- `/calstatus off`: stop, and get your own status back',
  '- `/calstatus settings`: choose what each kind of meeting does and which messages you get',
  '- `/calstatus help`: this list',
  'Times can be `30m`, `2h`, `1h30m`, `1d`, `until 17:00`, `until 5pm`, `until tomorrow 9:00` or `until monday`, up to 30 days.'
].join('\n')

const subject = (m: MeetingWords): string => (m.subject === null ? 'a meeting' : m.subject)

const ERRORS: Readonly<Record<ErrorKind, string>> = {
  calendar: "I can't read your calendar right now",
  status: "I couldn't change your status last time I tried",
  'custom-status': "I couldn't set your custom status last time I tried",
  message: "I couldn't send you a message last time I tried",
  other: 'Something went wrong on my side last time I tried'
}

export const EN: CommandCatalog = {
  until,
  at,
  span: (start, endTime) =>
    start.day === 'today' ? `${start.time}–${endTime}` : `${start.day === 'tomorrow' ? 'tomorrow' : start.date}, ${start.time}–${endTime}`,
  statusName: { online: 'Online', away: 'Away', offline: 'Offline', dnd: 'Do Not Disturb' },
  actionName: { dnd: 'Do Not Disturb', away: 'Away', offline: 'Offline', none: 'No change' },
  levelName: { busy: 'busy', tentative: 'tentative', oof: 'out of office', workingElsewhere: 'working elsewhere' },
  notifyName: { every: 'every meeting', daily: 'once a day', off: 'never' },
  onOff: (on) => (on ? 'on' : 'off'),

  help: (moreUrl) => `${HELP}\n${moreUrl === null ? 'Questions about how this is set up here? Ask your Mattermost admins.' : `Learn more: ${moreUrl}`}`,
  shortHelp: SHORT_HELP,
  invalid,

  paused: (u, holding) =>
    `Paused ${u} — I won't change your status.` +
    (holding === null
      ? ''
      : ` I'm leaving your ${EN.statusName[holding.status]} as it is now; it ends by itself ${holding.at}, or change it whenever you like.`) +
    ' `/calstatus resume` to start again.',
  resumed: (wasPaused) =>
    wasPaused
      ? "I'm back: I'll change your status during meetings again. `/calstatus pause 1h` to pause again."
      : "You weren't paused, so nothing changed. `/calstatus status` shows what I'm doing for you.",
  autopilotOn: (u) =>
    `Autopilot is on ${u}: I'll set your status during meetings even when you've set one yourself, and put you back to Online afterwards. \`/calstatus autopilot off\` to stop it early.`,
  autopilotOff: (wasOn) =>
    wasOn
      ? "Autopilot is off: when you've set a status yourself, I'll leave it alone again. `/calstatus autopilot 2h` to turn it back on."
      : "Autopilot wasn't on, so nothing changed. `/calstatus autopilot 2h` turns it on.",
  turnedOn: (optInSite, already) =>
    already
      ? "You're already in. `/calstatus status` shows what I'm doing for you."
      : `${optInSite ? "You're in" : "You're back in"}: I'll put you on Do Not Disturb during meetings and give you back your own status when they end. I'm reading your calendar now. \`/calstatus settings\` to choose what happens.`,
  turnedOff: (restored, already) =>
    already
      ? "I'm already leaving your status alone. `/calstatus on` to start again."
      : `I've stopped changing your status${restored ? ' and put back the one you had' : ''}. \`/calstatus on\` to start again.`,
  optInNeeded: 'Here I only change the status of people who ask me to. Type `/calstatus on` to start.',
  notEnrolled: "I'm looking up your calendar; this takes a minute. Type `/calstatus status` again shortly.",

  status: {
    optedOut: (optInSite) =>
      optInSite
        ? "I'm not changing your status: here I only do that for people who ask. `/calstatus on` to start."
        : "I'm not changing your status: you turned me off. `/calstatus on` to start again.",
    notEnrolled: "I'm looking up your calendar; this takes a minute. Type `/calstatus` again shortly.",
    noMailbox:
      "I can't find a Microsoft 365 calendar for your account, so I'm not changing your status. Ask your Mattermost admins to check your account's mailbox.",
    disabled: "Your admins have turned off status changes from calendars for you. Ask them if you'd like them back.",
    calendarUnreadable: "I can't read your calendar just now; I'll try again shortly.",
    holding: (status, endAt) => `You're on ${EN.statusName[status]}, which I set; it ends by itself ${endAt}.`,
    inMeeting: (m, u) =>
      m.level === 'oof'
        ? `🌴 You're out of office ${u}`
        : m.level === 'workingElsewhere'
          ? `🏠 You're working elsewhere ${u}`
          : `📅 You're in ${subject(m)} ${u} (${EN.levelName[m.level]})`,
    holdingMeeting: (status, endAt, restoreTo) =>
      `, so you're on ${EN.statusName[status]}. It ends by itself ${endAt} and you'll be back to ${restoreTo === null ? 'your own status' : EN.statusName[restoreTo]}.`,
    steppedBack: ". You changed your status, so I'm leaving it alone until this meeting ends.",
    leftAlone: (current, autopilotHint) =>
      current === 'offline'
        ? ". You're offline, so I've left your status as it is."
        : `. You'd set your status yourself, so I've left it as ${EN.statusName[current]}.${autopilotHint ? ' `/calstatus autopilot 2h` lets me change it anyway.' : ''}`,
    waitingToAsk: ". I'll ask you before changing your status.",
    free: (u) => (u === null ? "You're free: nothing coming up on your calendar." : `You're free ${u}.`),
    next: (m, span) => `Next: ${span} ${subject(m)} (${EN.levelName[m.level]})${m.action === 'none' ? '.' : ` → ${EN.actionName[m.action]}.`}`,
    error: (kind) => `${ERRORS[kind]}. Your admins have been told, and I'll keep trying.`,
    settingsLine: (notify, confirm, autopilot, paused) =>
      `Messages: ${EN.notifyName[notify]} · Ask first: ${confirm ? 'on' : 'off'} · Autopilot: ${autopilot ?? 'off'} · Paused: ${paused ?? 'no'}`,
    commands: (paused) => `${paused ? '`/calstatus resume`' : '`/calstatus pause 1h`'} · \`/calstatus settings\` · \`/calstatus help\``
  },

  actionRefused: {
    malformed: "That button isn't one of mine, so I changed nothing. Type `/calstatus settings` for a fresh settings message.",
    forged: "That button isn't one of mine, so I changed nothing. Type `/calstatus settings` for a fresh settings message.",
    expired: 'That button has expired, so I changed nothing. Type `/calstatus settings` for a fresh settings message, or `/calstatus` to see what I do now.',
    replayed: 'That choice was already made, so I changed nothing more. Type `/calstatus settings` for a fresh settings message.',
    'not-yours': 'That button was made for someone else, so I changed nothing. Type `/calstatus settings` for your own.',
    'not-synced': "I don't follow your calendar, so there is nothing to change. Type `/calstatus on` to start.",
    'bad-choice': "That isn't a choice I offer, so I changed nothing. Type `/calstatus settings` for a fresh settings message."
  },
  settings: {
    intro: "**Your calendar status settings.** Each choice applies at once. `/calstatus` shows what I'm doing now.",
    soon: 'Your settings are on their way to our direct message; Mattermost is busy, so give it a moment.',
    sent: "I've sent your settings to our direct message: choose there, each choice applies at once.",
    needPublicUrl:
      "I can't show the settings buttons here: your Mattermost admins have not given me a public address yet (`PUBLIC_URL`). Please tell them; until then `/calstatus pause 1h` and `/calstatus off` still work.",
    label: {
      busy: 'When busy',
      tentative: 'When tentative',
      oof: 'When out of office',
      workingElsewhere: 'When working elsewhere',
      customStatus: 'Custom status',
      showSubject: 'Show meeting subject',
      notify: 'Messages',
      confirm: 'Ask first',
      offlineUsers: "When I'm offline",
      mergeGapMinutes: 'Merge meetings closer than'
    },
    offlineUsers: { skip: 'Leave my status', apply: 'Change it anyway' },
    minutes: (n) => (n === 0 ? '0 min (only back-to-back)' : `${n} min`),
    changed: (label, value) => `${label}: ${value}. \`/calstatus settings\` to change more.`
  }
}
