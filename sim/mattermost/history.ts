import type { MmStatus } from './status-model'
import type { StoredCustomStatus } from './custom-status'

// What happened in the simulator, for assertions: every status change, every custom status
// change, every post created or updated, every ephemeral message, every outgoing integration
// call (slash commands, button callbacks).

/** 'api:<actor id>' for PUT /users/{id}/status (the driver acting as a user uses the user's id) */
export type StatusChangeCause = `api:${string}` | 'expiry' | 'presence' | 'driver'

export interface StatusChange {
  /** ms since the epoch (the simulator's clock) */
  time: number
  userId: string
  from: MmStatus
  to: MmStatus
  fromManual: boolean
  manual: boolean
  /** seconds, as stored (already truncated to the minute) */
  dndEndTime: number
  /** the hidden field after the change: what DND expiry would restore */
  prevStatus: MmStatus | ''
  who: StatusChangeCause
}

export interface CustomStatusChange {
  time: number
  userId: string
  action: 'set' | 'clear'
  from: StoredCustomStatus | null
  to: StoredCustomStatus | null
  /** the exact props.customStatus string after the change ("" after a clear) */
  propValue: string
  who: `api:${string}` | 'driver'
}

export interface PostEvent {
  time: number
  kind: 'create' | 'update'
  postId: string
  channelId: string
  userId: string
  message: string
  props: Record<string, unknown>
  /** who caused it: the API session user, or an integration reply */
  who: `api:${string}` | 'integration' | 'driver'
}

export interface EphemeralMessage {
  time: number
  userId: string
  channelId: string
  text: string
  source: 'slash_command' | 'button' | 'response_url'
}

export interface IntegrationCall {
  time: number
  kind: 'slash_command' | 'button'
  url: string
  /** HTTP status of the integration's answer; 0 when there was none */
  status: number
  durationMs: number
  error?: string
}

export interface SimHistory {
  statuses: StatusChange[]
  customStatuses: CustomStatusChange[]
  posts: PostEvent[]
  ephemerals: EphemeralMessage[]
  integrationCalls: IntegrationCall[]
}

export function createHistory(): SimHistory {
  return { statuses: [], customStatuses: [], posts: [], ephemerals: [], integrationCalls: [] }
}

export function clearHistory(h: SimHistory): void {
  h.statuses.length = 0
  h.customStatuses.length = 0
  h.posts.length = 0
  h.ephemerals.length = 0
  h.integrationCalls.length = 0
}
