import { guid, outlookId } from './ids'
import { toMs } from './time'

// The simulated tenant: users (directory + mailbox) and their calendars.

export interface GraphUser {
  id: string
  mail: string
  userPrincipalName: string
  displayName: string
  /** No Exchange Online mailbox (on-premises, inactive, soft-deleted): MailboxNotEnabledForRESTAPI. */
  restDisabled?: boolean
  /** Calendar shared as free/busy only: getSchedule items carry no subject or location. */
  freeBusyOnly?: boolean
}

export interface NewGraphUser {
  id?: string
  mail?: string
  userPrincipalName?: string
  displayName?: string
  restDisabled?: boolean
  freeBusyOnly?: boolean
}

export type ShowAs = 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown'

export interface SimEvent {
  id: string
  start: number
  end: number
  showAs: ShowAs
  subject: string
  location?: string
  isPrivate: boolean
  isCancelled: boolean
  isAllDay: boolean
}

export interface NewEvent {
  id?: string
  start: number | string | Date
  end: number | string | Date
  showAs?: ShowAs
  subject?: string
  location?: string
  isPrivate?: boolean
  isCancelled?: boolean
  isAllDay?: boolean
}

export type EventPatch = Partial<Omit<NewEvent, 'id'>>

export type ChangeType = 'created' | 'updated' | 'deleted'

export interface EventChange {
  userId: string
  eventId: string
  changeType: ChangeType
}

export interface Tenant {
  addUser(u?: NewGraphUser): GraphUser
  /** Removes the user and their calendar; returns the removed user. */
  removeUser(ref: string): GraphUser
  updateUser(ref: string, patch: Partial<Omit<GraphUser, 'id'>>): GraphUser
  /** By id, mail or userPrincipalName, case-insensitively. */
  findUser(ref: string): GraphUser | undefined
  /** Only by id or userPrincipalName (what Graph's directory resolves in /users/{x}). */
  findUserByIdOrUpn(ref: string): GraphUser | undefined
  users(): GraphUser[]
  addEvent(ref: string, ev: NewEvent): SimEvent
  updateEvent(ref: string, eventId: string, patch: EventPatch): SimEvent
  deleteEvent(ref: string, eventId: string): SimEvent
  listEvents(ref: string): SimEvent[]
}

const SHOW_AS: readonly ShowAs[] = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown']

function checkShowAs(v: string): ShowAs {
  const found = SHOW_AS.find((s) => s.toLowerCase() === v.toLowerCase())
  if (!found) throw new Error(`showAs must be one of ${SHOW_AS.join(', ')}, got ${v}`)
  return found
}

