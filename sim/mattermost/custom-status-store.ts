import { addRecentCustomStatus, marshalCustomStatus, type StoredCustomStatus } from './custom-status'
import type { CustomStatusChange, SimHistory } from './history'
import { SYSTEM_EMOJI_NAMES, isValidCustomEmojiName } from './system-emoji'
import type { UserDirectory } from './user-directory'

// The custom status lives in user.props.customStatus as a JSON string; clearing sets it to ""
// (user.ClearCustomStatus), it is not removed. The server never clears an expired one.
// Recent statuses (5, deduplicated by text) are kept per user.

export interface CustomStatusStore {
  set(userId: string, cs: StoredCustomStatus, who: CustomStatusChange['who']): void
  clear(userId: string, who: CustomStatusChange['who']): void
  current(userId: string): StoredCustomStatus | null
  recent(userId: string): StoredCustomStatus[]
  addCustomEmoji(name: string): void
  emojiExists(name: string): boolean
}

export function parseCustomStatusProp(raw: string | undefined): StoredCustomStatus | null {
  if (!raw) return null
  try {
    const v = JSON.parse(raw) as StoredCustomStatus
    return typeof v === 'object' && v !== null ? v : null
  } catch {
    return null
  }
}

export function createCustomStatusStore(deps: { now: () => number; users: UserDirectory; history: SimHistory }): CustomStatusStore {
  const recents = new Map<string, StoredCustomStatus[]>()
  const customEmoji = new Set<string>()

  const writeProp = (userId: string, value: string, action: 'set' | 'clear', to: StoredCustomStatus | null, who: CustomStatusChange['who']): void => {
    const user = deps.users.get(userId)
    if (!user) throw new Error(`mattermost sim: no user ${userId}`)
    const from = parseCustomStatusProp(user.props['customStatus'])
    deps.users.update(userId, { props: { ...user.props, customStatus: value } })
    deps.history.customStatuses.push({ time: deps.now(), userId, action, from, to, propValue: value, who })
  }

  return {
    set(userId, cs, who) {
      writeProp(userId, marshalCustomStatus(cs), 'set', cs, who)
      recents.set(userId, addRecentCustomStatus(recents.get(userId) ?? [], cs))
    },
    clear(userId, who) {
      writeProp(userId, '', 'clear', null, who)
    },
    current(userId) {
      return parseCustomStatusProp(deps.users.get(userId)?.props['customStatus'])
    },
    recent: (userId) => [...(recents.get(userId) ?? [])],
    addCustomEmoji(name) {
      if (!isValidCustomEmojiName(name)) throw new Error(`mattermost sim: invalid custom emoji name "${name}"`)
      if (SYSTEM_EMOJI_NAMES.has(name)) throw new Error(`mattermost sim: "${name}" is a system emoji name`)
      customEmoji.add(name)
    },
    emojiExists: (name) => SYSTEM_EMOJI_NAMES.has(name) || customEmoji.has(name)
  }
}
