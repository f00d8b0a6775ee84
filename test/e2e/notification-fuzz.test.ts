import t from 'tap'
import { startService } from '../helpers/service'
import { waitFor } from '../helpers/processes'
import { byService, MINUTE, S } from '../helpers/statuses'
import { seeded } from '../helpers/seeded-random'

// Longer than the suite's 300 s per file (.taprc): real meetings run their course here.
t.setTimeout(600_000)

// 10,000 random calendar changes for 100 people in about a minute, each one a Graph change
// notification to the real web process (adds, moves, cancellations, availability changes), while
// meetings start and end, sweeps run and two workers share the work. Afterwards everyone's
// status must be what their calendar says, and Mattermost must never have got DND over DND.

const PEOPLE = 100
const CHANGES = 10_000
const FUZZ_MS = 60 * S

type ShowAs = 'busy' | 'free' | 'tentative' | 'oof' | 'workingElsewhere'
const SHOW_AS: ShowAs[] = ['busy', 'free', 'tentative', 'oof', 'workingElsewhere']
const NEEDS_DND = new Set<ShowAs>(['busy', 'tentative', 'oof'])

t.test(`${CHANGES} notifications for ${PEOPLE} people: everyone ends in the status their calendar says, never DND over DND`, async (t) => {
  const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000)
  t.comment(`seed ${seed} (FUZZ_SEED=${seed} replays it)`)
  const random = seeded(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const people: Array<{ mmUserId: string; graphUserId: string }> = []
  const svc = await startService(t, {
    workers: 2,
    env: { SWEEP_INTERVAL_SECONDS: '15', MM_MAX_REQUESTS_PER_SECOND: '300' },
    before: (sims) => {
      for (let i = 0; i < PEOPLE; i++) {
        const p = sims.addPerson({ username: `fuzz${i}`, email: `fuzz${i}@contoso.example` })
        sims.mattermost.driver.presence(p.mmUserId, 'active')
        people.push(p)
      }
    }
  })
  const { sims } = svc
  const g = sims.graph.driver
  t.teardown(() => {
    if (!t.passing()) t.comment(svc.output().slice(-6000))
  })
  await waitFor('a subscription for everyone', 90 * S, async () => (g.subscriptions().length >= PEOPLE ? true : undefined))

  // Every event starts before the fuzz ends and ends either during it (a boundary the service
  // sees happen) or well after the check (still on): no boundary falls near the check.
  const T0 = Date.now()
  const checkAt = T0 + FUZZ_MS + 3 * MINUTE
  const span = () => {
    const start = T0 - 5 * MINUTE + random() * (5 * MINUTE + FUZZ_MS)
    const end = random() < 0.5 ? Math.max(start + 10 * S, T0 + random() * FUZZ_MS) : checkAt + 5 * MINUTE + random() * 10 * MINUTE
    return { start: Math.round(start), end: Math.round(end) }
  }
  const events = new Map<string, string[]>(people.map((p) => [p.graphUserId, []]))
  for (let i = 0; i < CHANGES; i++) {
    const due = T0 + (i / CHANGES) * FUZZ_MS
    if (Date.now() < due) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
    const person = pick(people)
    const mine = events.get(person.graphUserId)!
    const r = random()
    if (mine.length === 0 || r < 0.35) {
      mine.push(g.addEvent(person.graphUserId, { ...span(), showAs: pick(SHOW_AS), subject: `fuzz ${i}` }).id)
    } else if (r < 0.55) {
      const id = mine.splice(Math.floor(random() * mine.length), 1)[0]!
      g.deleteEvent(person.graphUserId, id)
    } else if (r < 0.8) {
      g.updateEvent(person.graphUserId, pick(mine), span())
    } else {
      g.updateEvent(person.graphUserId, pick(mine), { showAs: pick(SHOW_AS) })
    }
  }
  t.comment(`(for information) ${CHANGES} changes made in ${((Date.now() - T0) / 1000).toFixed(0)} s`)

  const expected = (p: { graphUserId: string }, at: number): 'dnd' | 'online' =>
    g.listEvents(p.graphUserId).some((e) => !e.isCancelled && NEEDS_DND.has(e.showAs as ShowAs) && e.start <= at && e.end > at) ? 'dnd' : 'online'
  const wrong = () => people.filter((p) => sims.mattermost.driver.status(p.mmUserId).status !== expected(p, Date.now()))
  await waitFor('everyone in the status their calendar says', checkAt - Date.now() - 10 * S, async () => (wrong().length === 0 ? true : undefined)).catch(
    () => undefined
  )
  // Hold still until the check instant (no boundary falls near it), then look once more.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, checkAt - Date.now())))
  const stillWrong = wrong()
  t.same(
    stillWrong.map((p) => ({ user: p.mmUserId, is: sims.mattermost.driver.status(p.mmUserId), calendar: expected(p, Date.now()) })),
    [],
    'nobody in a wrong status'
  )
  const ours = byService(sims)
  const dnd = sims.mattermost.history.statuses.filter((c) => c.to === 'dnd' && ours(c.who))
  t.equal(dnd.filter((c) => c.from === 'dnd' || c.prevStatus === 'dnd').length, 0, 'never DND over DND')
  t.ok(dnd.length > 0, `the fuzz did make the service write (${dnd.length} DND writes)`)
})