export function createTenant(opts: { onChange: (c: EventChange) => void; domain?: string }): Tenant {
  const domain = opts.domain ?? 'contoso.example'
  const byId = new Map<string, GraphUser>()
  const byMail = new Map<string, GraphUser>()
  const byUpn = new Map<string, GraphUser>()
  const calendars = new Map<string, Map<string, SimEvent>>()
  let seq = 0

  const index = (u: GraphUser): void => {
    byId.set(u.id.toLowerCase(), u)
    if (u.mail) byMail.set(u.mail.toLowerCase(), u)
    byUpn.set(u.userPrincipalName.toLowerCase(), u)
  }
  const unindex = (u: GraphUser): void => {
    byId.delete(u.id.toLowerCase())
    if (u.mail && byMail.get(u.mail.toLowerCase()) === u) byMail.delete(u.mail.toLowerCase())
    if (byUpn.get(u.userPrincipalName.toLowerCase()) === u) byUpn.delete(u.userPrincipalName.toLowerCase())
  }
  const findUser = (ref: string): GraphUser | undefined => {
    const k = ref.toLowerCase()
    return byId.get(k) ?? byUpn.get(k) ?? byMail.get(k)
  }
  const mustUser = (ref: string): GraphUser => {
    const u = findUser(ref)
    if (!u) throw new Error(`no such user: ${ref}`)
    return u
  }
  const calendarOf = (u: GraphUser): Map<string, SimEvent> => {
    let c = calendars.get(u.id)
    if (!c) calendars.set(u.id, (c = new Map<string, SimEvent>()))
    return c
  }
  const taken = (key: string | undefined, except?: GraphUser): boolean => {
    if (!key) return false
    const k = key.toLowerCase()
    return [byId.get(k), byMail.get(k), byUpn.get(k)].some((u) => u !== undefined && u !== except)
  }
  const buildEvent = (ev: NewEvent, id: string): SimEvent => {
    const start = toMs(ev.start)
    const end = toMs(ev.end)
    if (!(end >= start)) throw new Error(`event ends before it starts: ${String(ev.start)} .. ${String(ev.end)}`)
    return {
      id,
      start,
      end,
      showAs: checkShowAs(ev.showAs ?? 'busy'),
      subject: ev.subject ?? '',
      ...(ev.location !== undefined ? { location: ev.location } : {}),
      isPrivate: ev.isPrivate ?? false,
      isCancelled: ev.isCancelled ?? false,
      isAllDay: ev.isAllDay ?? false
    }
  }

  return {
    addUser(n = {}) {
      seq += 1
      const local = `user${seq}`
      const mail = n.mail ?? `${local}@${domain}`
      const user: GraphUser = {
        id: (n.id ?? guid()).toLowerCase(),
        mail,
        userPrincipalName: n.userPrincipalName ?? mail,
        displayName: n.displayName ?? `User ${seq}`,
        ...(n.restDisabled ? { restDisabled: true } : {}),
        ...(n.freeBusyOnly ? { freeBusyOnly: true } : {})
      }
      for (const key of [user.id, user.mail, user.userPrincipalName]) {
        if (taken(key)) throw new Error(`a user with ${key} exists already`)
      }
      index(user)
      return { ...user }
    },
    removeUser(ref) {
      const u = mustUser(ref)
      unindex(u)
      calendars.delete(u.id)
      return { ...u }
    },
    updateUser(ref, patch) {
      const u = mustUser(ref)
      for (const key of [patch.mail, patch.userPrincipalName]) {
        if (taken(key, u)) throw new Error(`a user with ${key} exists already`)
      }
      unindex(u)
      Object.assign(u, patch)
      if (patch.restDisabled === false) delete u.restDisabled
      if (patch.freeBusyOnly === false) delete u.freeBusyOnly
      index(u)
      return { ...u }
    },
    findUser: (ref) => {
      const u = findUser(ref)
      return u ? { ...u } : undefined
    },
    findUserByIdOrUpn(ref) {
      const k = ref.toLowerCase()
      const u = byId.get(k) ?? byUpn.get(k)
      return u ? { ...u } : undefined
    },
    users: () => [...byId.values()].map((u) => ({ ...u })),
    addEvent(ref, ev) {
      const u = mustUser(ref)
      const cal = calendarOf(u)
      const id = ev.id ?? outlookId()
      if (cal.has(id)) throw new Error(`event ${id} exists already`)
      const event = buildEvent(ev, id)
      cal.set(id, event)
      opts.onChange({ userId: u.id, eventId: id, changeType: 'created' })
      return { ...event }
    },
    updateEvent(ref, eventId, patch) {
      const u = mustUser(ref)
      const cal = calendarOf(u)
      const old = cal.get(eventId)
      if (!old) throw new Error(`no event ${eventId} for ${ref}`)
      const merged: NewEvent = { ...old, ...patch }
      const event = buildEvent(merged, eventId)
      if (patch.location === undefined && 'location' in patch) delete event.location
      cal.set(eventId, event)
      opts.onChange({ userId: u.id, eventId, changeType: 'updated' })
      return { ...event }
    },
    deleteEvent(ref, eventId) {
      const u = mustUser(ref)
      const cal = calendarOf(u)
      const old = cal.get(eventId)
      if (!old) throw new Error(`no event ${eventId} for ${ref}`)
      cal.delete(eventId)
      opts.onChange({ userId: u.id, eventId, changeType: 'deleted' })
      return { ...old }
    },
    listEvents(ref) {
      const u = mustUser(ref)
      return [...calendarOf(u).values()].sort((a, b) => a.start - b.start).map((e) => ({ ...e }))
    }
  }
}
