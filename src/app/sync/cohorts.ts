import type { Logger } from 'pino'
import { RetryLater } from '../../shared/retry-later'
import type { WakeUpStore } from '../../store/wake-up-store'
import type { CohortRun, JobQueue } from '../job-queue'
import type { Outcome } from '../outcome'
import { planLead, type Allowance } from './plan-lead'
import { SHARD_SIZE } from './sweep'
import type { SyncUsers } from './sync-users'
import { WAKE_UP_GRACE_MS } from './wake-ups'

// Cohort wake-ups (docs/architecture.md, "Wake-ups"): the users whose next change falls on the
// same instant are woken together, 400 per shard, each shard one Graph $batch and one bulk
// read of statuses and of custom statuses. The early run plans the pre-roll and starts the
// shards so that the last write lands by the instant; the on-time run, at the instant, takes
// whoever is still due (ends, late joiners, anyone the early run could not do).

export interface Cohorts {
  /** `wake-cohort`: one run of the cohort of `at`. */
  run(work: { at: number; run: CohortRun }): Promise<Outcome>
  /** `wake-shard`: up to 400 of its members. */
  shard(work: { at: number; run: CohortRun; userIds: string[] }): Promise<Outcome>
}

export interface CohortDeps {
  markers: Pick<WakeUpStore, 'cohort' | 'closeCohort'>
  jobs: Pick<JobQueue, 'cohortShards' | 'addWakeUp'>
  syncUsers: SyncUsers
  /** what Mattermost allows now (the cluster's ceiling, learned from the server) */
  allowance: () => Promise<Allowance>
  /** MAX_EARLY_SECONDS in ms: a block is never entered earlier than this before its start */
  maxEarlyMs: number
  log: Logger
  now?: () => number
}

/** A member another job held, or whose calendar could not be read, is tried again this soon. */
const RETRY_MS = 400

export function createCohorts(deps: CohortDeps): Cohorts {
  const now = deps.now ?? Date.now
  const shardsOf = (ids: string[]): string[][] => {
    const shards: string[][] = []
    for (let i = 0; i < ids.length; i += SHARD_SIZE) shards.push(ids.slice(i, i + SHARD_SIZE))
    return shards
  }

  const early = async (at: number): Promise<Outcome> => {
    if (now() >= at) return { outcome: 'skipped', reason: 'the instant has come: the on-time run does it' }
    const members = await deps.markers.cohort(at)
    if (members.length === 0) return { outcome: 'skipped', reason: 'nobody is due at this instant' }
    const leadMs = planLead(members.length, await deps.allowance(), deps.maxEarlyMs)
    const startAt = at - leadMs
    // Planned ahead of time: wait (in the queue, no slot held) until the pre-roll begins.
    if (now() < startAt - 50) throw new RetryLater(`the cohort of ${new Date(at).toISOString()} starts writing ${leadMs} ms before it`, startAt - now())
    await deps.jobs.cohortShards(at, 'early', shardsOf(members))
    return { outcome: 'done', detail: { members: members.length, leadMs } }
  }

  const onTime = async (at: number): Promise<Outcome> => {
    const members = await deps.markers.closeCohort(at, WAKE_UP_GRACE_MS)
    if (members.length === 0) return { outcome: 'skipped', reason: 'nobody left at this instant' }
    await deps.jobs.cohortShards(at, 'on-time', shardsOf(members))
    return { outcome: 'done', detail: { members: members.length } }
  }

  return {
    run: ({ at, run }) => (run === 'early' ? early(at) : onTime(at)),
    async shard({ at, run, userIds }) {
      const notDone: string[] = []
      const summary = await deps.syncUsers(userIds, {
        reason: run === 'early' ? 'wake-up (early)' : 'wake-up',
        failIfBusy: false,
        ...(run === 'early' ? { earlyEntryUntil: at, maxEarlyMs: deps.maxEarlyMs } : {}),
        onNotDone: (mmUserId) => notDone.push(mmUserId)
      })
      // The early run leaves them to the on-time run; after it, nobody else would wake them.
      if (run === 'on-time') for (const id of notDone) await deps.jobs.addWakeUp(id, at, RETRY_MS)
      if (notDone.length > 0) deps.log.info({ at: new Date(at).toISOString(), run, again: notDone.length }, 'cohort members to try again')
      return { outcome: 'done', detail: { ...summary, again: notDone.length } }
    }
  }
}
