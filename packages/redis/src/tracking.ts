/**
 * @module
 * The read cache's coherence: a connection of the backend's own (a RESP3 duplicate of the
 * application's client) with server-assisted client-side caching (`CLIENT TRACKING ON NOLOOP`):
 * Redis remembers the keys this connection reads and tells it when anyone else changes one.
 *
 * Why this is enough to answer a load from what this process last read or wrote:
 * - Every reply that fills the cache comes over this one connection, and Redis writes an
 *   invalidation into it the moment another client changes a key it read, so after the replies
 *   of every command it ran before that change. A reply is therefore current until an
 *   invalidation of its key arrives after it.
 * - NOLOOP: this connection's own writes send it nothing, and each of its write scripts reads
 *   the session again after writing it (a write ends a key's tracking; scripts.ts), so a session
 *   this process has just written stays cached and tracked (a request's get after the previous
 *   request's set). Broadcast mode (BCAST) would not do: Redis 7.0 does not apply NOLOOP to a
 *   script's writes there.
 * - Invalidations are lost while the connection is down: every disconnect starts a new epoch,
 *   and only an entry filled in the current epoch, after tracking was switched on again, is used.
 */
import { Connection, isTimeout, type RedisClient, withDeadline } from './connection.js'
import type { KeyLayout } from './keys.js'
import { monotonic, unwait, wait } from './timers.js'

/** The part of a node-redis 5 client the tracking connection needs (its own duplicate). */
export interface TrackingClient extends RedisClient {
  connect(): Promise<unknown>
  destroy(): void
  readonly isOpen?: boolean
  on(event: string, listener: (...args: never[]) => void): this
}

/** A standalone client that can make the tracking connection. */
export interface DuplicableClient extends RedisClient {
  duplicate(overrides: object): TrackingClient
  readonly options?: { socket?: { reconnectStrategy?: unknown } }
}

/** Ms without any reply on the tracking connection after which the cache stops answering. */
export const LEASE_MS = 2_000
/** A connection quiet for this long is sent a PING (which renews the lease). */
const HEARTBEAT_MS = 500

export class Tracker {
  #connection: Connection
  #client: TrackingClient
  readonly #source: DuplicableClient
  readonly #keys: KeyLayout
  readonly #invalidate: (id: string | null) => void
  readonly #timeout: number | undefined
  /** Bumped on every disconnect and every switch-on: an entry counts only in its own epoch. */
  #epoch = 0
  #active = false
  #closed = false
  #started = false
  /** `monotonic()` of the last reply read on this connection (see LEASE_MS). */
  #heard = 0
  #heartbeat: ReturnType<typeof wait> | undefined
  /** Clients with a socket (between 'connect' and 'reconnecting' or 'end'). */
  readonly #sockets = new WeakSet<TrackingClient>()
  /** Clients closed or replaced: destroyed as soon as they have a socket to destroy. */
  readonly #retired = new WeakSet<TrackingClient>()
  /** Bumped by every disconnect and switch-on: a switch-on overtaken by another does nothing. */
  #generation = 0
  #pinging = false
  /** Commands in flight over this connection per session id, and those invalidated meanwhile. */
  readonly #pending = new Map<string, number>()
  readonly #dirty = new Set<string>()

  constructor(
    client: DuplicableClient,
    keys: KeyLayout,
    timeout: number | undefined,
    invalidate: (id: string | null) => void,
  ) {
    this.#source = client
    this.#keys = keys
    this.#invalidate = invalidate
    this.#timeout = timeout
    this.#client = this.#duplicate()
    this.#connection = new Connection(this.#client, timeout)
  }

  /** The connection session reads and writes take while `active`. */
  get connection(): Connection {
    return this.#connection
  }

