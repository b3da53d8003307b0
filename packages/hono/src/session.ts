/**
 * @module
 * `Session`: what a handler sees as `c.get('session')`. It keeps the data of one request, tracks
 * whether it changed, and decides at the end of the request what, if anything, to write.
 */
import { generateSessionId, type SessionRecord, type SessionStore } from '@levelsession/core'
import { renewDue } from './ttl.js'

/** Where flash values live inside the stored data (a reserved key). */
export const FLASH_KEY = '__flash'

type Data = Record<string, unknown>

/** What the middleware does with the cookie after a commit. */
export type CookieAction = 'set' | 'clear' | undefined

export interface CommitPolicy {
  ttl: number
  rolling: boolean
  renew: boolean
  /** A read keeps the session alive in the store (a browser-session cookie, sliding expiry). */
  slide: boolean
  now: number
}

/** Keys of the middleware's internal calls; not exported from the package. */
export const kCommit = Symbol('levelsession.commit')

/**
 * One request's session. Reads and writes are synchronous; only `regenerate()` and `destroy()`
 * reach the store at once (and must be awaited). Everything else is written, and awaited, before
 * the response goes out.
 */
export class Session<D extends object = Data> {
  readonly #store: SessionStore<D>
  #id: string
  #data: Data
  #isNew: boolean
  /** A record exists under `#id` (as far as this request knows). */
  #stored: boolean
  #expiresAt: number
  /** The data as loaded, to notice changes made through references `get` returned. */
  #snapshot: string | undefined
  #dirty = false
  /** `touch()` or `regenerate()`: write even without a change. */
  #force = false
  #clearCookie = false
  /** The id `regenerate()` stored, until the request ends. */
  #regenerated: string | undefined

  /** The ttl a save writes with (the middleware's); `regenerate()` writes the new id with it. */
  readonly #ttl: number | undefined

  constructor(store: SessionStore<D>, record: SessionRecord<D> | undefined, ttl?: number) {
    this.#store = store
    this.#ttl = ttl
    this.#id = record?.id ?? generateSessionId()
    this.#data = record === undefined ? {} : ({ ...record.data } as Data)
    this.#isNew = record === undefined
    this.#stored = record !== undefined
    this.#expiresAt = record?.expiresAt ?? 0
    this.#snapshot = snapshot(this.#data)
  }

  /** The session id (a new one after `regenerate()` or `destroy()`). */
  get id(): string {
    return this.#id
  }

  /** True when no stored session came with the request (or after `destroy()`). */
  get isNew(): boolean {
    return this.#isNew
  }

