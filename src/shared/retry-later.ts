/**
 * Not a failure: the job should run again in `afterMs` (another job holds the user, or Mattermost
 * asked to wait longer than a process should sleep). The worker moves the job to BullMQ's
 * delayed set instead of failing it, so no attempt is used up (docs/architecture.md, "Jobs").
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly afterMs: number
  ) {
    super(message)
    this.name = 'RetryLater'
  }
}
