import t from 'tap'
import { blockAt, buildBlocks } from '../../src/domain'
import { item, settings, T } from './helpers'

const span = (b: { start: number; end: number }) => [new Date(b.start).toISOString().slice(11, 16), new Date(b.end).toISOString().slice(11, 16)]

t.test('back-to-back and overlapping items give exactly one block', async (t) => {
  const blocks = buildBlocks([item('10:00', '11:00'), item('11:00', '11:30'), item('11:15', '12:00', 'tentative'), item('14:00', '15:00')], settings())
  t.same(blocks.map(span), [
    ['10:00', '12:00'],
    ['14:00', '15:00']
  ])
  t.same(
    blocks[0]?.segments.map((s) => [...span(s), s.level]),
    [
      ['10:00', '11:30', 'busy'],
      ['11:30', '12:00', 'tentative']
    ],
    'tentative inside busy time does not lower the level; touching busy stretches are one segment'
  )
})

t.test('precedence oof > busy > tentative > workingElsewhere > free, level per stretch', async (t) => {
  const items = [
    item('09:00', '17:00', 'workingElsewhere'),
    item('10:00', '11:00', 'tentative'),
    item('10:30', '12:00'),
    item('11:30', '13:00', 'oof'),
    item('09:00', '18:00', 'free')
  ]
  const [block] = buildBlocks(items, settings())
  t.same(span(block!), ['09:00', '17:00'], 'free items take no part')
  t.same(
    block!.segments.map((s) => [...span(s), s.level]),
    [
      ['09:00', '10:00', 'workingElsewhere'],
      ['10:00', '10:30', 'tentative'],
      ['10:30', '11:30', 'busy'],
      ['11:30', '13:00', 'oof'],
      ['13:00', '17:00', 'workingElsewhere']
    ]
  )
})

t.test('mergeGapMinutes: items closer than the gap merge, and the level carries through the gap', async (t) => {
  const items = [item('10:00', '11:00'), item('11:05', '12:00', 'tentative'), item('12:11', '13:00')]
  t.same(buildBlocks(items, settings()).map(span), [
    ['10:00', '11:00'],
    ['11:05', '12:00'],
    ['12:11', '13:00']
  ])
  const merged = buildBlocks(items, settings({ mergeGapMinutes: 10 }))
  t.same(
    merged.map(span),
    [
      ['10:00', '12:00'],
      ['12:11', '13:00']
    ],
    'an 11-minute gap is more than 10'
  )
  t.same(
    merged[0]?.segments.map((s) => [...span(s), s.level]),
    [
      ['10:00', '11:05', 'busy'],
      ['11:05', '12:00', 'tentative']
    ]
  )
})

t.test('items that map to nothing, and empty or inverted items, take no part', async (t) => {
  const s = settings({ customStatus: false })
  t.same(buildBlocks([item('10:00', '11:00', 'workingElsewhere')], s), [], 'working elsewhere without custom status does nothing')
  t.same(buildBlocks([item('10:00', '11:00', 'workingElsewhere')], settings()).length, 1)
  t.same(buildBlocks([item('10:00', '10:00'), item('11:00', '10:00')], settings()), [])
  t.same(buildBlocks([item('10:00', '11:00', 'free')], settings({ mapping: { free: { status: 'away' } } })).length, 1, 'a user may map free to a status')
})

t.test('subjects per stretch (rule 17): only when opted in, never from a private item', async (t) => {
  const items = [
    item('10:00', '11:00', 'busy', { subject: 'Planning' }),
    item('11:00', '12:00', 'busy', { subject: 'Secret', isPrivate: true }),
    item('12:00', '13:00', 'busy', { subject: 'Review' }),
    item('12:30', '13:00', 'busy', { subject: 'Hidden', isPrivate: true })
  ]
  const on = buildBlocks(items, settings({ showSubject: true }))[0]!
  t.same(
    on.segments.map((s) => [...span(s), s.subject]),
    [
      ['10:00', '11:00', 'Planning'],
      ['11:00', '12:00', undefined],
      ['12:00', '12:30', 'Review'],
      ['12:30', '13:00', undefined]
    ]
  )
  const off = buildBlocks(items, settings())[0]!
  t.same(
    off.segments.map((s) => [...span(s), s.subject]),
    [['10:00', '13:00', undefined]]
  )
})

t.test('blockAt: start inclusive, end exclusive', async (t) => {
  const blocks = buildBlocks([item('10:00', '11:00')], settings())
  t.equal(blockAt(blocks, T('09:59:59')), null)
  t.equal(blockAt(blocks, T('10:00')), blocks[0])
  t.equal(blockAt(blocks, T('10:59:59')), blocks[0])
  t.equal(blockAt(blocks, T('11:00')), null)
})
