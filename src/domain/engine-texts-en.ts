// English words of the engine's texts: short, second person, and ending with what the reader
// can do, naming only commands that exist (docs/status-rules.md#texts).
import type { EngineTexts } from './engine-texts'

const PAUSE_AND_SETTINGS = 'To pause this, type `/calstatus pause 1h`; to change what I do, `/calstatus settings`.'

export const EN_TEXTS: EngineTexts = {
  statusName: { dnd: 'Do Not Disturb', away: 'Away', offline: 'Offline' },
  until: {
    time: (time) => `until ${time}`,
    dateTime: (date, time) => `until ${date}, ${time}`,
    endOfToday: 'until the end of the day',
    endOf: (date) => `until the end of ${date}`
  },
  entered: {
    level: {
      busy: "📅 You're in a meeting",
      tentative: '📅 You have a tentative meeting',
      oof: "🌴 You're out of office",
      workingElsewhere: "🏠 You're working elsewhere",
      free: "You're free"
    },
    text: (level, until, status, toOnline) =>
      `${level} ${until}, so I set your status to ${status}. ${toOnline ? 'It goes back to online afterwards.' : 'It goes back to how it was afterwards.'} ${PAUSE_AND_SETTINGS}`
  },
  daily: {
    greeting: { morning: 'Good morning!', afternoon: 'Good afternoon!', evening: 'Good evening!', plain: 'Hello!' },
    intro: (status) => (status === null ? "I'll change your status during today's meetings:" : `I'll set ${status} during today's meetings:`),
    level: { busy: 'busy', tentative: 'tentative', oof: 'out of office', workingElsewhere: 'working elsewhere', free: 'free' },
    privateItem: 'Private appointment',
    allDay: 'all day',
    from: (time) => `from ${time}`,
    until: (time) => `until ${time}`,
    range: (start, end) => `${start}–${end}`,
    entry: (when, what, status) => (status === null ? `${when} ${what}` : `${when} ${what} (${status})`),
    more: (count) => `and ${count} more`,
    after: (toOnline) =>
      `${toOnline ? 'Your status goes back to online after each one.' : 'Your status comes back on its own after each one.'} Type \`/calstatus pause 1h\` to stop for a while, or \`/calstatus settings\` to change what I do.`
  },
  confirm: {
    level: {
      busy: 'Your meeting',
      tentative: 'Your tentative meeting',
      oof: 'Your time out of office',
      workingElsewhere: 'Your time working elsewhere',
      free: 'Your free time'
    },
    emoji: { busy: '📅', tentative: '📅', oof: '🌴', workingElsewhere: '🏠', free: '📅' },
    question: (emoji, what, startsNow, until, status) => `${emoji} ${what} ${startsNow ? 'starts now' : 'is on'} (${until}). Set ${status}?`,
    quoted: (subject) => `"${subject}"`,
    acceptLabel: (status, until) => `Set ${status} ${until}`,
    declineLabel: 'Not this time',
    acceptedText: (status, until) => `✓ ${status} ${until}`,
    declinedText: 'Left as it was for this meeting'
  }
}
