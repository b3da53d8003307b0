/**
 * @module
 * The Redis backend: the `Backend` port of @levelsession/core on a node-redis 5 client or
 * cluster client. A session is one string key with native expiry (a read is one GET); each
 * bucket of sessions keeps an expiry index and a user index in its own hash slot, and every
 * change to a session and its index entries is one Lua script (or, for a set that keeps the
 * owner, a `SET … XX GET` checked after the fact and, when the expiry moves earlier, a
 * `ZADD … XX LT` right after it), so indexes stay exact across any number of processes and hosts.
 */
import {
  type Backend,
  KeyedLock,
  SessionDecodeError,
  SessionError,
  type SessionMutation,
  type StoredSession,
  type SweepOptions,
  type UpdateOptions,
  type SweepResult,
} from '@levelsession/core'
import {
  Connection,
  isReplyError,
  isTimeout,
  type RedisClient,
  type RedisCluster,
  timeoutError,
} from './connection.js'
import { HintCache } from './hints.js'
import { ReadBatcher } from './read-batch.js'
import { type DuplicableClient, Tracker } from './tracking.js'
import { checkPrefix, DEFAULT_BUCKETS, KeyLayout, LAYOUT_VERSION } from './keys.js'
import {
  ABSENT,
  encodeRecord,
  expectedOf,
  hasToken,
  keptRecord,
  newToken,
  parseRecord,
  type Snapshot,
} from './record.js'
import * as scripts from './scripts.js'
import { immediate, wait } from './timers.js'
import { verifyLayout } from './verify.js'

/** Default `prefix`. */
export const DEFAULT_PREFIX = 'sess:'
/** Default `commandTimeout` in ms. */
export const DEFAULT_COMMAND_TIMEOUT = 5_000
/** Default `hintCacheBytes`. */
export const DEFAULT_HINT_CACHE_BYTES = 16 * 1024 * 1024
/** Expiry-index entries one sweep script handles; keeps each script short. */
const SWEEP_CHUNK = 256
/** Due expiry-index entries one count script checks. */
const COUNT_CHUNK = 256
/** Sessions one clear script removes. */
const CLEAR_CHUNK = 500
/** Compare-and-set attempts before `update` gives up under contention. */
const MAX_ATTEMPTS = 64
/** Failed attempts after which `update` waits a random while before trying again. */
const BACKOFF_AFTER = 2
/** Longest such wait, in ms. */
const MAX_BACKOFF = 20
/** How a server before Redis 6.2 refuses `SET … GET` and `ZADD … LT`. */
const SYNTAX_ERROR = 'ERR syntax error'
/** Ids kept as suspect (see RedisBackend#suspect) before the set starts again. */
const MAX_SUSPECT = 10_000

export interface RedisBackendOptions {
  /**
   * A connected node-redis 5 client (`createClient`) or cluster client (`createCluster`). The
   * backend never connects, closes or listens to it: attach your own `error` listener.
   */
  client: RedisClient | RedisCluster
  /** Prefix of every key; must not contain `{` or `}`. @default 'sess:' */
  prefix?: string
  /**
   * Hash slots the sessions spread over. Fixed for a prefix once written (checked on open):
   * raise it before first use on a large cluster (a few per master). @default 16
   */
  buckets?: number
  /**
   * Ms after which a command that got no reply (or still waits in node-redis's offline queue)
   * fails; 0 leaves it to the client. @default 5_000
   */
  commandTimeout?: number
  /**
   * Bytes of recently read sessions kept as compare-and-set hints, so an update right after a
   * load takes one round trip; 0 turns them off. Never used to answer a load (unless
   * `readCache`, which answers from them while Redis tracks them). The cache holds
   * up to this much (CLOCK eviction; text counts two bytes a character). @default 16 MiB
   */
  hintCacheBytes?: number
  /**
   * Answers loads from the sessions this process last read or wrote, kept coherent by Redis
   * (server-assisted client-side caching: `CLIENT TRACKING ON NOLOOP`, on a RESP3
   * connection of the backend's own, duplicated from `client`). Needs a standalone client,
   * Redis 6 or later and `hintCacheBytes` > 0. See the README's "Read cache". @default false
   */
  readCache?: boolean
}

/** The parameters of `SessionStore.set`, for the one-round-trip `save` (see README). */
export interface SaveParams {
  now: number
  ttl: number
  maxLifetime?: number | undefined
  fixed: boolean
  value: Uint8Array
  userId?: string | undefined
}

