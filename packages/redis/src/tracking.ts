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
import { Connection, type RedisClient, timeoutError } from './connection.js'
import type { KeyLayout } from './keys.js'
import { unwait, wait } from './timers.js'

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
}

export class Tracker {
  readonly connection: Connection
  readonly #client: TrackingClient
  readonly #keys: KeyLayout
  readonly #invalidate: (id: string | null) => void
  readonly #timeout: number | undefined
  /** Bumped on every disconnect and every switch-on: an entry counts only in its own epoch. */
  #epoch = 0
  #active = false
  #closed = false
  #started = false
  /** Commands in flight over this connection per session id, and those invalidated meanwhile. */
  readonly #pending = new Map<string, number>()
  readonly #dirty = new Set<string>()

  constructor(
    client: DuplicableClient,
    keys: KeyLayout,
    timeout: number | undefined,
    invalidate: (id: string | null) => void,
  ) {
    this.#keys = keys
    this.#invalidate = invalidate
    this.#timeout = timeout
    // RESP3 carries the invalidations on the same connection as the replies (their order is the
    // whole argument above); the application's own client-side cache, if any, is not copied.
    this.#client = client.duplicate({
      RESP: 3,
      emitInvalidate: true,
      clientSideCache: undefined,
      name: 'levelsession-tracking',
    })
    this.connection = new Connection(this.#client, timeout)
    const down = () => this.#down()
    this.#client
      // Failures reach the calls that were sent over this connection; nothing to add here, but
      // an EventEmitter without an `error` listener would crash the process.
      .on('error', down)
      .on('end', down)
      .on('reconnecting', down)
      .on('ready', () => {
        // The first connection is start()'s to switch on (node-redis may emit this before or
        // after connect() resolves); later ones, reconnections, are switched on here.
        if (!this.#started) return
        // A failed switch-on leaves the cache off until the next reconnection: loads go to Redis.
        this.#enable().catch(() => undefined)
      })
      .on('invalidate', (key: Buffer | string | null) => this.#onInvalidate(key))
  }

  /**
   * Connects and switches tracking on; rejects when the server refuses it (Redis < 6, ACL) or,
   * within the command timeout, does not answer.
   */
  async start(): Promise<void> {
    const started = (async () => {
      await this.#client.connect()
      this.#started = true
      await this.#enable()
    })()
    const timeout = this.#timeout
    if (timeout === undefined) return started
    // Settles after the deadline too: never an unhandled rejection.
    started.catch(() => undefined)
    let timer: ReturnType<typeof wait> | undefined
    try {
      await Promise.race([
        started,
        new Promise<never>((_, reject) => {
          timer = wait(() => reject(timeoutError(timeout)), timeout)
        }),
      ])
    } finally {
      unwait(timer)
    }
  }

  /** Tracking is on: commands sent now over `connection` may fill the cache. */
  get active(): boolean {
    return this.#active && this.#client.isReady === true
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
  end(id: string, ticket: number): number | undefined {
    const dirty = this.#dirty.has(id)
    const left = (this.#pending.get(id) ?? 1) - 1
    if (left > 0) this.#pending.set(id, left)
    else {
      this.#pending.delete(id)
      this.#dirty.delete(id)
    }
    return !dirty && this.isCurrent(ticket) ? ticket : undefined
  }

  /** Stops tracking for good and closes the connection (its calls in flight fail). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#down()
    if (this.#client.isOpen === true) this.#client.destroy()
  }

  #down(): void {
    this.#epoch++
    if (this.#active) {
      this.#active = false
      this.#invalidate(null)
    }
  }

  async #enable(): Promise<void> {
    this.#down()
    const epoch = this.#epoch
    // node-redis's handshake switched tracking on (emitInvalidate) without NOLOOP; options are
    // changed by switching off first. Both go out together: nothing is read in between.
    const off = this.connection.send(this.#keys.meta, ['CLIENT', 'TRACKING', 'OFF'])
    const on = this.connection.send(this.#keys.meta, ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'])
    await off
    await on
    if (this.#closed || epoch !== this.#epoch) return
    // Whatever was kept before this switch-on missed the invalidations of the gap.
    this.#invalidate(null)
    this.#epoch++
    this.#active = true
  }

  #onInvalidate(key: Buffer | string | null): void {
    if (key === null) {
      // The server flushed its keys (FLUSHALL, FLUSHDB): nothing kept or in flight counts.
      this.#epoch++
      this.#invalidate(null)
      return
    }
    const parsed = this.#keys.parse(typeof key === 'string' ? key : key.toString())
    if (parsed?.kind !== 's') return
    if (this.#pending.has(parsed.name)) this.#dirty.add(parsed.name)
    this.#invalidate(parsed.name)
  }
}
