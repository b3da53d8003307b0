/**
 * @module
 * Typed errors. Every error the store raises on purpose is a `SessionError` with a stable `code`;
 * check `err.code` rather than `instanceof` (an app can load two copies of this package).
 */
import { causesOf } from './causes.js'

/** Every code a `SessionError` can carry; stable across versions. */
export const SESSION_ERROR_CODES = [
  'ERR_STORE_CLOSED',
  'ERR_STORE_LOCKED',
  'ERR_STORE_CORRUPT',
  'ERR_STORE_UNRECOGNISED',
  'ERR_STORE_SCHEMA',
  'ERR_STORE_OPEN',
  'ERR_STORE_IO',
  'ERR_SESSION_ID',
  'ERR_SESSION_USER_ID',
  'ERR_SESSION_TOO_LARGE',
  'ERR_SESSION_ENCODE',
  'ERR_SESSION_DECODE',
] as const

export type SessionErrorCode = (typeof SESSION_ERROR_CODES)[number]

export class SessionError extends Error {
  readonly code: SessionErrorCode

  constructor(code: SessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Any call on a store after `close()`. */
export class SessionStoreClosedError extends SessionError {
  constructor() {
    super('ERR_STORE_CLOSED', 'The session store is closed')
  }
}

/** The database directory is held by another process, or another thread of this one. */
export class SessionStoreLockedError extends SessionError {
  readonly path: string
  readonly pid: number | undefined
  /** Set when the holder is another worker thread of this process. */
  readonly threadId: number | undefined

  constructor(path: string, pid: number | undefined, cause?: unknown, threadId?: number) {
    const holder =
      threadId !== undefined
        ? `another thread of this process (pid ${pid}, thread ${threadId})`
        : pid === undefined
          ? 'another process'
          : `another process (pid ${pid})`
    super(
      'ERR_STORE_LOCKED',
      `The session database at ${path} is in use by ${holder}. One process (and one thread in ` +
        'it) owns a LevelDB database: stop the other one, serve sessions from the thread that ' +
        'owns the store, or move to @levelsession/redis to share sessions between processes.',
      { cause },
    )
    this.path = path
    this.pid = pid
    this.threadId = threadId
  }
}

/** The directory looks like a damaged LevelDB database; it is left untouched. */
export class SessionStoreCorruptError extends SessionError {
  readonly path: string

  constructor(path: string, detail: string, cause?: unknown) {
    super(
      'ERR_STORE_CORRUPT',
      `The session database at ${path} is damaged (${detail}). Nothing was changed. ` +
        `Run \`levelsession repair ${path}\`: it copies the directory aside, then repairs it.`,
      { cause },
    )
    this.path = path
  }
}

/** The directory holds something that is not a levelsession database. */
export class SessionStoreUnrecognisedError extends SessionError {
  readonly path: string

  constructor(path: string, found: string) {
    super(
      'ERR_STORE_UNRECOGNISED',
      `Refusing to use ${path} as a session database: it holds ${found}. ` +
        'Point the store at an empty or absent directory.',
    )
    this.path = path
  }
}

/** The database was written by a newer version of levelsession. */
export class SessionStoreSchemaError extends SessionError {
  constructor(path: string, found: string, supported: number) {
    super(
      'ERR_STORE_SCHEMA',
      `The session database at ${path} has schema version ${found}; this version of ` +
        `@levelsession/core reads version ${supported}. Upgrade @levelsession/core.`,
    )
  }
}

/** Opening the database failed for another reason (permissions, disk, ...). */
export class SessionStoreOpenError extends SessionError {
  readonly path: string
  constructor(path: string, cause: unknown) {
    // LevelDB's reason is in the cause ("Database failed to open" alone says nothing).
    super('ERR_STORE_OPEN', `Could not open the session database at ${path}: ${chainOf(cause)}`, {
      cause,
    })
    this.path = path
  }
}

/** A read or write failed in the storage backend. */
export class SessionStoreIOError extends SessionError {
  constructor(operation: string, cause: unknown) {
    super('ERR_STORE_IO', `Session store ${operation} failed: ${messageOf(cause)}`, { cause })
  }
}

/** An id that is not a non-empty, well-formed string of at most 256 characters. */
export class SessionIdError extends SessionError {
  constructor(id: unknown) {
    super('ERR_SESSION_ID', `Invalid session id: ${describe(id)}`)
  }
}

/** The `userId` extractor returned something that cannot be indexed. */
export class SessionUserIdError extends SessionError {
  constructor(userId: unknown) {
    super(
      'ERR_SESSION_USER_ID',
      `Invalid user id ${describe(userId)}: expected a non-empty string of at most 256 ` +
        'characters without NUL, a finite number, or undefined/null for no user',
    )
  }
}

/**
 * A session id is its holder's credential: errors that concern one session keep it out of their
 * message (which reaches logs and error pages) and carry it on a property that logging does not
 * print (not enumerable).
 */
function attachId(error: Error, id: string): void {
  Object.defineProperty(error, 'id', { value: id, enumerable: false, writable: false })
}

/** The encoded session is larger than `maxSessionBytes`; nothing was stored. */
export class SessionTooLargeError extends SessionError {
  readonly size: number
  readonly limit: number
  /** The session's id (not enumerable, and not in the message: it is a credential). */
  declare readonly id: string

  constructor(id: string, size: number, limit: number) {
    super(
      'ERR_SESSION_TOO_LARGE',
      `A session encodes to ${size} bytes, over the maxSessionBytes limit of ${limit}; ` +
        'nothing was stored',
    )
    this.size = size
    this.limit = limit
    attachId(this, id)
  }
}

/** The codec could not encode the session data; nothing was stored. */
export class SessionEncodeError extends SessionError {
  /** The session's id (not enumerable, and not in the message: it is a credential). */
  declare readonly id: string

  constructor(id: string, cause: unknown) {
    super('ERR_SESSION_ENCODE', `A session could not be encoded: ${messageOf(cause)}`, {
      cause,
    })
    attachId(this, id)
  }
}

/**
 * A stored record could not be decoded; it is treated as no session. A syntax error is reported
 * by its kind only: V8's JSON.parse message quotes the stored text, which may hold secrets.
 */
export class SessionDecodeError extends SessionError {
  /** The session's id (not enumerable, and not in the message: it is a credential). */
  declare readonly id: string

  constructor(id: string, cause: unknown) {
    const safe =
      cause instanceof SyntaxError
        ? new SyntaxError('the codec could not parse the stored text (SyntaxError)')
        : cause
    super('ERR_SESSION_DECODE', `A stored session could not be decoded: ${messageOf(safe)}`, {
      cause: safe,
    })
    attachId(this, id)
  }
}

const CODES = new Set<string>(SESSION_ERROR_CODES)

/** True for an error raised by any copy of this package (ESM or CommonJS). */
export function isSessionError(error: unknown): error is SessionError {
  return error instanceof Error && CODES.has((error as Error & { code?: unknown }).code as string)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The messages of an error and its causes, outermost first: `a (b (c))`. */
function chainOf(error: unknown): string {
  const messages: string[] = []
  for (const e of causesOf(error)) {
    const message = messageOf(e)
    if (!messages.includes(message)) messages.push(message)
  }
  if (messages.length === 0) return String(error)
  return messages.reduceRight((inner, outer) => `${outer} (${inner})`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  }
  return value === null ? 'null' : typeof value
}
