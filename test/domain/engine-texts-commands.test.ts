import t from 'tap'
import { decide } from '../../src/domain'
import { input, item, settings, T } from './helpers'
import { toneProblems } from './commands/text-checks'

// Every direct message the rule engine writes names only commands that exist and reads like the
// rest: the same tone check as the slash command's replies (`/calstatus …` in them must parse).

t.test('the engine’s messages: each notify mode, the question, a private meeting, another zone', async (t) => {
  const cases = [
    { notify: 'every' as const },
    { notify: 'daily' as const },
    { confirm: true },
    { notify: 'daily' as const, mapping: { busy: { status: 'away' as const } } }
  ]
  for (const over of cases) {
    for (const timeZone of ['Europe/Berlin', 'America/Los_Angeles']) {
      const d = decide(
        input({
          now: T('10:00'),
          timeZone,
          items: [item('10:00', '11:00', 'busy', { subject: 'Design review' }), item('14:00', '15:00', 'busy', { isPrivate: true, subject: 'Doctor' })],
          settings: settings({ notify: 'every', ...over })
        })
      )
      t.ok(d.message, `${JSON.stringify(over)} ${timeZone}: a message`)
      if (!d.message) continue
      // A question's way forward is its two buttons.
      const problems = toneProblems(d.message.text).filter((p) => d.message?.kind !== 'confirm' || p !== 'ends with nothing to do')
      t.same(problems, [], `${d.message.kind} message`)
      t.notMatch(d.message.text, /Doctor/, 'never a private subject')
    }
  }
})
