/**
 * What a use case reports when it runs as a job: `done` with figures for the job's record, or
 * `skipped` with the reason, for an expected skip (not an error: nothing to retry).
 */
export type Outcome = { outcome: 'done'; detail?: Record<string, unknown> } | { outcome: 'skipped'; reason: string }