  #duplicate(): TrackingClient {
    const socket = this.#source.options?.socket
    const strategy = socket?.reconnectStrategy
    // RESP3 carries the invalidations on the same connection as the replies (their order is the
    // whole argument above); the application's own client-side cache, if any, is not copied.
    const client = this.#source.duplicate({
      RESP: 3,
      emitInvalidate: true,
      clientSideCache: undefined,
      name: 'levelsession-tracking',
      socket: {
        ...socket,
        // The first connection fails at once (start() reports why, e.g. an ACL refusing
        // CLIENT TRACKING in the handshake), and a closed tracker stops reconnecting; otherwise
        // the application's strategy, or one like node-redis's default.
        reconnectStrategy: (retries: number, cause: Error): number | false | Error => {
          if (this.#closed || !this.#started || this.#retired.has(client)) return false
          if (strategy === false || typeof strategy === 'number') return strategy
          if (typeof strategy === 'function') {
            return (strategy as (r: number, c: Error) => number | false | Error)(retries, cause)
          }
          return Math.min(2 ** retries * 50, 2_000)
        },
      },
    })
    const down = () => {
      this.#sockets.delete(client)
      if (client === this.#client) this.#down()
    }
    client
      // Failures reach the calls sent over this connection; the listener only keeps an
      // EventEmitter's `error` from crashing the process. A lost socket ends with 'end' or
      // 'reconnecting' (and `isReady` is false from the moment it closes).
      .on('error', () => undefined)
      .on('end', down)
      .on('reconnecting', down)
      .on('connect', () => {
        this.#sockets.add(client)
        // node-redis's destroy() cannot reach a socket still being made: now it can.
        if (this.#retired.has(client)) destroy(client)
      })
      .on('ready', () => {
        // The first connection is start()'s to switch on (node-redis emits this before
        // connect() resolves); later ones, reconnections, are switched on here.
        if (!this.#started || this.#closed || client !== this.#client) return
        // A failed switch-on leaves the cache off until the next reconnection: loads go to Redis.
        this.#enable().catch(() => undefined)
      })
      .on('invalidate', (key: Buffer | string | null) => {
        if (client === this.#client) this.#onInvalidate(key)
      })
    return client
  }

  /**
   * Connects and switches tracking on; rejects when the server refuses it (Redis < 6, ACL),
   * cannot be reached, or does not answer within the command timeout.
   */
  start(): Promise<void> {
    const started = this.#start()
    return this.#timeout === undefined ? started : withDeadline(started, this.#timeout)
  }

  async #start(): Promise<void> {
    if (this.#closed) throw new Error('the store was closed')
    await this.#client.connect()
    if (this.#closed) throw new Error('the store was closed')
    this.#started = true
    await this.#enable()
    this.#beat()
  }

  /** Tracking is on and heard from lately: commands sent now over `connection` may fill the cache. */
  get active(): boolean {
    return this.#active && this.#client.isReady === true && monotonic() - this.#heard < LEASE_MS
  }

  /** Whether an entry filled in `epoch` may answer a load now. */
  isCurrent(epoch: number | undefined): boolean {
    return epoch === this.#epoch && this.active
  }

  /** A command about `id` is sent over `connection`: its ticket for `end`. */
  begin(id: string): number {
    this.#pending.set(id, (this.#pending.get(id) ?? 0) + 1)
    return this.#epoch
  }

  /**
   * The command `begin` ticketed has settled: the epoch its reply may fill the cache in, or
   * undefined when an invalidation of `id` (or a disconnect) came in while it was in flight.
   * node-redis handles an invalidation as it reads it but settles a reply in a later microtask,
   * so an invalidation read just after a reply would otherwise be handled before that reply.
   */
  end(id: string, ticket: number, replied = true): number | undefined {
    if (replied) this.#heard = monotonic()
    const dirty = this.#dirty.has(id)
    const left = (this.#pending.get(id) ?? 1) - 1
    if (left > 0) this.#pending.set(id, left)
    else {
      this.#pending.delete(id)
      this.#dirty.delete(id)
    }
    return !dirty && this.isCurrent(ticket) ? ticket : undefined
  }

  /**
   * `id` changed after replies of this connection still in flight for it were made (another
   * client's write, or this process's over the application's client): they are not to be cached.
   */
  taint(id: string): void {
    if (this.#pending.has(id)) this.#dirty.add(id)
  }

  /** Sessions changed in bulk (a flush, or this process's clear()): nothing earlier counts. */
  reset(): void {
    this.#epoch++
    this.#invalidate(null)
  }

  /** Stops tracking for good and closes the connection (its calls in flight fail). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    unwait(this.#heartbeat)
    this.#down()
    this.#retire(this.#client)
  }

  /** Destroys `client` now if it has a socket, else once it has one (see 'connect'). */
  #retire(client: TrackingClient): void {
    this.#retired.add(client)
    if (this.#sockets.has(client)) destroy(client)
  }

  #down(): void {
    this.#generation++
    this.#epoch++
    if (this.#active) {
      this.#active = false
      this.#invalidate(null)
    }
  }

  async #enable(): Promise<void> {
    this.#down()
    const generation = this.#generation
    // node-redis's handshake switched tracking on (emitInvalidate) without NOLOOP; options are
    // changed by switching off first. Both go out together: nothing is read in between.
    await Promise.all([
      this.#connection.send(this.#keys.meta, ['CLIENT', 'TRACKING', 'OFF']),
      this.#connection.send(this.#keys.meta, ['CLIENT', 'TRACKING', 'ON', 'NOLOOP']),
    ])
    // Overtaken by a disconnect or another switch-on (an epoch bumped by clear() or a flush
    // changes nothing here: those only drop what is cached).
    if (this.#closed || generation !== this.#generation) return
    // Whatever was kept before this switch-on missed the invalidations of the gap.
    this.#invalidate(null)
    this.#epoch++
    this.#heard = monotonic()
    this.#active = true
  }

  /**
   * Keeps the lease: a connection that went quiet is sent a PING. One that does not answer in
   * time (a half-open socket, a stalled network path) is replaced by a new one: until then the
   * lease runs out and loads and writes take the application's client.
   */
  #beat(): void {
    this.#heartbeat = wait(() => {
      if (this.#closed) return
      if (
        !this.#pinging &&
        this.#active &&
        this.#client.isReady === true &&
        monotonic() - this.#heard > HEARTBEAT_MS
      ) {
        this.#ping()
      }
      this.#beat()
    }, HEARTBEAT_MS)
    this.#heartbeat.unref()
  }

  /** One PING at a time, with a deadline of its own (commandTimeout may be 0). */
  #ping(): void {
    const client = this.#client
    this.#pinging = true
    withDeadline(this.#connection.send(this.#keys.meta, ['PING']), this.#timeout ?? LEASE_MS).then(
      () => {
        this.#pinging = false
        if (client === this.#client) this.#heard = monotonic()
      },
      (error: unknown) => {
        this.#pinging = false
        // No answer on a socket that still looks up: a silent path. A PING failed by a
        // disconnect is left to node-redis's reconnection.
        if (
          client === this.#client &&
          !this.#closed &&
          isTimeout(error) &&
          client.isReady === true
        ) {
          this.#replace()
        }
      },
    )
  }

  /** Drops the current connection for a new one, switched on as a reconnection would be. */
  #replace(): void {
    const old = this.#client
    this.#down()
    this.#client = this.#duplicate()
    this.#connection = new Connection(this.#client, this.#timeout)
    this.#retire(old)
    // Its 'ready' switches tracking on; a failure leaves the cache off (loads go to Redis).
    this.#client.connect().catch(() => undefined)
  }

  #onInvalidate(key: Buffer | string | null): void {
    // The server flushed its keys (FLUSHALL, FLUSHDB): nothing kept or in flight counts.
    if (key === null) return this.reset()
    const parsed = this.#keys.parse(typeof key === 'string' ? key : key.toString())
    if (parsed?.kind !== 's') return
    this.taint(parsed.name)
    this.#invalidate(parsed.name)
  }
}

/** Closes a client if it is open (node-redis's destroy() throws on a closed one). */
function destroy(client: TrackingClient): void {
  if (client.isOpen !== true) return
  try {
    client.destroy()
  } catch {
    // Already closing.
  }
}
