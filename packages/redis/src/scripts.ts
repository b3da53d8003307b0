/**
 * @module
 * The Lua scripts. Each runs atomically on the node that owns its bucket and touches only keys
 * of that bucket (one hash slot); keys derived inside a script (a user set, a session of the
 * expiry index) share the bucket's hash tag. Sent with EVALSHA, falling back to EVAL (which also
 * caches the script) when a node answers NOSCRIPT, e.g. after a restart or on a new master.
 */
import { createHash } from 'node:crypto'
import { type Argument, type Connection, isReplyError } from './connection.js'

export class Script {
  readonly source: string
  readonly sha: string

  constructor(source: string) {
    this.source = source
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  /**
   * Runs the script on the node owning `keys[0]`; `binary`: bulk strings come back as Buffers.
   * No async frame: every write takes this path, and each promise hop costs.
   */
  run<T>(
    connection: Connection,
    keys: readonly string[],
    args: readonly Argument[],
    binary = false,
  ): Promise<T> {
    const command: Argument[] = ['EVALSHA', this.sha, String(keys.length)]
    for (const key of keys) command.push(key)
    for (const arg of args) command.push(arg)
    return connection.send<T>(keys[0]!, command, binary).catch((error: unknown) => {
      if (!isReplyError(error, 'NOSCRIPT')) throw error
      command[0] = 'EVAL'
      command[1] = this.source
      return connection.send<T>(keys[0]!, command, binary)
    })
  }
}

// The compare of a compare-and-set: `expected` is the token seen plus its NUL; '' for no session;
// for a value that is not a record (no NUL at all), that whole value. Only the token's bytes are
// read (GETRANGE) unless they differ: then the script replies with the current value, or 0 when
// there is none. An empty value counts as no session: it is no record, and writing over it is
// what the caller wants.
const CHECK = `
if expected == '' or string.byte(expected, -1) ~= 0 then
  local cur = redis.call('GET', s)
  if cur and cur ~= expected then return cur end
  if expected ~= '' and not cur then return 0 end
elseif redis.call('GETRANGE', s, 0, #expected - 1) ~= expected then
  return redis.call('GET', s) or 0
end
`

// Shared Lua. A record is `token \0 createdAt \0 expiresAt \0 userId \0 data` (see record.ts).
// `owner` reads the previous owner from the owners hash (not from the session, which native
// expiry may already have removed); `move` moves a session between user sets; `lower` keeps the
// expiry entry a lower bound of the session's expiry (the entry only ever moves down on a write;
// the sweep moves it up); `drop` deletes a session with its index entries.
const SHARED = `
local function owner(o, id)
  return redis.call('HGET', o, id) or ''
end
local function move(o, id, old, u)
  if old == u then return end
  local ubase = string.sub(o, 1, -2) .. 'u:'
  if old ~= '' then redis.call('SREM', ubase .. old, id) end
  if u ~= '' then
    redis.call('SADD', ubase .. u, id)
    redis.call('HSET', o, id, u)
  else
    redis.call('HDEL', o, id)
  end
end
local function lower(x, id, e)
  local score = redis.call('ZSCORE', x, id)
  if not score or tonumber(score) > tonumber(e) then redis.call('ZADD', x, e, id) end
end
local function drop(s, x, o, id, old)
  local existed = redis.call('DEL', s)
  redis.call('ZREM', x, id)
  move(o, id, old, '')
  return existed
end
`

/**
 * Compare-and-set. KEYS: session, expiry index, owners. ARGV: id, expected (the token seen and
 * its NUL; '' = absent),
 * op ('c' check, 'd' delete, 'p' put), owner as seen ('=' .. userId, or '' = unknown: read the
 * owners hash), then for 'p': record, expiresAt, userId ('' = none), '1' when the expiry entry
 * may have to move down (no session seen, or an earlier expiry than seen), ttl (ms; native
 * expiry is relative, so the server's clock never has to match the store's). The token is the record
 * up to its first NUL (see CHECK). Replies 1 when applied; otherwise the current record, or 0 when there is
 * none. The common write is a GET and a SET: the user index changes only with the owner, and the
 * expiry entry (a lower bound, see `lower`) only when the expiry moves earlier.
 */
const compareAndSetSource = (retrack: string) => `${SHARED}
local s, x, o = KEYS[1], KEYS[2], KEYS[3]
local id, expected, op = ARGV[1], ARGV[2], ARGV[3]
${CHECK}
if op == 'c' then return 1 end
local old
if ARGV[4] == '' then old = owner(o, id) else old = string.sub(ARGV[4], 2) end
if op == 'd' then
  drop(s, x, o, id, old)
  return 1
end
local e = ARGV[6]
move(o, id, old, ARGV[7])
if ARGV[8] == '1' then lower(x, id, e) end
redis.call('SET', s, ARGV[5], 'PX', ARGV[9])
${retrack}return 1
`
/** Compare-and-set over the application's client (see `compareAndSetSource`). */
export const compareAndSet = new Script(compareAndSetSource(''))

/**
 * The common write, lean: a session seen by its token gets a new record with the same owner and
 * an expiry no earlier than seen, so neither index changes (the expiry entry is a lower bound).
 * No shared functions and one key: every Lua call and argument costs on the server. KEYS:
 * session. ARGV: expected (token and NUL), record, ttl (ms). Replies as `compareAndSet`.
 */
const replaceSource = (retrack: string) => `
local s, expected = KEYS[1], ARGV[1]
${CHECK}
redis.call('SET', s, ARGV[2], 'PX', ARGV[3])
${retrack}return 1
`
/** The lean write over the application's client (see `replaceSource`). */
export const replace = new Script(replaceSource(''))

// The read cache's connection tracks the keys it reads (tracking.ts). A write ends the tracking
// of its key for every connection (NOLOOP only spares the writer the message), so a write over
// that connection reads its session once more, inside the script: Redis keeps telling this
// process about later writes by others to the session it has just written and keeps.
const RETRACK = `redis.call('GETRANGE', s, 0, 0)
`
/** `compareAndSet` for the read cache's connection: the session stays tracked after a write. */
export const compareAndSetTracked = new Script(compareAndSetSource(RETRACK))
/** `replace` for the read cache's connection (see `compareAndSetTracked`). */
export const replaceTracked = new Script(replaceSource(RETRACK))

/**
 * After a blind write (`SET XX GET`, see RedisBackend#blind) replaced a record it had not seen:
 * writes `record` if the session still holds the blind write's record, then makes the indexes
 * follow whatever the session holds now. The user sets of the replaced record's owner and of the
 * blind write's (which it added the id to) lose the id unless that is the owner now: another
 * write in between moved the index from the owner it saw, which may be neither. With no session,
 * the owners hash's user keeps the id (the sweep removes it). KEYS: session, expiry index,
 * owners. ARGV: id, expected (the blind write's token and NUL; '' after a blind write that found
 * no session: only the indexes), the replaced record's owner and the blind write's ('' = none),
 * then optionally record and ttl (ms), or '' to delete the session instead. Replies 1 when the
 * session held the blind write's record, else the record there, or 0 when there is none.
 */
const repairSource = (retrack: string) => `${SHARED}
local s, x, o = KEYS[1], KEYS[2], KEYS[3]
local id, expected = ARGV[1], ARGV[2]
local ubase = string.sub(o, 1, -2) .. 'u:'
local function unlist(u)
  for i = 3, 4 do
    if ARGV[i] ~= '' and ARGV[i] ~= u then redis.call('SREM', ubase .. ARGV[i], id) end
  end
end
local cur = redis.call('GET', s)
if not cur then
  -- Gone (deleted, expired or evicted): the owners hash's user keeps the id for the sweep.
  unlist(owner(o, id))
  return 0
end
local mine = expected ~= '' and string.sub(cur, 1, #expected) == expected
if mine and ARGV[5] == '' then
  drop(s, x, o, id, owner(o, id))
  unlist('')
  return 1
elseif mine and ARGV[5] then
  redis.call('SET', s, ARGV[5], 'PX', ARGV[6])
  cur = ARGV[5]
end
local e, u = string.match(cur, '^[^%z]*%z%d+%z(%d+)%z([^%z]*)%z')
if e then
  unlist(u)
  move(o, id, owner(o, id), u)
  lower(x, id, e)
end
${retrack}if mine then return 1 end
return cur
`
/** The repair of a blind write (see `repairSource`). */
export const repair = new Script(repairSource(''))
/** `repair` for the read cache's connection. */
export const repairTracked = new Script(repairSource(RETRACK))

/** The variant of each write script for the read cache's connection. */
export const TRACKED = new Map([
  [compareAndSet, compareAndSetTracked],
  [replace, replaceTracked],
  [repair, repairTracked],
])

/**
 * The policy of SessionStore.set computed on the server: one round trip. KEYS: session, expiry
 * index, owners. ARGV: id, new token, now, ttl, maxLifetime ('' = none), fixed ('1'), userId
 * ('' = none), data. Replies {createdAt, expiresAt}.
 */
export const save = new Script(`${SHARED}
local s, x, o = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
local cur = redis.call('GET', s)
local c, e, old
if cur then
  local cs, es, us = string.match(cur, '^[^%z]*%z(%d+)%z(%d+)%z([^%z]*)%z')
  c, e, old = tonumber(cs), tonumber(es), us
end
if old == nil then old = owner(o, id) end
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local live = c ~= nil and e ~= nil and e > now and (cap == nil or c + cap > now)
local created = live and c or now
local expires
if live and ARGV[6] == '1' then
  expires = e
else
  expires = now + ttl
  if cap ~= nil and created + cap < expires then expires = created + cap end
end
local px = math.max(1, expires - now)
created = string.format('%.0f', created)
expires = string.format('%.0f', expires)
local u = ARGV[7]
move(o, id, old, u)
lower(x, id, expires)
redis.call('SET', s, ARGV[2] .. '\\0' .. created .. '\\0' .. expires .. '\\0' .. u .. '\\0' .. ARGV[8],
  'PX', string.format('%.0f', px))
return {created, expires}
`)

/**
 * One chunk of a sweep of one bucket. KEYS: expiry index, owners. ARGV: now, limit, session-key
 * base. Removes index entries due by now with their sessions; a session still live keeps its
 * entry, moved up to its expiry. Replies {examined, {{id, record, expiresAt, userId}...}}; a
 * session that native expiry already removed comes back with an empty record.
 */
export const sweepChunk = new Script(`${SHARED}
local x, o = KEYS[1], KEYS[2]
local due = redis.call('ZRANGEBYSCORE', x, '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local removed = {}
for i = 1, #due, 2 do
  local id, score = due[i], due[i + 1]
  local s = ARGV[3] .. id
  local cur = redis.call('GET', s)
  local e = cur and string.match(cur, '^[^%z]*%z%d+%z(%d+)%z')
  if e and tonumber(e) > tonumber(ARGV[1]) then
    redis.call('ZADD', x, e, id)
  else
    local u = owner(o, id)
    drop(s, x, o, id, u)
    removed[#removed + 1] = {id, cur or '', score, u}
  end
end
return {#due / 2, removed}
`)

/**
 * One step of counting the live sessions of one bucket. KEYS: expiry index. ARGV: now, limit,
 * session-key base, cursor (the last score examined; '' to start). Entries above now are live
 * sessions (an entry is a lower bound of its session's expiry); a due entry whose session is
 * still live is moved up to its expiry, as the sweep does. The due range then only shrinks, so
 * the cursor, a score, never skips an entry: every entry at the last score is examined before the
 * step ends (examining one twice is harmless: nothing is counted but entries above now). Replies
 * {0, cursor} while due entries remain, then {1, entries above now}.
 */
export const countStep = new Script(`
local x, now, limit, base = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3]
local function raise(id)
  local cur = redis.call('GET', base .. id)
  local e = cur and string.match(cur, '^[^%z]*%z%d+%z(%d+)%z')
  if e and tonumber(e) > tonumber(now) then redis.call('ZADD', x, e, id) end
end
local min = ARGV[4] == '' and '-inf' or '(' .. ARGV[4]
local due = redis.call('ZRANGEBYSCORE', x, min, now, 'WITHSCORES', 'LIMIT', 0, limit)
for i = 1, #due, 2 do raise(due[i]) end
if #due < 2 * limit then return {1, redis.call('ZCOUNT', x, '(' .. now, '+inf')} end
local last = due[#due]
for _, id in ipairs(redis.call('ZRANGEBYSCORE', x, last, last)) do raise(id) end
return {0, last}
`)

/**
 * The sessions of one user in one bucket. KEYS: user set, owners, expiry index. ARGV: userId,
 * session-key base. Members whose session is gone (native expiry, eviction) are removed from
 * every index. Replies {{id, record}...}.
 */
export const listUser = new Script(`
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local cur = redis.call('GET', ARGV[2] .. id)
  if not cur then
    redis.call('SREM', KEYS[1], id)
    if redis.call('HGET', KEYS[2], id) == ARGV[1] then redis.call('HDEL', KEYS[2], id) end
    redis.call('ZREM', KEYS[3], id)
  elseif string.match(cur, '^[^%z]*%z%d*%z%d*%z([^%z]*)%z') == ARGV[1] then
    found[#found + 1] = {id, cur}
  end
end
return found
`)

/**
 * Empties one bucket in bounded steps. KEYS: expiry index, owners. ARGV: limit, session-key base.
 * Replies with the number of sessions removed; 0 once the bucket is empty.
 */
export const clearChunk = new Script(`${SHARED}
local x, o = KEYS[1], KEYS[2]
local ids = redis.call('ZRANGE', x, 0, tonumber(ARGV[1]) - 1)
for _, id in ipairs(ids) do
  drop(ARGV[2] .. id, x, o, id, owner(o, id))
end
if #ids == 0 then
  local ubase = string.sub(o, 1, -2) .. 'u:'
  local owners = redis.call('HGETALL', o)
  for i = 1, #owners, 2 do redis.call('SREM', ubase .. owners[i + 1], owners[i]) end
  redis.call('DEL', o)
end
return #ids
`)

/**
 * Unconditional delete. KEYS: session, expiry index, owners. ARGV: id. Replies with the record
 * removed (so the caller can tell a live session from an expired one), or 0 when there was none
 * (a key of another type is removed too, and is none).
 */
export const remove = new Script(`${SHARED}
local cur = redis.pcall('GET', KEYS[1])
if type(cur) ~= 'string' then cur = 0 end
drop(KEYS[1], KEYS[2], KEYS[3], ARGV[1], owner(KEYS[3], ARGV[1]))
return cur
`)
