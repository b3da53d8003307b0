/**
 * @module
 * Public types: the session record, the store options, the codec and the storage `Backend` port.
 */

/** Default shape of session data; pass your own type as the generic parameter. */
export type SessionData = Record<string, unknown>

/** A live session as the store returns it. Times are epoch milliseconds. */
export interface SessionRecord<D = SessionData> {
  readonly id: string
  readonly data: D
  readonly createdAt: number
  readonly expiresAt: number
  readonly userId?: string
}

/** A codec whose encoded form is text (stored as UTF-8). JSON is the default. */
export interface TextCodec<D = SessionData> {
  readonly binary?: false
  encode(data: D): string | Promise<string>
  decode(text: string): D | Promise<D>
}

/** A codec whose encoded form is bytes (MessagePack, CBOR, ...). */
export interface BinaryCodec<D = SessionData> {
  readonly binary: true
  encode(data: D): Uint8Array | Promise<Uint8Array>
  decode(bytes: Uint8Array): D | Promise<D>
}

/** Turns session data into a stored value and back; either function may be async. */
export type Codec<D = SessionData> = TextCodec<D> | BinaryCodec<D>

export type Expiry = 'sliding' | 'fixed'
export type Durability = 'relaxed' | 'strict'

export interface SessionStoreOptions<D = SessionData> {
  /** Directory of a classic-level database, created when absent or empty. */
  path?: string
  /** Any abstract-level 3 database or sublevel (memory-level for tests). Not closed by the store. */
  db?: unknown
  /** A storage backend (the port other engines such as Redis implement). */
  backend?: Backend
  /** Idle lifetime in ms, the default TTL of `set` and `touch`. @default 86_400_000 (1 day) */
  maxAge?: number
  /** `sliding`: every touch and set push the expiry; `fixed`: it runs from creation. @default 'sliding' */
  expiry?: Expiry
  /** Absolute cap in ms from `createdAt`, in both expiry modes. @default undefined (no cap) */
  maxLifetime?: number
  /**
   * Skip a touch's write while it would move the expiry less than this many ms (0 writes every
   * touch), and while it would move less than a tenth of that touch's ttl (or `touchAfter`'s
   * share of `maxAge`, if larger, up to half). @default 60_000, or a tenth of `maxAge` when that
   * is shorter
   */
  touchAfter?: number
  /** Ms between cleaner runs; 0 turns the cleaner off. @default 60_000 */
  cleanupInterval?: number
  /** Extracts the owner of a session; enables `destroyUser` and `listUser`. */
  userId?: (data: D) => string | number | null | undefined
  /** @default JSON */
  codec?: Codec<D>
  /** `strict` fsyncs every write batch (survives power loss). @default 'relaxed' */
  durability?: Durability
  /** An encoded session larger than this is refused. @default 1_048_576 */
  maxSessionBytes?: number
  /** Sessions kept in the in-process write-through cache (Level backend only). @default 20_000 */
  cacheSize?: number
  /**
   * Bytes the cache may hold, counted as the sessions' encoded sizes (Level backend only): few
   * large sessions cannot take the memory the count allows for small ones. @default 64 MiB
   */
  cacheBytes?: number
  /** Clock in epoch ms, for tests. @default systemClock (`Date.now()`, looked up on each call) */
  now?: () => number
}

export interface LifetimeOptions {
  /** Lifetime in ms from now (sliding) or from creation (fixed). @default maxAge */
  ttl?: number
}

/** `set` options that always write: `set` resolves to the stored record. */
export interface SetOptions extends LifetimeOptions {
  ifExists?: false
}

/** `set` options that may skip the write, so that `set` may resolve to `undefined`. */
export interface SetIfExistsOptions extends LifetimeOptions {
  /**
   * Write only over a live session: when the session is gone (destroyed, signed out everywhere,
   * expired) nothing is written and `set` resolves to `undefined`. For saving a session a request
   * loaded: a request still running when its session is deleted must not bring it back.
   */
  ifExists?: boolean
}

export interface TouchOptions<D = SessionData> extends LifetimeOptions {
  /**
   * Changes part of the stored data in the same atomic step, e.g. the cookie of an
   * express-session record. Receives the stored data (never the caller's possibly stale copy);
   * returns the new data, or `undefined` to keep it. Applied in both expiry modes.
   */
  patch?: (data: D) => D | undefined | Promise<D | undefined>
}

export interface DestroyUserOptions {
  /** Session id or ids to keep, e.g. the current browser's. */
  except?: string | Iterable<string>
}

export interface PruneResult {
  /** Expiry-index entries examined. */
  scanned: number
  /** Sessions deleted. */
  deleted: number
  /** Wall time in ms. */
  durationMs: number
}

export interface PruneOptions {
  /** Called after each chunk of deletions with the running totals. */
  onProgress?: (progress: { deleted: number }) => void
}

/** What `stats()` reports; times are epoch ms. */
export interface StoreStats {
  /** Live sessions. */
  sessions: number
  /** Sessions already expired but not yet removed by the cleaner. */
  expired: number
  /** Earliest and latest `expiresAt` among live sessions. */
  earliestExpiry: number | undefined
  latestExpiry: number | undefined
  /** Distinct user ids in the user index. */
  users: number
  /** Schema version of the database, where the backend has one. */
  schemaVersion: number | undefined
}

/** A session with its times, as `entries()` yields it and `restore()` takes it (backups). */
export interface SessionSnapshot<D = SessionData> {
  id: string
  data: D
  createdAt: number
  expiresAt: number
  userId?: string | undefined
}

export interface ExpiredEvent {
  id: string
  userId?: string
  expiresAt: number
  /** `read`: found expired on access; `prune`: removed by the cleaner. */
  reason: 'read' | 'prune'
}

