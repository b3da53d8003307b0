/**
 * @module
 * The Redis backend: the `Backend` port of @levelsession/core on a node-redis 5 client or
 * cluster client. Sessions are hashes with native expiry; each bucket of sessions keeps an expiry
 * index and a user index in its own hash slot, and every change to a session and its index
 * entries is one Lua script, so indexes stay exact across any number of processes and hosts.
 */
import {
  type Backend,
  SessionDecodeError,
  SessionError,
  type SessionMutation,
  type StoredSession,
  type SweepOptions,
  type SweepResult,
} from '@levelsession/core'
import { Connection, type RedisClient, type RedisCluster } from './connection.js'
import { HintCache } from './hints.js'
import { checkPrefix, DEFAULT_BUCKETS, KeyLayout, LAYOUT_VERSION } from './keys.js'
import { ABSENT, type Fields, newToken, type Snapshot, snapshot } from './record.js'
import * as scripts from './scripts.js'
import { verifyLayout } from './verify.js'

/** Default `prefix`. */
export const DEFAULT_PREFIX = 'sess:'
/** Default `commandTimeout` in ms. */
export const DEFAULT_COMMAND_TIMEOUT = 5_000
/** Default `hintCacheBytes`. */
export const DEFAULT_HINT_CACHE_BYTES = 8 * 1024 * 1024
/** Expiry-index entries one sweep script handles; keeps each script short. */
const SWEEP_CHUNK = 256
/** Sessions one clear script removes. */
const CLEAR_CHUNK = 500
/** Compare-and-set attempts before `update` gives up under contention. */
const MAX_ATTEMPTS = 64

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
   * load takes one round trip; 0 turns them off. Never used to answer a load. @default 8 MiB
   */
  hintCacheBytes?: number
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
    this.keys = new KeyLayout(checkPrefix(prefix), buckets)
    this.#connection = new Connection(client, commandTimeout === 0 ? undefined : commandTimeout)
    this.#hints = new HintCache(hintCacheBytes)
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
  }

  async load(id: string): Promise<StoredSession | undefined> {
    const key = this.keys.session(id)
    const fields = await this.#connection.send<Fields>(
      key,
      ['HMGET', key, 't', 'v', 'c', 'e', 'u'],
      {
        binary: true,
      },
    )
    const found = snapshot(id, fields)
    if (found.corrupt) {
      this.#hints.delete(id)
      throw new SessionDecodeError(id, new Error('incomplete session record in Redis'))
    }
    this.#hints.set(id, found)
    return found.session
  }

  /**
   * Optimistic read-modify-write: `mutate` runs on the last record this process saw (or on "no
   * session"), then a script writes only if the record is unchanged; otherwise it replies with
   * the current record and `mutate` runs again on that. `mutate` may therefore run more than once.
   */
  async update(id: string, mutate: SessionMutation): Promise<StoredSession | undefined> {
    const bucket = this.keys.bucketOf(id)
    const keys = [this.keys.session(id), this.keys.expiry(bucket), this.keys.owners(bucket)]
    const base = [id, this.keys.userBase(bucket)]
    let seen: Snapshot = this.#hints.get(id) ?? ABSENT
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const next = await mutate(seen.session)
      const token = newToken()
      let args: (string | Buffer)[]
      if (next === undefined) args = [...base, seen.token, 'check']
      else if (next === null) args = [...base, seen.token, 'del']
      else {
        // A touch hands back the stored value itself: send only the new times.
        const keep = seen.session !== undefined && next.value === seen.session.value
        args = [
          ...base,
          seen.token,
          'put',
          token,
          String(next.createdAt),
          String(next.expiresAt),
          next.userId ?? '',
          keep ? '1' : '0',
          keep ? '' : toBuffer(next.value),
        ]
      }
      let reply: [number, ...Fields]
      try {
        reply = await scripts.compareAndSet.run(this.#connection, keys, args, { binary: true })
      } catch (error) {
        this.#hints.delete(id)
        throw error
      }
      if (reply[0] === 1) {
        if (next === undefined) return seen.session
        if (next === null) {
          this.#hints.delete(id)
          return undefined
        }
        this.#hints.set(id, { token, session: next, corrupt: false })
        return next
      }
      seen = snapshot(id, reply.slice(1) as Fields)
      this.#hints.set(id, seen)
    }
    throw new Error(`update of session ${id} gave up after ${MAX_ATTEMPTS} conflicting writes`)
  }

  /**
   * One-round-trip `set`: the policy of `SessionStore.set` (keep a live session's `createdAt`,
   * keep its expiry in fixed mode, cap at `createdAt + maxLifetime`) computed by a script.
   */
  // candidate for core: an optional `Backend.save` the store's `set` calls when present.
  async save(id: string, params: SaveParams): Promise<StoredSession> {
    const bucket = this.keys.bucketOf(id)
    const token = newToken()
    let reply: [string, string]
    try {
      reply = await scripts.save.run(
        this.#connection,
        [this.keys.session(id), this.keys.expiry(bucket), this.keys.owners(bucket)],
        [
          id,
          this.keys.userBase(bucket),
          token,
          String(params.now),
          String(params.ttl),
          params.maxLifetime === undefined ? '' : String(params.maxLifetime),
          params.fixed ? '1' : '0',
          params.userId ?? '',
          toBuffer(params.value),
        ],
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

  async delete(id: string): Promise<boolean> {
    const bucket = this.keys.bucketOf(id)
    this.#hints.delete(id)
    const existed = await scripts.remove.run<number>(
      this.#connection,
      [this.keys.session(id), this.keys.expiry(bucket), this.keys.owners(bucket)],
      [id, this.keys.userBase(bucket)],
    )
    return existed === 1
  }

  async listUser(userId: string): Promise<StoredSession[]> {
    const rows = await Promise.all(
      this.#buckets().map((b) =>
        scripts.listUser.run<[Buffer, ...Fields][]>(
          this.#connection,
          [this.keys.user(b, userId), this.keys.owners(b), this.keys.expiry(b)],
          [userId, this.keys.sessionBase(b)],
          { binary: true },
        ),
      ),
    )
    const found: StoredSession[] = []
    for (const [id, ...fields] of rows.flat()) {
      const { session } = snapshot(id.toString(), fields)
      if (session !== undefined) found.push(session)
    }
    return found
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
            return this.#connection.send<Fields>(key, ['HMGET', key, 't', 'v', 'c', 'e', 'u'], {
              binary: true,
            })
          }),
        )
        for (const [i, id] of ids.entries()) {
          const { session } = snapshot(id, rows[i]!)
          if (session !== undefined) yield session
        }
      } while (cursor !== '0')
    }
  }

  async count(now: number): Promise<number> {
    const counts = await Promise.all(
      this.#buckets().map((b) => {
        const index = this.keys.expiry(b)
        return this.#connection.send<number>(index, ['ZCOUNT', index, `(${now}`, '+inf'])
      }),
    )
    return counts.reduce((a, b) => a + b, 0)
  }

  async clear(): Promise<void> {
    this.#hints.clear()
    await Promise.all(
      this.#buckets().map(async (b) => {
        const keys = [this.keys.expiry(b), this.keys.owners(b)]
        const args = [String(CLEAR_CHUNK), this.keys.sessionBase(b), this.keys.userBase(b)]
        while ((await scripts.clearChunk.run<number>(this.#connection, keys, args)) > 0);
      }),
    )
    this.#hints.clear()
  }

  async sweep({ now, signal, onExpired }: SweepOptions): Promise<SweepResult> {
    let scanned = 0
    let deleted = 0
    await Promise.all(
      this.#buckets().map(async (b) => {
        const keys = [this.keys.expiry(b), this.keys.owners(b)]
        const args = [
          String(now),
          String(SWEEP_CHUNK),
          this.keys.sessionBase(b),
          this.keys.userBase(b),
        ]
        for (;;) {
          if (signal?.aborted === true) return
          const [examined, rows] = await scripts.sweepChunk.run<
            [number, [Buffer, Buffer, Buffer, Buffer, Buffer][]]
          >(this.#connection, keys, args, { binary: true })
          scanned += examined
          const removed = rows.map(([id, value, createdAt, expiresAt, user]): StoredSession => {
            const session = {
              id: id.toString(),
              value,
              createdAt: Number(createdAt.toString()),
              expiresAt: Number(expiresAt.toString()),
            }
            return user.length === 0 ? session : { ...session, userId: user.toString() }
          })
          for (const session of removed) this.#hints.delete(session.id)
          deleted += removed.length
          if (removed.length > 0) onExpired?.(removed)
          if (examined < SWEEP_CHUNK) return
        }
      }),
    )
    return { scanned, deleted }
  }

  /**
   * Checks every session against its index entries and every index entry against its session.
   * An index entry whose session is gone is a problem only if it was not yet due by this host's
   * clock (native expiry removes sessions before the cleaner removes their entries).
   */
  verify(): Promise<string[]> {
    return verifyLayout(this.#connection, this.keys, Date.now())
  }

  /** Releases nothing: the client belongs to the application. */
  close(): Promise<void> {
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
 * @param [options.hintCacheBytes=8388608] Bytes of compare-and-set hints kept per process.
 * @example
 * ```ts
 * const client = await createClient({ url, disableOfflineQueue: true }).on('error', log).connect()
 * const store = createSessionStore({ backend: redisBackend({ client, prefix: 'sess:' }) })
 * ```
 */
export function redisBackend(options: RedisBackendOptions): RedisBackend {
  return new RedisBackend(options)
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value)
    ? value
    : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