export class RedisBackend implements Backend {
  readonly name = 'redis'
  readonly keys: KeyLayout
  readonly #connection: Connection
  readonly #hints: HintCache
  /** The read cache's tracking connection (`readCache`). */
  readonly #tracker: Tracker | undefined
  /** Loads answered from the cache, settled together in the next check phase. */
  #cached: {
    id: string
    held: Snapshot
    resolve: (value: Promise<StoredSession | undefined> | StoredSession | undefined) => void
  }[] = []
  readonly #reads: ReadBatcher<StoredSession | undefined>
  /** Loads batch per bucket (one hash slot) on a cluster, all together on one node. */
  readonly #cluster: boolean
  /**
   * Updates of one id run one at a time in this process. They are optimistic across processes;
   * inside one, a burst would all start from the same record and fail each other's
   * compare-and-set round after round (k updates cost about k²/2 scripts).
   */
  readonly #updates = new KeyedLock()
  readonly #commandTimeout: number | undefined
  /** Blind writes use `SET ... GET` (Redis 6.2); off once the server refuses it. */
  #blindWrites = true
  /** Whether the server takes `ZADD … LT` (a proxy may refuse it while taking `SET … GET`). */
  #blindLowers = true
  /**
   * Ids whose blind write may have landed without its repair (a command failed in between), with
   * the users whose sets may hold them wrongly: before their next update, the repair script makes
   * their indexes follow the record stored (see #tidy).
   */
  readonly #suspect = new Map<string, Set<string>>()
  /** Updates that failed for want of a reply, per id, while others of that id waited. */
  readonly #timeouts = new Map<string, number>()
  #opening: Promise<void> | undefined

  constructor(options: RedisBackendOptions) {
    if (options === null || typeof options !== 'object' || options.client == null) {
      throw new TypeError('redisBackend: options.client (a node-redis 5 client) is required')
    }
    const {
      client,
      prefix = DEFAULT_PREFIX,
      buckets = DEFAULT_BUCKETS,
      commandTimeout = DEFAULT_COMMAND_TIMEOUT,
      hintCacheBytes = DEFAULT_HINT_CACHE_BYTES,
      readCache = false,
    } = options
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 16_384) {
      throw new RangeError('redisBackend: options.buckets must be an integer from 1 to 16384')
    }
    for (const [name, value] of [
      ['commandTimeout', commandTimeout],
      ['hintCacheBytes', hintCacheBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`redisBackend: options.${name} must be a non-negative integer`)
      }
    }
    if (typeof readCache !== 'boolean') {
      throw new TypeError('redisBackend: options.readCache must be a boolean')
    }
    this.keys = new KeyLayout(checkPrefix(prefix), buckets)
    this.#commandTimeout = commandTimeout === 0 ? undefined : commandTimeout
    this.#connection = new Connection(client, this.#commandTimeout)
    this.#hints = new HintCache(hintCacheBytes)
    this.#cluster = this.#connection.isCluster
    if (readCache) {
      if (this.#cluster || typeof (client as Partial<DuplicableClient>).duplicate !== 'function') {
        throw new TypeError(
          'redisBackend: options.readCache needs a standalone node-redis client (createClient)',
        )
      }
      if (hintCacheBytes === 0) {
        throw new RangeError('redisBackend: options.readCache needs hintCacheBytes > 0')
      }
      this.#tracker = new Tracker(
        client as DuplicableClient,
        this.keys,
        this.#commandTimeout,
        (id) => (id === null ? this.#hints.clear() : this.#hints.delete(id)),
      )
    }
    this.#reads = new ReadBatcher(this.#connection, this.#tracker, (id, record, epoch) =>
      this.#loaded(id, record, epoch),
    )
  }

  open(): Promise<void> {
    this.#opening ??= this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    const { meta, prefix, buckets } = this.keys
    let found: (string | null)[]
    try {
      await this.#connection.send(meta, ['HSETNX', meta, 'layout', String(LAYOUT_VERSION)])
      await this.#connection.send(meta, ['HSETNX', meta, 'buckets', String(buckets)])
      found = await this.#connection.send(meta, ['HMGET', meta, 'layout', 'buckets'])
    } catch (cause) {
      throw new SessionError(
        'ERR_STORE_OPEN',
        `Could not open the Redis session store under prefix "${prefix}": ${messageOf(cause)}. ` +
          'Connect the client (await client.connect()) before creating the store.',
        { cause },
      )
    }
    if (found[0] !== String(LAYOUT_VERSION)) {
      throw new SessionError(
        'ERR_STORE_SCHEMA',
        `The Redis sessions under prefix "${prefix}" use key layout ${found[0]}; this version ` +
          `of @levelsession/redis uses layout ${LAYOUT_VERSION}. Upgrade @levelsession/redis.`,
      )
    }
    if (found[1] !== String(buckets)) {
      throw new SessionError(
        'ERR_STORE_SCHEMA',
        `The Redis sessions under prefix "${prefix}" were written with buckets: ${found[1]}; ` +
          `this store has buckets: ${buckets}. Use the same value, or another prefix.`,
      )
    }
    try {
      await this.#tracker?.start()
    } catch (cause) {
      this.#tracker?.close()
      throw new SessionError(
        'ERR_STORE_OPEN',
        `Could not start the read cache (readCache: true) under prefix "${prefix}": ` +
          `${messageOf(cause)}. It needs Redis 6 or later and the CLIENT command ` +
          '(CLIENT TRACKING); leave readCache off otherwise.',
        { cause },
      )
    }
  }

  load(id: string): Promise<StoredSession | undefined> {
    const tracker = this.#tracker
    if (tracker !== undefined) {
      const held = this.#hints.get(id)
      if (held !== undefined && tracker.isCurrent(held.epoch)) {
        // Answered in the check phase, once every invalidation read in this turn's poll phase
        // has been handled. Redis orders nothing across connections: another client's write
        // may complete microseconds before its invalidation reaches this one (README, "Read
        // cache"), far less than a request it causes takes to get here.
        return new Promise((resolve) => {
          if (this.#cached.push({ id, held, resolve }) === 1) immediate(() => this.#answerCached())
        })
      }
    }
    return this.#redisLoad(id)
  }

  #redisLoad(id: string): Promise<StoredSession | undefined> {
    const bucket = this.keys.bucketOf(id)
    const key = this.keys.sessionBase(bucket) + id
    return this.#reads.load(id, key, this.#cluster ? bucket : 0)
  }

  #answerCached(): void {
    const cached = this.#cached
    this.#cached = []
    for (const { id, held, resolve } of cached) {
      // Still the entry, still in its epoch: no invalidation or disconnect since the lookup.
      if (this.#hints.get(id) === held && this.#tracker!.isCurrent(held.epoch)) {
        resolve(held.session)
      } else resolve(this.#redisLoad(id))
    }
  }

  #loaded(id: string, record: Buffer | null, epoch: number | undefined): StoredSession | undefined {
    // Unchanged since this process last saw it (tokens are unique per write): answered with the
    // hint's object, allocating and retaining nothing new.
    const seen = this.#observe(id, record, record === null ? undefined : this.#hints.get(id), epoch)
    if (seen.corrupt) {
      throw new SessionDecodeError(id, new Error('incomplete session record in Redis'))
    }
    return seen.session
  }

  /**
   * What a reply means for `id`: `held` itself (confirmed) when the record carries its token;
   * otherwise a parsed copy, which becomes the hint (none for a missing or corrupt record).
   */
  #observe(
    id: string,
    record: Buffer | null,
    held: Snapshot | undefined,
    epoch: number | undefined,
  ): Snapshot {
    if (record === null) {
      this.#hints.delete(id)
      return ABSENT
    }
    if (held?.session !== undefined && hasToken(record, held.token)) {
      this.#hints.confirm(held)
      if (epoch !== undefined) held.epoch = epoch
      return held
    }
    const found = keptRecord(id, record)
    if (epoch !== undefined) found.epoch = epoch
    this.#hints.set(id, found)
    return found
  }

  /**
   * Optimistic read-modify-write: `mutate` runs on the last record this process saw (or on "no
   * session"), then a script writes only if the record is unchanged; otherwise it replies with
   * the current record and `mutate` runs again on that. `mutate` may therefore run more than once.
   * Updates of one id are queued inside this process, so they conflict only with other processes.
   */
  update(
    id: string,
    mutate: SessionMutation,
    options?: UpdateOptions,
  ): Promise<StoredSession | undefined> {
    const timeout = this.#commandTimeout
    if (timeout === undefined || !this.#updates.isLocked(id)) {
      return this.#updates.run(id, () => this.#update(id, mutate, options))
    }
    // Queued behind earlier updates of this id. If one of them fails for want of a reply while
    // this one waits, this one fails too, without sending: in an outage the nth queued call
    // would otherwise wait n timeouts. A Redis that answers never fails a call here.
    const before = this.#timeouts.get(id) ?? 0
    return this.#updates.run(
      id,
      () =>
        (this.#timeouts.get(id) ?? 0) > before
          ? Promise.reject(timeoutError(timeout))
          : this.#update(id, mutate, options),
      () => {
        if (!this.#updates.isLocked(id)) this.#timeouts.delete(id)
      },
    )
  }

  async #update(
    id: string,
    mutate: SessionMutation,
    options: UpdateOptions | undefined,
  ): Promise<StoredSession | undefined> {
    const recentMs = options?.recentMs
    const bucket = this.keys.bucketOf(id)
    const key = this.keys.sessionBase(bucket) + id
    const suspect = this.#suspect.get(id)
    if (suspect !== undefined) await this.#tidy(id, bucket, suspect)
    let seen: Snapshot = this.#hints.get(id) ?? ABSENT
    /** `seen` was read from Redis in this call, not taken from the hints. */
    let fresh = false
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = seen.session
      // The store's mutations are mostly synchronous: no microtask for those.
      let next = mutate(current)
      if (next instanceof Promise) next = await next
      if (next === undefined && seen.raw === undefined) {
        // Nothing to write (a lazy touch): the answer is `current` while it is still what is
        // stored. A record read in this call is; a hint is checked with a plain GET, which costs
        // Redis a fraction of a script and brings the current record if it changed.
        if (fresh) return current
        // The caller accepts an answer this recent (a touch, right after its request's get), from
        // the hint as it still is: a load may have replaced or dropped it since this update began.
        if (
          recentMs !== undefined &&
          current !== undefined &&
          this.#hints.isRecent(id, seen, recentMs)
        ) {
          return current
        }
        seen = await this.#read(id, key, seen)
        if (seen.session === current) return current
        fresh = true
        continue
      }
      const expected = expectedOf(seen)
      let token = ''
      let script = scripts.compareAndSet
      let args: (string | Buffer)[]
      /** A `set` whose owner stays as seen: a plain SET may write it (see #blind). */
      let blind: StoredSession | undefined
      let record: Buffer | string | undefined
      let ttl = ''
      // The owner as seen, or '' to read it from the owners hash.
      const owner = current === undefined ? '' : `=${current.userId ?? ''}`
      if (next === undefined) args = [id, expected, 'c']
      else if (next === null) {
        // The token proves the record is the one seen, so its owner is known: no owners lookup.
        args = [id, expected, 'd', owner]
      } else {
        token = newToken()
        record = encodeRecord(token, next)
        // A time to live, not PXAT: the store's clock may be apart from the server's.
        ttl = String(ttlFrom(next.expiresAt, options?.now))
        const user = next.userId ?? ''
        const sameOwner = owner !== '' && user === (current!.userId ?? '')
        const later = sameOwner && next.expiresAt >= current!.expiresAt
        if (options?.blind === true && sameOwner && (later || this.#blindLowers)) blind = next
        if (later) {
          // Neither index changes: the lean script, one key, or no script at all.
          script = scripts.replace
          args = [expected, record, ttl]
        } else {
          args = [
            id,
            expected,
            'p',
            owner,
            record,
            String(next.expiresAt),
            user,
            owner === '' || next.expiresAt < current!.expiresAt ? '1' : '',
            ttl,
          ]
        }
      }
      let reply: 1 | 0 | Buffer | Replaced
      let epoch: number | undefined
      const keys = (): string[] =>
        script === scripts.replace ? [key] : this.keys.writeKeys(bucket, id)
      const send = (connection: Connection, tracked: boolean): Promise<1 | 0 | Buffer | Replaced> =>
        // The read cache's connection keeps the script: a SET would end the key's tracking.
        blind !== undefined && !tracked && this.#blindWrites
          ? this.#blind(
              connection,
              id,
              bucket,
              key,
              record!,
              ttl,
              seen.token,
              blind,
              script !== scripts.replace,
              () => script.run<1 | 0 | Buffer>(connection, keys(), args, true),
            )
          : (tracked ? scripts.TRACKED.get(script)! : script).run<1 | 0 | Buffer>(
              connection,
              keys(),
              args,
              true,
            )
      try {
        // Without a read cache, no wrapper: one await less on every write.
        if (this.#tracker === undefined) reply = await send(this.#connection, false)
        else [reply, epoch] = await this.#tracked(id, send)
      } catch (error) {
        // A SET that got no reply may have run.
        if (blind !== undefined) this.#suspected(id, [blind.userId])
        throw this.#failed(id, error)
      }
      if (reply instanceof Replaced) {
        return this.#repair(id, bucket, mutate, options, current!, reply.record, token, blind!)
      }
      if (reply === 1) {
        if (next === undefined) return current
        if (next === null) {
          this.#hints.delete(id)
          return undefined
        }
        return this.#remember(id, token, next, epoch)
      }
      // The script sent the current record (never the one seen): that is the hint now.
      seen = this.#observe(id, reply === 0 ? null : reply, undefined, epoch)
      fresh = true
      // Processes that keep writing one id could otherwise win every race against a slower one.
      if (attempt >= BACKOFF_AFTER) await backoff(attempt - BACKOFF_AFTER)
    }
    throw new Error(`an update of a session gave up after ${MAX_ATTEMPTS} conflicting writes`)
  }

  /**
   * The write of a blind update (`UpdateOptions.blind`) with the owner as seen: `SET XX GET`, a
   * fraction of a script's cost on the server. It writes only over a stored session, and brings
   * back what it replaced: 1 when that was the record seen (what the compare-and-set would have
   * done), 0 when nothing was stored (nothing written), else `Replaced` (see #repair). A user's
   * session is first added to its user set: should this process stop before a repair, the user
   * index then still holds it (a member too many is cleaned up on read; one too few would hide
   * the session from destroyUser). An expiry earlier than seen lowers the expiry entry after the
   * SET, never before: a sweep in between could otherwise raise it to the old expiry (see
   * #lowered). `fallback` is the compare-and-set, which a server without `SET ... GET` (before
   * Redis 6.2) gets instead, replying as it does.
   */
  #blind(
    connection: Connection,
    id: string,
    bucket: number,
    key: string,
    record: Buffer | string,
    ttl: string,
    seenToken: string,
    next: StoredSession,
    lower: boolean,
    fallback: () => Promise<1 | 0 | Buffer>,
  ): Promise<1 | 0 | Replaced | Buffer> {
    const { userId } = next
    // Sent first: one connection keeps the order.
    let added: Promise<number> | undefined
    if (userId !== undefined) {
      const user = this.keys.user(bucket, userId)
      added = connection.send<number>(user, ['SADD', user, id])
      // Should sending the SET throw, nothing else would await this one.
      void added.catch(() => undefined)
    }
    const sent = connection.sendMap<Buffer | null, 1 | 0 | Replaced | Buffer>(
      key,
      ['SET', key, record, 'PX', ttl, 'XX', 'GET'],
      true,
      (old) => {
        if (old === null) return 0
        return hasToken(old, seenToken) ? 1 : new Replaced(Buffer.from(old))
      },
      (error) => {
        if (!isReplyError(error, SYNTAX_ERROR)) throw error
        // Redis before 6.2 has no SET ... GET: the compare-and-set, from now on.
        this.#blindWrites = false
        return fallback()
      },
    )
    // Awaited, so that a failure marks the id suspect before its next update begins.
    const lowered = lower ? this.#lowered(connection, id, bucket, next) : undefined
    if (added === undefined && lowered === undefined) return sent
    // Nothing written (no session, or the script's compare failed): the SADD is taken back.
    return Promise.all([sent, added, lowered]).then(([reply]) =>
      added === undefined || reply === 1 || reply instanceof Replaced
        ? reply
        : this.#unlist(connection, id, bucket, userId!).then(() => reply),
    )
  }

  /**
   * Lowers `id`'s expiry entry to `next`'s expiry, if it is higher: `ZADD XX LT`, after a blind
   * SET of `next` on the same connection. XX adds no entry for a session gone meanwhile (every
   * live session has one). Should it fail after the SET wrote, the entry may be above the
   * session's expiry: the id is suspect until #tidy reindexes it.
   */
  #lowered(connection: Connection, id: string, bucket: number, next: StoredSession): Promise<void> {
    const expiry = this.keys.expiry(bucket)
    let sent: Promise<unknown>
    try {
      sent = connection.send(expiry, ['ZADD', expiry, 'XX', 'LT', String(next.expiresAt), id])
    } catch {
      // Not sent (a client that throws): the entry stays where it was.
      this.#suspected(id, [])
      return Promise.resolve()
    }
    return sent.then(
      () => undefined,
      (error: unknown) => {
        if (isReplyError(error, SYNTAX_ERROR)) {
          // A server before 6.2 refuses LT as it refuses SET ... GET, whose refusal (handled
          // first: replies come in order) sends the compare-and-set, which lowers the entry.
          if (!this.#blindWrites) return
          // SET ... GET taken, LT not: the script lowers entries from now on.
          this.#blindLowers = false
        }
        this.#suspected(id, [])
      },
    )
  }

  /**
   * A blind write found no session and wrote nothing, but its SADD added `id` to `userId`'s set:
   * the repair script takes it out again unless the session (created meanwhile) or the owners
   * hash names that user. Never fails: on a failure the id is suspect (see #tidy).
   */
  #unlist(connection: Connection, id: string, bucket: number, userId: string): Promise<void> {
    return this.#reindex(connection, id, bucket, ['', userId]).then(
      () => undefined,
      () => this.#suspected(id, [userId]),
    )
  }

  /** The repair script without a write: `id`'s indexes follow its record; `users` lose it. */
  #reindex(
    connection: Connection,
    id: string,
    bucket: number,
    users: readonly [string, string],
  ): Promise<unknown> {
    return scripts.repair.run(connection, this.keys.writeKeys(bucket, id), [id, '', ...users])
  }

  /**
   * Before an update or delete of a suspect id: its indexes follow its record again, and the users its
   * failed blind writes may have left it with lose it (two per script run). The script writes no
   * session key, so the read cache has nothing to drop.
   */
  async #tidy(id: string, bucket: number, users: Set<string>): Promise<void> {
    const list = [...users]
    try {
      do {
        const [a = '', b = ''] = list.splice(0, 2)
        await this.#reindex(this.#connection, id, bucket, [a, b])
      } while (list.length > 0)
    } catch (error) {
      throw this.#failed(id, error)
    }
    if (this.#suspect.get(id) === users) this.#suspect.delete(id)
  }

  /**
   * A blind write of `ours` (under `token`) replaced `replaced`, not the record `seen`: another
   * process wrote in between. `mutate` runs on both at one moment, on the replaced record last (as
   * a compare-and-set's retry would, and only its last run counts). When they agree and the
   * indexes (which follow the replaced record) fit `ours`, the write stands as it is. Otherwise one
   * script stores the retry's session, if the blind write's record is still there, and makes the
   * indexes follow the session. A write that landed in between replaced ours, so it came after
   * it: it stands.
   */
  async #repair(
    id: string,
    bucket: number,
    mutate: SessionMutation,
    options: UpdateOptions | undefined,
    seen: StoredSession,
    replaced: Buffer,
    token: string,
    ours: StoredSession,
  ): Promise<StoredSession | undefined> {
    const old = parseRecord(id, replaced).session
    let again = mutate(seen)
    if (again instanceof Promise) again = await again
    let retried = mutate(old)
    if (retried instanceof Promise) retried = await retried
    const args: (string | Buffer)[] = [id, `${token}\0`, old?.userId ?? '', ours.userId ?? '']
    let target: StoredSession | undefined = ours
    if (retried === undefined || retried === null) {
      // The retry writes nothing (a set with ifExists over a session no longer live): the blind
      // write must not keep it alive. An expired session and none are the same to the store.
      target = undefined
      args.push('')
    } else if (old !== undefined && again != null && sameStored(again, retried)) {
      if (fits(ours, old)) return this.#remember(id, token, ours, undefined)
      // Only the indexes to move: the script writes nothing.
    } else {
      target = retried
      token = newToken()
      args.push(encodeRecord(token, target), String(ttlFrom(target.expiresAt, options?.now)))
    }
    let reply: 1 | 0 | Buffer
    let epoch: number | undefined
    try {
      ;[reply, epoch] = await this.#tracked(id, (connection, tracked) =>
        (tracked ? scripts.repairTracked : scripts.repair).run<1 | 0 | Buffer>(
          connection,
          this.keys.writeKeys(bucket, id),
          args,
          true,
        ),
      )
    } catch (error) {
      this.#suspected(id, [old?.userId, ours.userId])
      throw this.#failed(id, error)
    }
    if (reply !== 1) {
      this.#observe(id, reply === 0 ? null : reply, undefined, epoch)
      return ours
    }
    if (target === undefined) {
      this.#hints.delete(id)
      return undefined
    }
    return this.#remember(id, token, target, epoch)
  }

  /** `session`, just written under `token`, is the hint (cached in `epoch`, if any). */
  #remember(
    id: string,
    token: string,
    session: StoredSession,
    epoch: number | undefined,
  ): StoredSession {
    const written: Snapshot = { token, session, corrupt: false }
    if (epoch !== undefined) written.epoch = epoch
    this.#hints.set(id, written)
    return session
  }

  /** `id`'s indexes may not follow its record (see #suspect); the map stays bounded. */
  #suspected(id: string, users: readonly (string | undefined)[]): void {
    let held = this.#suspect.get(id)
    if (held === undefined) {
      if (this.#suspect.size >= MAX_SUSPECT) this.#suspect.clear()
      held = new Set()
      this.#suspect.set(id, held)
    }
    for (const user of users) if (user !== undefined) held.add(user)
  }

  /**
   * A command of an update failed: its hint is no longer known to be current, and a timeout is
   * told to the updates of this id queued behind it (see update()).
   */
  #failed(id: string, error: unknown): unknown {
    this.#hints.delete(id)
    if (isTimeout(error) && this.#updates.hasWaiters(id)) {
      this.#timeouts.set(id, (this.#timeouts.get(id) ?? 0) + 1)
    }
    return error
  }

  /** The record stored now: `seen` itself when its token still matches, else what is there. */
  async #read(id: string, key: string, seen: Snapshot): Promise<Snapshot> {
    let record: Buffer | null
    let epoch: number | undefined
    try {
      ;[record, epoch] = await this.#tracked(id, (connection) =>
        connection.send<Buffer | null>(key, ['GET', key], true),
      )
    } catch (error) {
      throw this.#failed(id, error)
    }
    return this.#observe(id, record, seen, epoch)
  }

  /**
   * Sends a command about `id` over the tracking connection while tracking is on, else over
   * the client; with the epoch its reply may be cached in (undefined: not to be cached).
   */
  async #tracked<T>(
    id: string,
    send: (connection: Connection, tracked: boolean) => Promise<T>,
  ): Promise<[T, number | undefined]> {
    const tracker = this.#tracker
    if (tracker === undefined) return [await send(this.#connection, false), undefined]
    if (!tracker.active) {
      // Over the application's client: a reply of the tracking connection still in flight for
      // `id` may predate this write (the two sockets are read in no fixed order).
      try {
        return [await send(this.#connection, false), undefined]
      } finally {
        tracker.taint(id)
      }
    }
    const ticket = tracker.begin(id)
    let reply: T
    try {
      reply = await send(tracker.connection, true)
    } catch (error) {
      tracker.end(id, ticket, false)
      throw error
    }
    return [reply, tracker.end(id, ticket)]
  }

  /**
   * One-round-trip `set`: the policy of `SessionStore.set` (keep a live session's `createdAt`,
   * keep its expiry in fixed mode, cap at `createdAt + maxLifetime`) computed by a script.
   */
  // candidate for core: an optional `Backend.save` the store's `set` calls when present.
  async save(id: string, params: SaveParams): Promise<StoredSession> {
    const bucket = this.keys.bucketOf(id)
    const token = newToken()
    if (params.userId?.includes('\0') === true) {
      throw new TypeError('a user id must not contain U+0000')
    }
    let reply: [string, string]
    try {
      // Its hint carries no epoch: the read cache answers with it only once it is read back.
      ;[reply] = await this.#tracked(id, (connection) =>
        scripts.save.run<[string, string]>(connection, this.keys.writeKeys(bucket, id), [
          id,
          token,
          String(params.now),
          String(params.ttl),
          params.maxLifetime === undefined ? '' : String(params.maxLifetime),
          params.fixed ? '1' : '0',
          params.userId ?? '',
          toBuffer(params.value),
        ]),
      )
    } catch (error) {
      this.#hints.delete(id)
      throw error
    }
    const stored: StoredSession = {
      id,
      value: params.value,
      createdAt: Number(reply[0]),
      expiresAt: Number(reply[1]),
      ...(params.userId === undefined ? {} : { userId: params.userId }),
    }
    this.#hints.set(id, { token, session: stored, corrupt: false })
    return stored
  }

  async delete(id: string): Promise<StoredSession | undefined> {
    const bucket = this.keys.bucketOf(id)
    const suspect = this.#suspect.get(id)
    if (suspect !== undefined) await this.#tidy(id, bucket, suspect)
    try {
      const [removed] = await this.#tracked(id, (connection) =>
        scripts.remove.run<Buffer | 0>(connection, this.keys.writeKeys(bucket, id), [id], true),
      )
      // A copy: the reply is a view of node-redis's read buffer. A corrupt record is no session.
      return removed === 0 ? undefined : parseRecord(id, Buffer.from(removed)).session
    } finally {
      // Once Redis has answered: a load sent before the delete may have put the old record back.
      this.#hints.delete(id)
    }
  }

  async listUser(userId: string): Promise<StoredSession[]> {
    const rows = await Promise.all(
      this.#buckets().map((b) =>
        scripts.listUser.run<[Buffer, Buffer][]>(
          this.#connection,
          [this.keys.user(b, userId), this.keys.owners(b), this.keys.expiry(b)],
          [userId, this.keys.sessionBase(b)],
          true,
        ),
      ),
    )
    const found: StoredSession[] = []
    for (const [id, record] of rows.flat()) {
      const { session } = parseRecord(id.toString(), Buffer.from(record))
      if (session !== undefined) found.push(session)
    }
    return found
  }

  /** The user's ids from each bucket's user set, without reading the sessions (some may be gone). */
  async listUserIds(userId: string): Promise<string[]> {
    const sets = await Promise.all(
      this.#buckets().map((b) => {
        const key = this.keys.user(b, userId)
        return this.#connection.send<string[]>(key, ['SMEMBERS', key])
      }),
    )
    return sets.flat()
  }

  async *entries(): AsyncGenerator<StoredSession> {
    for (const b of this.#buckets()) {
      const index = this.keys.expiry(b)
      const seen = new Set<string>()
      let cursor = '0'
      do {
        const [next, flat] = await this.#connection.send<[string, string[]]>(index, [
          'ZSCAN',
          index,
          cursor,
          'COUNT',
          '256',
        ])
        cursor = next
        const ids = flat.filter((id, i) => i % 2 === 0 && !seen.has(id))
        for (const id of ids) seen.add(id)
        const rows = await Promise.all(
          ids.map((id) => {
            const key = this.keys.session(id)
            return this.#connection.send<Buffer | null>(key, ['GET', key], true)
          }),
        )
        for (const [i, id] of ids.entries()) {
          const record = rows[i]!
          const { session } = parseRecord(id, record === null ? null : Buffer.from(record))
          if (session !== undefined) yield session
        }
      } while (cursor !== '0')
    }
  }

  async count(now: number): Promise<number> {
    const counts = await Promise.all(
      this.#buckets().map(async (b) => {
        const keys = [this.keys.expiry(b)]
        let cursor = ''
        for (;;) {
          const [done, value] = await scripts.countStep.run<[number, string | number]>(
            this.#connection,
            keys,
            [String(now), String(COUNT_CHUNK), this.keys.sessionBase(b), cursor],
          )
          if (done === 1) return Number(value)
          cursor = String(value)
        }
      }),
    )
    return counts.reduce((a, b) => a + b, 0)
  }

  async clear(): Promise<void> {
    this.#hints.clear()
    await Promise.all(
      this.#buckets().map(async (b) => {
        const keys = [this.keys.expiry(b), this.keys.owners(b)]
        const args = [String(CLEAR_CHUNK), this.keys.sessionBase(b)]
        while ((await scripts.clearChunk.run<number>(this.#connection, keys, args)) > 0);
      }),
    )
    this.#hints.clear()
    // Loads over the tracking connection still in flight may predate the clear.
    this.#tracker?.reset()
  }

  async sweep({ now, signal, onExpired, onDeleted }: SweepOptions): Promise<SweepResult> {
    let scanned = 0
    let deleted = 0
    await Promise.all(
      this.#buckets().map(async (b) => {
        const keys = [this.keys.expiry(b), this.keys.owners(b)]
        const args = [String(now), String(SWEEP_CHUNK), this.keys.sessionBase(b)]
        for (;;) {
          if (signal?.aborted === true) return
          const [examined, rows] = await scripts.sweepChunk.run<
            [number, [Buffer, Buffer, Buffer, Buffer][]]
          >(this.#connection, keys, args, true)
          scanned += examined
          const removed = rows.map(([rawId, record, score, user]): StoredSession => {
            // A session Redis already expired (or an unreadable one): what the indexes knew.
            const id = rawId.toString()
            const found = parseRecord(id, Buffer.from(record)).session
            const session = found ?? {
              id,
              value: new Uint8Array(),
              createdAt: 0,
              expiresAt: Number(score.toString()),
            }
            return user.length === 0 || found !== undefined
              ? session
              : { ...session, userId: user.toString() }
          })
          for (const session of removed) {
            this.#hints.delete(session.id)
            this.#tracker?.taint(session.id)
          }
          deleted += removed.length
          if (removed.length > 0) {
            onExpired?.(removed)
            onDeleted?.(removed.length)
          }
          if (examined < SWEEP_CHUNK) return
        }
      }),
    )
    return { scanned, deleted }
  }

  /**
   * Checks every session against its index entries and every index entry against its session.
   * An expiry entry whose session is gone is native expiry's footprint (Redis removes the
   * session on its own clock; reads and sweeps remove the entries), never a problem; an owner
   * entry is one only without an expiry entry beside it.
   */
  verify(): Promise<string[]> {
    return verifyLayout(this.#connection, this.keys)
  }

  /** Closes the read cache's own connection; the client belongs to the application. */
  close(): Promise<void> {
    this.#tracker?.close()
    this.#hints.clear()
    return Promise.resolve()
  }

  #buckets(): number[] {
    return Array.from({ length: this.keys.buckets }, (_, i) => i)
  }
}

