import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChainableCommander, Redis } from 'ioredis'

/**
 * The project's Lua scripts, one `.lua` file each in ./lua (copied beside the compiled code by
 * `npm run build`), registered once per connection as ioredis custom commands: they go as
 * EVALSHA, with the text sent once per connection (ioredis falls back on NOSCRIPT), in
 * pipelines too. A plain EVAL would send the whole script with each of the 100,000s of calls a
 * big sweep makes.
 */
const SCRIPTS = {
  ceilingAllowance: { file: 'ceiling-allowance.lua', keys: 1 },
  ceilingObserve: { file: 'ceiling-observe.lua', keys: 1 },
  ceilingReserve: { file: 'ceiling-reserve.lua', keys: 1 },
  closeCohort: { file: 'close-cohort.lua', keys: 2 },
  commit: { file: 'commit.lua', keys: 2 },
  commitUnchanged: { file: 'commit-unchanged.lua', keys: 2 },
  deleteIfEquals: { file: 'delete-if-equals.lua', keys: 1 },
  hashMax: { file: 'hash-max.lua', keys: 1 },
  hdelIfEquals: { file: 'hdel-if-equals.lua', keys: 1 },
  hsetIfExists: { file: 'hset-if-exists.lua', keys: 1 },
  inboxAdd: { file: 'inbox-add.lua', keys: 3 },
  inboxDone: { file: 'inbox-done.lua', keys: 1 },
  indexPerson: { file: 'index-person.lua', keys: 4 },
  joinCohort: { file: 'join-cohort.lua', keys: 4 },
  pexpireIfEquals: { file: 'pexpire-if-equals.lua', keys: 1 },
  problemNoticed: { file: 'problem-noticed.lua', keys: 1 },
  problemRaise: { file: 'problem-raise.lua', keys: 1 },
  unindexPerson: { file: 'unindex-person.lua', keys: 4 }
} as const

export type ScriptName = keyof typeof SCRIPTS

/** Runs a script on a connection, or queues it on a pipeline (whose exec() returns its result). */
export interface RedisScripts {
  run(name: ScriptName, keys: string[], args: string[]): Promise<unknown>
  queue(pipeline: ChainableCommander, name: ScriptName, keys: string[], args: string[]): void
}

const commandName = (name: ScriptName): string => `calstatus_${name}`

let texts: Map<ScriptName, string> | null = null
function scriptTexts(): Map<ScriptName, string> {
  texts ??= new Map(Object.entries(SCRIPTS).map(([name, s]) => [name as ScriptName, readFileSync(join(__dirname, 'lua', s.file), 'utf8')]))
  return texts
}

type ScriptCommand = (...keysAndArgs: string[]) => unknown

function command(target: Redis | ChainableCommander, name: ScriptName): ScriptCommand {
  const fn = (target as unknown as Record<string, ScriptCommand | undefined>)[commandName(name)]
  if (!fn) throw new Error(`redis script ${name} is not registered on this connection`)
  return fn.bind(target)
}

/** The scripts on `redis`; registering again on the same connection is a no-op. */
export function redisScripts(redis: Redis): RedisScripts {
  for (const [name, text] of scriptTexts()) {
    if (commandName(name) in redis) continue
    redis.defineCommand(commandName(name), { numberOfKeys: SCRIPTS[name].keys, lua: text })
  }
  const check = (name: ScriptName, keys: string[]): void => {
    if (keys.length !== SCRIPTS[name].keys) throw new Error(`redis script ${name} takes ${SCRIPTS[name].keys} keys, got ${keys.length}`)
  }
  return {
    run: async (name, keys, args) => {
      check(name, keys)
      return command(redis, name)(...keys, ...args)
    },
    queue: (pipeline, name, keys, args) => {
      check(name, keys)
      command(pipeline, name)(...keys, ...args)
    }
  }
}