/** Events of a `SessionStore`. `error` is emitted only while someone listens. */
export interface SessionStoreEvents {
  expired: [event: ExpiredEvent]
  prune: [result: PruneResult]
  error: [error: Error]
  open: []
  close: []
}

// ---------------------------------------------------------------------------------------------
// The storage port
// ---------------------------------------------------------------------------------------------

/** A session as a backend stores it: the encoded data plus the fields indexes need. */
export interface StoredSession {
  readonly id: string
  readonly value: Uint8Array
  readonly createdAt: number
  readonly expiresAt: number
  readonly userId?: string | undefined
  /**
   * `value` as text, when a text codec produced it or a read decoded it. Only a hint that spares
   * decoding again (the Level backend's cache keeps it); a backend never stores it.
   */
  readonly text?: string | undefined
}

/**
 * Computes the next state of one session from its current stored state: a `StoredSession` to
 * write, `null` to delete, `undefined` to leave it as it is.
 */
export type SessionMutation = (
  current: StoredSession | undefined,
) => StoredSession | null | undefined | Promise<StoredSession | null | undefined>

export interface UpdateOptions {
  /**
   * When `mutate` writes nothing, the backend may answer from a copy of the session that it read
   * or wrote within this many ms, instead of asking storage whether that copy is still current.
   * Only for calls whose result may be that stale: `touch` (a lazy touch writes nothing, and a
   * session deleted elsewhere in that interval stays gone). Never for a decision that deletes or
   * keeps a session (`destroyUser`). Backends with a coherent cache may ignore it.
   */
  readonly recentMs?: number
  /**
   * The store's clock (ms since the epoch), the one `mutate` reads. A backend whose storage keeps
   * a time to live rather than an instant (Redis) converts `expiresAt` with it, so an application
   * clock apart from the server's (an injected `now`, an app's fake timers) expires nothing early.
   */
  readonly now?: () => number
  /**
   * What `mutate` returns does not depend on `current`'s `value`, only on its other fields (a
   * `set`: the data is the caller's, the times and liveness come from `current`). An optimistic
   * backend may then write `mutate(seen)` over whatever session is stored, without a
   * compare-and-set, provided it learns in the same step what it replaced, runs `mutate` again
   * on that, and stores that result when it differs (deleting the session when the result is
   * `undefined` or `null`): the outcome a compare-and-set would have reached. Never write where
   * no session is stored. Backends may ignore it.
   */
  readonly blind?: boolean
}

export interface SweepOptions {
  /** Sessions with `expiresAt <= now` are removed. */
  now: number
  /** Stops the sweep between chunks. */
  signal?: AbortSignal
  /**
   * Called with each chunk of removed sessions, as stored. Pass it only when needed: without it
   * a backend may delete expired sessions without reading them.
   */
  onExpired?: (removed: readonly StoredSession[]) => void
  /** Called with the number of sessions each chunk removed. */
  onDeleted?: (count: number) => void
}

export interface SweepResult {
  scanned: number
  deleted: number
}

/**
 * The storage port, in session terms. A backend receives validated ids and user ids only. It
 * keeps its own indexes consistent: after any interleaving of `update` and `delete` calls, each
 * session has exactly one expiry-index entry and at most one user-index entry.
 */
export interface Backend {
  /** Short name for messages, e.g. `level` or `redis`. */
  readonly name: string
  /** Opens storage; called once by the store. Rejects with a typed `SessionError`. */
  open(): Promise<void>
  /** The stored session, expired or not, or `undefined`. */
  load(id: string): Promise<StoredSession | undefined>
  /**
   * Atomic read-modify-write of one session; resolves to what is stored afterwards. `mutate` may
   * run more than once (optimistic backends retry after a concurrent change): only its last call
   * counts, so it must not have side effects beyond its result.
   */
  update(
    id: string,
    mutate: SessionMutation,
    options?: UpdateOptions,
  ): Promise<StoredSession | undefined>
  /**
   * Deletes one session and its index entries, expired or not; resolves to the session as it was
   * stored, or `undefined` when there was none (or only an unreadable record, deleted too). The
   * store decides from it whether a live session was removed.
   */
  delete(id: string): Promise<StoredSession | undefined>
  /** Sessions indexed under `userId`, expired or not. */
  listUser(userId: string): Promise<StoredSession[]>
  /**
   * Optional: the ids indexed under `userId`, without reading the sessions (they may since have
   * changed owner). `destroyUser` uses it to read one chunk of sessions at a time.
   */
  listUserIds?(userId: string): Promise<string[]>
  /** Every stored session, expired or not. Breaking out of the loop releases the cursor. */
  entries(): AsyncIterable<StoredSession>
  /** Number of sessions with `expiresAt > now`. */
  count(now: number): Promise<number>
  /** Removes every session and index entry. */
  clear(): Promise<void>
  /** Removes sessions with `expiresAt <= now`, walking only the expiry index. */
  sweep(options: SweepOptions): Promise<SweepResult>
  /**
   * The stored session if the backend holds it in memory, else `undefined`, synchronously; for
   * backends with a coherent in-process cache (the store's fast path for `get`).
   */
  peek?(id: string): StoredSession | undefined
  /** Checks the indexes against the sessions; resolves to a list of problems (empty when sound). */
  verify?(): Promise<string[]>
  /** Counts for operators; see `StoreStats` (the store fills in what a backend leaves out). */
  stats?(now: number): Promise<Omit<StoreStats, 'schemaVersion'> & { schemaVersion?: number }>
  /** Reclaims space left by deletions (LevelDB compaction). */
  compact?(): Promise<void>
  /** Waits for writes in flight and releases storage. Idempotent. */
  close(): Promise<void>
}
