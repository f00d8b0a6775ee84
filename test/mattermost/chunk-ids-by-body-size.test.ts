import t from 'tap'
import { chunkIdsByBodySize, STATUS_IDS_BODY_LIMIT } from '../../src/mattermost/create-mattermost-adapter'

const id = (i: number): string => i.toString(36).padStart(26, 'a')

t.test('as few calls as the body limit allows, each body under the limit', async (t) => {
  const ids = Array.from({ length: 100_000 }, (_, i) => id(i))
  const chunks = chunkIdsByBodySize(ids, STATUS_IDS_BODY_LIMIT)
  const perId = 29 // 26 characters, two quotes, a comma
  t.equal(chunks.length, Math.ceil((100_000 * perId) / STATUS_IDS_BODY_LIMIT), 'fewest chunks')
  for (const c of chunks) t.ok(Buffer.byteLength(JSON.stringify(c)) <= STATUS_IDS_BODY_LIMIT, 'under the limit')
  t.ok(STATUS_IDS_BODY_LIMIT < 300_000, "below the server's 300,000-byte default")
  t.same(chunks.flat(), ids, 'nothing lost, order kept')
  t.ok((chunks[0] as string[]).length > 8000, 'thousands of ids per call')
})

t.test('edges: empty, exactly at the limit, one over', async (t) => {
  t.same(chunkIdsByBodySize([], 100), [])
  const ids = [id(1), id(2), id(3)]
  const exact = Buffer.byteLength(JSON.stringify(ids))
  t.same(chunkIdsByBodySize(ids, exact), [ids], 'fits exactly')
  t.same(chunkIdsByBodySize(ids, exact - 1), [[id(1), id(2)], [id(3)]], 'one byte short splits')
})
