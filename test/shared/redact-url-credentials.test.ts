import t from 'tap'
import { redactUrlCredentials } from '../../src/shared/redact-url-credentials'

t.test('credentials in URLs are hidden, the rest kept', async (t) => {
  const cases: Array<[string, string]> = [
    ['redis://user:pw@host:6379/0', 'redis://user:[redacted]@host:6379/0'],
    ['rediss://:pw@host', 'rediss://:[redacted]@host'],
    ['redis://token-only@host', 'redis://[redacted]@host'],
    ['redis://user:p@ss@host', 'redis://user:[redacted]@host'], // a raw "@" in the password
    ['got "redis://u:pw@h:1" instead', 'got "redis://u:[redacted]@h:1" instead'],
    ['{"url":"https://u:pw@h/x","mail":"a@b.example"}', '{"url":"https://u:[redacted]@h/x","mail":"a@b.example"}'],
    ['two: redis://a:1@h and HTTPS://b:2@k', 'two: redis://a:[redacted]@h and HTTPS://b:[redacted]@k'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['https://example.com/path@x?y=@z', 'https://example.com/path@x?y=@z'],
    ['mail me at ops@example.com', 'mail me at ops@example.com']
  ]
  for (const [text, expected] of cases) t.equal(redactUrlCredentials(text), expected, text)
})
