import { mattermostChecks, type MattermostCheckDeps } from './mattermost-checks'
import { microsoftChecks, type MicrosoftCheckDeps } from './microsoft-checks'
import { redisChecks, type RedisInfoPort } from './redis-checks'
import { runCheck, type SetupCheck } from './setup-check'
import { webhookChecks, type WebhookCheckDeps } from './webhook-checks'

export type { SetupCheck } from './setup-check'

// The admin's setup checklist and `npm run doctor` (src/main/doctor.ts): every line says what was seen and,
// when not ok, the fix. The checks run in parallel, each within its own time budget, and a
// check never throws: a failure is its line.

const BUDGET_MS = 5000

export interface SetupHealthDeps
  extends Pick<MicrosoftCheckDeps, 'graph' | 'users'>, Pick<MattermostCheckDeps, 'config' | 'mattermost'>, Pick<WebhookCheckDeps, 'subscriptions'> {
  /** the state connection, for INFO and CONFIG GET */
  redis: RedisInfoPort
  /** getSchedule for this mailbox rather than an enrolled person's (the doctor's `--mailbox`) */
  mailbox?: string | null
}

export interface SetupHealth {
  check(): Promise<SetupCheck[]>
}

export function createSetupHealth(deps: SetupHealthDeps, opts: { budgetMs?: number; now?: () => number } = {}): SetupHealth {
  const budgetMs = opts.budgetMs ?? BUDGET_MS
  const now = opts.now ?? Date.now
  return {
    async check() {
      const specs = [
        ...microsoftChecks({ graph: deps.graph, users: deps.users, now, mailbox: deps.mailbox ?? null, subscribes: deps.config.publicUrl !== null }),
        ...mattermostChecks({ config: deps.config, mattermost: deps.mattermost }),
        ...webhookChecks({ config: deps.config, subscriptions: deps.subscriptions, now, budgetMs }),
        ...redisChecks(deps.redis)
      ]
      return Promise.all(specs.map((spec) => runCheck(spec, budgetMs)))
    }
  }
}
