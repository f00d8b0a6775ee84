import t from 'tap'
import { helpText, invalidText, parseCommand } from '../../../src/domain/commands'
import { checkTone, toneProblems } from './text-checks'

const ctx = { now: Date.UTC(2026, 2, 16, 10), zone: 'UTC' }
const problemOf = (text: string) => {
  const c = parseCommand(text, ctx)
  if (c.kind !== 'invalid') throw new Error(`${text} was read as ${c.kind}`)
  return c.problem
}

t.test('help names every sub-command with an example and where to learn more', async (t) => {
  const help = helpText()
  for (const c of [
    '`/calstatus status`',
    '`/calstatus pause <time>`',
    '`/calstatus pause 1h`',
    '`/calstatus resume`',
    '`/calstatus autopilot <time>`',
    '`/calstatus autopilot off`',
    '`/calstatus on`',
    '`/calstatus off`',
    '`/calstatus settings`',
    '`/calstatus help`'
  ])
    t.ok(help.includes(c), c)
  t.match(help, /Ask your Mattermost admins\.$/)
  t.match(helpText('en', 'https://intranet.example/calstatus'), /Learn more: https:\/\/intranet\.example\/calstatus$/)
  checkTone(t, help, 'help')
})

t.test('what was wrong, and what to type instead', async (t) => {
  const table: [string, string][] = [
    ['pause banana', "I didn't understand `pause banana`. Try `/calstatus pause 30m`, `/calstatus pause 2h` or `/calstatus pause until 17:00`."],
    ['paus 1h', "I didn't understand `paus 1h`. Did you mean `/calstatus pause 1h`?\n"],
    ['settngs', 'Did you mean `/calstatus settings`?'],
    ['banana', "I didn't understand `banana`. Here's what I can do:\n`/calstatus status`"],
    ['pause', 'For how long? Try `/calstatus pause 30m`'],
    ['autopilot', 'For how long? Try `/calstatus autopilot 2h`'],
    ['pause 30', 'Did you mean `/calstatus pause 30m`?'],
    ['pause 0m', "That's less than a minute."],
    ['pause until today 9:00', 'That time has already passed today. Try `/calstatus pause until tomorrow 9:00`.'],
    ['pause 40d', 'I can pause for at most 30 days. Try `/calstatus pause 30d`, or `/calstatus off` to stop for good.'],
    ['autopilot 40d', 'Autopilot lasts at most 30 days. Try `/calstatus autopilot 30d`.'],
    ['resume now', '`/calstatus resume` takes nothing after it.']
  ]
  for (const [input, phrase] of table) {
    const text = invalidText(problemOf(input))
    t.ok(text.includes(phrase), `${input}: ${text}`)
    checkTone(t, text, input)
  }
})

t.test('the input shown back cannot break the Markdown or reorder the text', async (t) => {
  const text = invalidText(problemOf('pause `code` \u202eevil\u0007 ' + 'x'.repeat(200)))
  t.notOk(text.includes('\u202e') || text.includes('\u0007'), 'no bidi override, no bell')
  t.match(text, /^I didn't understand `pause 'code' evil x+…`\./)
  t.ok(text.length < 300, 'cut short')
})

t.test('the tone check sees what it must', async (t) => {
  t.same(toneProblems('I released your block. Type `/calstatus pauze 1h`.\nThanks.'), [
    'internal name "released"',
    'no such command: /calstatus pauze 1h',
    'ends with nothing to do'
  ])
  t.same(toneProblems('Your sync-user failed. `/calstatus help`'), ['internal name "sync"'])
})
