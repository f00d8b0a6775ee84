import t from 'tap'
import { runCheck } from '../../../src/app/admin/setup-check'

// A check that does not answer, or throws, is still a line: failed, with a fix that says where
// the call went (the doctor promises a fix on every ✗ line).

t.test('no answer within the budget: a failed line with its group’s fix', async (t) => {
  const started = Date.now()
  const line = await runCheck({ id: 'mm-x', group: 'mattermost', title: 'X', run: () => new Promise(() => undefined) }, 50)
  t.ok(Date.now() - started < 1000, 'the budget ends the wait')
  t.match(line, { id: 'mm-x', group: 'mattermost', title: 'X', state: 'fail', detail: 'no answer within 0 s', fix: /Check MM_URL/ })
})

t.test('an error: its message without URL credentials, and the group’s fix', async (t) => {
  const line = await runCheck(
    {
      id: 'redis-x',
      group: 'redis',
      title: 'X',
      run: async () => {
        throw new Error('connect to redis://:hunter2@10.0.0.1:6379 failed')
      }
    },
    1000
  )
  t.match(line, { state: 'fail', fix: /Check REDIS_URL/ })
  t.notMatch(line.detail, /hunter2/)
})

t.test('a finding keeps its own fix', async (t) => {
  const line = await runCheck({ id: 'ms-x', group: 'microsoft', title: 'X', run: async () => ({ state: 'warn', detail: 'd', fix: 'own fix' }) }, 1000)
  t.match(line, { state: 'warn', detail: 'd', fix: 'own fix' })
})
