/**
 * A schedule the engine cannot read safely. Thrown rather than guessed, so that the caller
 * logs it and keeps the user's status as it is (no decision is better than a wrong one).
 */
export class ScheduleParseError extends Error {
  override readonly name = 'ScheduleParseError'
  constructor(
    readonly code: 'unknown-time-zone' | 'invalid-date-time',
    readonly value: string,
    message: string
  ) {
    super(message)
  }
}
