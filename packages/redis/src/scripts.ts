/**
 * @module
 * The Lua scripts. Each runs atomically on the node that owns its bucket and touches only keys
 * of that bucket (one hash slot); keys derived inside a script (a user set, a session of the
 * expiry index) share the bucket's hash tag. Sent with EVALSHA, falling back to EVAL (which also
 * caches the script) when a node answers NOSCRIPT, e.g. after a restart or on a new master.
 */
import { createHash } from 'node:crypto'
import type { Argument, Connection, SendOptions } from './connection.js'

export class Script {
  readonly source: string
  readonly sha: string

  constructor(source: string) {
    this.source = source
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run<T>(
    connection: Connection,
    keys: string[],
    args: Argument[],
    options?: SendOptions,
  ): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await connection.send<T>(keys[0]!, ['EVALSHA', this.sha, ...tail], options)
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return connection.send<T>(keys[0]!, ['EVAL', this.source, ...tail], options)
    }
  }
}

// Shared Lua: index moves of one session, reading the previous owner from the owners hash (not
// from the session, which native expiry may already have removed).
const PUT = `
local function put(s, x, o, ubase, id, token, c, e, u, keep, v)
  local old = redis.call('HGET', o, id)
  if old and old ~= u then redis.call('SREM', ubase .. old, id) end
  if u ~= '' then
    redis.call('SADD', ubase .. u, id)
    redis.call('HSET', o, id, u)
  elseif old then
    redis.call('HDEL', o, id)
  end
  redis.call('ZADD', x, e, id)
  if keep then
    redis.call('HSET', s, 't', token, 'c', c, 'e', e)
  else
    redis.call('DEL', s)
    redis.call('HSET', s, 't', token, 'v', v, 'c', c, 'e', e)
  end
  if u ~= '' then redis.call('HSET', s, 'u', u) else redis.call('HDEL', s, 'u') end
  redis.call('PEXPIREAT', s, e)
end
local function drop(s, x, o, ubase, id)
  redis.call('DEL', s)
  redis.call('ZREM', x, id)
  local old = redis.call('HGET', o, id)
  if old then
    redis.call('SREM', ubase .. old, id)
    redis.call('HDEL', o, id)
  end
end
`

/**
 * Compare-and-set. KEYS: session, expiry index, owners. ARGV: id, user-set base, expected token
 * ('' = absent), op (check | del | put), new token, createdAt, expiresAt, userId ('' = none),
 * keep value ('1'), value. Replies {1} when applied, or {0, t, v, c, e, u} (the current record)
 * when the token no longer matches.
 */
export const compareAndSet = new Script(`${PUT}
local s, x, o = KEYS[1], KEYS[2], KEYS[3]
local cur = redis.call('HMGET', s, 't', 'v', 'c', 'e', 'u')
if (cur[1] or '') ~= ARGV[3] then return {0, cur[1], cur[2], cur[3], cur[4], cur[5]} end
local op = ARGV[4]
if op == 'del' then
  drop(s, x, o, ARGV[2], ARGV[1])
elseif op == 'put' then
  put(s, x, o, ARGV[2], ARGV[1], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9] == '1', ARGV[10])
end
return {1}
`)

/**
 * The policy of SessionStore.set computed on the server: one round trip. KEYS: session, expiry
 * index, owners. ARGV: id, user-set base, new token, now, ttl, maxLifetime ('' = none), fixed
 * ('1'), userId ('' = none), value. Replies {createdAt, expiresAt}.
 */
export const save = new Script(`${PUT}
local s, x, o = KEYS[1], KEYS[2], KEYS[3]
local cur = redis.call('HMGET', s, 'c', 'e')
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local cap = tonumber(ARGV[6])
local c, e = tonumber(cur[1]), tonumber(cur[2])
local live = c ~= nil and e ~= nil and e > now and (cap == nil or c + cap > now)
local created = live and c or now
local expires
if live and ARGV[7] == '1' then
  expires = e
else
  expires = now + ttl
  if cap ~= nil and created + cap < expires then expires = created + cap end
end
created = string.format('%.0f', created)
expires = string.format('%.0f', expires)
put(s, x, o, ARGV[2], ARGV[1], ARGV[3], created, expires, ARGV[8], false, ARGV[9])
return {created, expires}
`)

/**
 * One chunk of a sweep of one bucket. KEYS: expiry index, owners. ARGV: now, limit, session-key
 * base, user-set base. Removes index entries due by now with their sessions (a session whose
 * stored expiry moved keeps it: its entry is corrected instead). Replies {examined, {{id, v, c,
 * e, u}...}}; a session that native expiry already removed comes back with an empty value.
 */
export const sweepChunk = new Script(`
local x, o = KEYS[1], KEYS[2]
local due = redis.call('ZRANGEBYSCORE', x, '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local removed = {}
for i = 1, #due, 2 do
  local id, score = due[i], due[i + 1]
  local s = ARGV[3] .. id
  local cur = redis.call('HMGET', s, 'v', 'c', 'e')
  if cur[3] and tonumber(cur[3]) ~= tonumber(score) then
    redis.call('ZADD', x, cur[3], id)
  else
    redis.call('DEL', s)
    redis.call('ZREM', x, id)
    local u = redis.call('HGET', o, id)
    if u then
      redis.call('SREM', ARGV[4] .. u, id)
      redis.call('HDEL', o, id)
    end
    removed[#removed + 1] = {id, cur[1] or '', cur[2] or '0', score, u or ''}
  end
end
return {#due / 2, removed}
`)

/**
 * The sessions of one user in one bucket. KEYS: user set, owners, expiry index. ARGV: userId,
 * session-key base. Members whose session is gone (native expiry, eviction) are removed from
 * every index. Replies {{id, t, v, c, e, u}...}.
 */
export const listUser = new Script(`
local found = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local s = ARGV[2] .. id
  local cur = redis.call('HMGET', s, 't', 'v', 'c', 'e', 'u')
  if redis.call('EXISTS', s) == 0 then
    redis.call('SREM', KEYS[1], id)
    if redis.call('HGET', KEYS[2], id) == ARGV[1] then redis.call('HDEL', KEYS[2], id) end
    redis.call('ZREM', KEYS[3], id)
  elseif cur[5] == ARGV[1] then
    found[#found + 1] = {id, cur[1], cur[2], cur[3], cur[4], cur[5]}
  end
end
return found
`)

/**
 * Empties one bucket in bounded steps. KEYS: expiry index, owners. ARGV: limit, session-key base,
 * user-set base. Replies with the number of sessions removed; 0 once the bucket is empty.
 */
export const clearChunk = new Script(`
local x, o = KEYS[1], KEYS[2]
local ids = redis.call('ZRANGE', x, 0, tonumber(ARGV[1]) - 1)
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[2] .. id)
  redis.call('ZREM', x, id)
  local u = redis.call('HGET', o, id)
  if u then
    redis.call('SREM', ARGV[3] .. u, id)
    redis.call('HDEL', o, id)
  end
end
if #ids == 0 then
  local owners = redis.call('HGETALL', o)
  for i = 1, #owners, 2 do redis.call('SREM', ARGV[3] .. owners[i + 1], owners[i]) end
  redis.call('DEL', o)
end
return #ids
`)

/**
 * Unconditional delete. KEYS: session, expiry index, owners. ARGV: id, user-set base. Replies 1
 * when a session was stored.
 */
export const remove = new Script(`${PUT}
local existed = redis.call('EXISTS', KEYS[1])
drop(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1])
return existed
`)