  /** A value, or `undefined`. Objects are live: changing them in place is saved too. */
  get<K extends keyof D & string>(key: K): D[K] | undefined {
    // Own keys only: `constructor` or `toString` is no session value.
    return key === FLASH_KEY || !Object.hasOwn(this.#data, key)
      ? undefined
      : (this.#data[key] as D[K] | undefined)
  }

  /** Sets a value; `undefined` removes the key (JSON could not store it anyway). */
  set<K extends keyof D & string>(key: K, value: D[K]): this {
    checkKey(key)
    if (value === undefined) delete this.#data[key]
    // A key from a request may be `__proto__`: stored as a key, never as the data's prototype.
    else if (key === '__proto__') {
      Object.defineProperty(this.#data, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      })
    } else this.#data[key] = value
    this.#dirty = true
    return this
  }

  /** Removes a key; resolves to whether it was there. */
  delete(key: keyof D & string): boolean {
    if (key === FLASH_KEY || !Object.hasOwn(this.#data, key)) return false
    delete this.#data[key]
    this.#dirty = true
    return true
  }

  has(key: keyof D & string): boolean {
    return key !== FLASH_KEY && Object.hasOwn(this.#data, key)
  }

  /** Empties the data (flash values too); the session and its id stay. */
  clear(): void {
    this.#data = {}
    this.#dirty = true
  }

  /** `flash(key, value)` keeps a value for one later read; `flash(key)` reads and removes it. */
  flash(key: string, value: unknown): void
  flash<T = unknown>(key: string): T | undefined
  flash(key: string, ...value: unknown[]): unknown {
    const stored = this.#data[FLASH_KEY]
    const flashes: Data = stored !== null && typeof stored === 'object' ? (stored as Data) : {}
    if (value.length === 0) {
      if (!Object.hasOwn(flashes, key)) return undefined
      const found = flashes[key]
      const { [key]: _gone, ...rest } = flashes
      this.#setFlashes(rest)
      return found
    }
    this.#setFlashes({ ...flashes, [key]: value[0] })
    return undefined
  }

  /** Keeps the session alive: writes its expiry and resends the cookie even if nothing changed. */
  touch(): void {
    this.#force = true
  }

  /**
   * Moves the session to a new id, keeping its data, and deletes the old record at once. Call it
   * at sign-in, so that an id planted before sign-in (session fixation) is worth nothing.
   */
  async regenerate(): Promise<void> {
    const next = generateSessionId()
    if (!this.#stored) {
      this.#id = next
      this.#force = true
      return
    }
    // The new record is written before the old one goes, and the end-of-request save is then
    // ifExists: a destroyUser at any moment in between finds one of them, and nothing brings the
    // session back after it. The store first: if it fails, the session is left as it was.
    const options = this.#ttl === undefined ? {} : { ttl: this.#ttl }
    const record = await this.#store.set(next, this.#data as D, options)
    let live: boolean
    try {
      live = await this.#store.destroy(this.#id)
    } catch (error) {
      await this.#store.destroy(next).catch(() => undefined)
      throw error
    }
    // Deleted meanwhile (signed out everywhere) or expired during the request, swept or not
    // (core's destroy counts only live sessions): as with a save (core's ifExists), its data
    // must not live on under a new id.
    if (!live) {
      await this.#store.destroy(next)
      this.#reset()
      return
    }
    this.#id = next
    this.#regenerated = next
    this.#expiresAt = record.expiresAt
    this.#force = true
  }

  /**
   * Deletes the stored session at once and clears the cookie. The handler then holds an empty new
   * session (under a new id), which is saved only if it is written to again.
   */
  async destroy(): Promise<void> {
    if (this.#stored) await this.#store.destroy(this.#id)
    this.#reset()
  }

  /** An empty new session under a new id, saved only if written to; the cookie is cleared. */
  #reset(): void {
    this.#id = generateSessionId()
    this.#data = {}
    this.#snapshot = snapshot(this.#data)
    this.#isNew = true
    this.#stored = false
    this.#dirty = false
    this.#force = false
    this.#clearCookie = true
  }

  /**
   * Writes what the request changed: nothing for a new session left empty and untouched; `set`
   * on a change (or a new id); `touch` for `rolling`, `renew` or `touch()`.
   */
  async [kCommit](policy: CommitPolicy): Promise<CookieAction> {
    try {
      return await this.#commit(policy)
    } catch (error) {
      // regenerate() stored this id, and the browser will not get its cookie: the record must
      // not live on as a session nobody holds (listed, counted, signed in).
      if (this.#regenerated === this.#id) await this.#store.destroy(this.#id).catch(() => false)
      throw error
    }
  }

  async #commit(policy: CommitPolicy): Promise<CookieAction> {
    const changed = this.#dirty || snapshot(this.#data) !== this.#snapshot
    const idle: CookieAction = this.#clearCookie ? 'clear' : undefined
    if (!this.#stored) {
      const empty = Object.keys(this.#data).length === 0
      if (!this.#force && !(changed && !empty)) return idle
      return this.#save(policy.ttl)
    }
    if (changed) return this.#save(policy.ttl)
    const renew = policy.renew && renewDue(this.#expiresAt, policy.ttl, policy.now)
    // `touch`, not `set`: it never brings back a session deleted meanwhile (signed out elsewhere).
    const touched = (): Promise<boolean> => this.#store.touch(this.#id, { ttl: policy.ttl })
    if (this.#force || policy.rolling || renew) return (await touched()) ? 'set' : 'clear'
    // A user who only reads keeps a sliding session alive, as express-session's touch does: the
    // store's expiry moves (lazily, see touchAfter). Only for a browser-session cookie, whose
    // idle timeout is the store's: a cookie's own Max-Age moves only when it is resent (rolling,
    // renew), and renew must see how much of it is left.
    if (!policy.slide || policy.renew) return undefined
    return (await touched()) ? undefined : 'clear'
  }

  async #save(ttl: number): Promise<CookieAction> {
    // A session loaded from the store is written only while it is still there: deleted meanwhile
    // (signed out everywhere), it stays deleted and the browser's cookie is cleared.
    const record = await this.#store.set(this.#id, this.#data as D, {
      ttl,
      ifExists: this.#stored,
    })
    if (record === undefined) {
      this.#stored = false
      return 'clear'
    }
    this.#stored = true
    this.#expiresAt = record.expiresAt
    return 'set'
  }

  #setFlashes(flashes: Data): void {
    if (Object.keys(flashes).length === 0) delete this.#data[FLASH_KEY]
    else this.#data[FLASH_KEY] = flashes
    this.#dirty = true
  }
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string') throw new TypeError('session keys must be strings')
  if (key === FLASH_KEY) throw new RangeError(`'${FLASH_KEY}' is reserved for flash values`)
}

/** The data as JSON, or `undefined` when it is not JSON (then only explicit calls count). */
function snapshot(data: Data): string | undefined {
  try {
    return JSON.stringify(data)
  } catch {
    return undefined
  }
}