/**
 * A `Backend` for `createSessionStore({ backend })` on Redis or Valkey.
 *
 * @param options.client A connected node-redis 5 client or cluster client (never closed here).
 * @param [options.prefix='sess:'] Prefix of every key.
 * @param [options.buckets=16] Hash slots the sessions spread over; fixed per prefix.
 * @param [options.commandTimeout=5000] Ms before a command without a reply fails.
 * @param [options.hintCacheBytes=16777216] Bytes of compare-and-set hints kept per process.
 * @example
 * ```ts
 * const client = await createClient({ url, disableOfflineQueue: true }).on('error', log).connect()
 * const store = createSessionStore({ backend: redisBackend({ client, prefix: 'sess:' }) })
 * ```
 */
export function redisBackend(options: RedisBackendOptions): RedisBackend {
  return new RedisBackend(options)
}

/** A random wait of up to 2^step ms (at most MAX_BACKOFF): conflicting writers spread out. */
function backoff(step: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF, 2 ** step)
  return new Promise((resolve) => wait(resolve, ms))
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** What a blind write replaced when that was not the record seen (see RedisBackend#blind). */
class Replaced {
  constructor(readonly record: Buffer) {}
}

/** The same session to store: data, times and owner. */
function sameStored(a: StoredSession, b: StoredSession): boolean {
  return (
    a.createdAt === b.createdAt &&
    a.expiresAt === b.expiresAt &&
    (a.userId ?? '') === (b.userId ?? '') &&
    (a.value === b.value || Buffer.compare(a.value, b.value) === 0)
  )
}

/**
 * Whether the indexes, which follow the replaced record `old`, fit the session written: the same
 * owner, and an expiry entry (at most `old`'s expiry) not above the new expiry.
 */
function fits(written: StoredSession, old: StoredSession): boolean {
  return (old.userId ?? '') === (written.userId ?? '') && old.expiresAt <= written.expiresAt
}

/** Native expiry of a record due at `expiresAt` on `now`'s clock: at least 1 ms (PX must be > 0). */
function ttlFrom(expiresAt: number, now: (() => number) | undefined): number {
  return Math.max(1, Math.ceil(expiresAt - (now === undefined ? Date.now() : now())))
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
