import type { Processors } from './jobs'

// The processors the later issues fill in (sync pipeline, subscriptions, directory).
// Until then each job is accepted and reported as an expected skip, never as a failure.
const notYet = async (): Promise<{ outcome: 'skipped'; reason: string }> => ({ outcome: 'skipped', reason: 'not implemented yet' })

export function createDefaultProcessors(): Processors {
  return {
    sweep: notYet,
    'sweep-shard': notYet,
    'sync-user': notYet,
    'wake-up': notYet,
    subscriptions: notYet,
    directory: notYet
  }
}
