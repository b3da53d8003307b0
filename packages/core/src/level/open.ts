/**
 * @module
 * One shared Level backend per database per thread. LevelDB 1.20 drops the operating-system
 * lock when a second open of an already-open directory fails, letting another process in; so a
 * path is opened once and every store on it shares that handle (and its cache and locks). The
 * registry lives on `globalThis` so the ESM and CommonJS builds of this package share it too.
 * Databases open with classic-level's `multithreading`, so an open from another worker thread
 * shares the process's LevelDB handle instead of failing (and dropping the lock); such a second
 * owner is then refused, since each thread would keep its own cache and locks.
 */
import { realpathSync } from 'node:fs'
import { open as openFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { threadId } from 'node:worker_threads'
import { ClassicLevel } from 'classic-level'
import {
  SessionError,
  SessionStoreCorruptError,
  SessionStoreLockedError,
  SessionStoreOpenError,
  SessionStoreSchemaError,
  SessionStoreUnrecognisedError,
} from '../errors.js'
import { causesOf } from '../causes.js'
import { type AnyLevel, LevelBackend, SCHEMA_VERSION } from './backend.js'
import { ensureDirectory, inspectDirectory, readOwner, removePid, writePid } from './directory.js'

export interface SharedBackendOptions {
  sync: boolean
  cacheSize: number
  cacheBytes: number
  /** The store's codec is a text codec (the first store's choice applies to a shared handle). */
  text: boolean
}

interface Registry {
  paths: Map<string, LevelBackend>
  /** Closes in progress, so a reopen of the same path waits for the lock to be released. */
  closing: Map<string, Promise<void>>
  dbs: WeakMap<object, Map<string, LevelBackend>>
}

const REGISTRY = Symbol.for('@levelsession/core/level-registry')
const registry: Registry = ((globalThis as Record<symbol, Registry | undefined>)[REGISTRY] ??= {
  paths: new Map(),
  closing: new Map(),
  dbs: new WeakMap(),
})

/**
 * Resolves a directory to the key the registry and messages use: the real path of its deepest
 * existing ancestor plus the rest, so a path through a symlink and the same path resolved name
 * one database even before the directory exists.
 */
export function resolveDatabasePath(path: string): string {
  let head = resolve(path)
  const rest: string[] = []
  for (;;) {
    try {
      return join(realpathSync.native(head), ...rest)
    } catch {
      const parent = dirname(head)
      if (parent === head) return resolve(path)
      rest.unshift(basename(head))
      head = parent
    }
  }
}

/** The backend for a classic-level directory, shared by every store on that path. */
export function levelBackendForPath(path: string, options: SharedBackendOptions): LevelBackend {
  const location = resolveDatabasePath(path)
  const existing = registry.paths.get(location)
  if (existing !== undefined) {
    // One handle serves every store on the path: the strictest durability asked for wins.
    if (options.sync) existing.requireSync()
    return existing.retain()
  }

  let created = false
  const db = new GuardedLevel(location, async () => {
    await registry.closing.get(location)
    const state = await inspectDirectory(location)
    if (state === 'absent') await ensureDirectory(location)
    created = state !== 'database'
    return created
  })
  const backend: LevelBackend = new LevelBackend(asAnyLevel(db), {
    ...options,
    opened: async (self) => {
      const owner = await readOwner(location)
      // The handle is shared with another thread of this process that owns the database.
      if (owner?.pid === process.pid && owner.threadId !== threadId) {
        throw new SessionStoreLockedError(location, process.pid, undefined, owner.threadId)
      }
      await checkSchema(self, location, created)
      await writePid(location)
    },
    closing: (done) => {
      // Forget the backend at once, so a new store opens afresh once this close has finished.
      if (registry.paths.get(location) === backend) registry.paths.delete(location)
      const settled = done.catch(() => undefined)
      registry.closing.set(location, settled)
      void settled.then(() => {
        if (registry.closing.get(location) === settled) registry.closing.delete(location)
      })
    },
    release: async () => {
      if (db.status === 'open' || db.status === 'opening') await db.close()
      await removePid(location)
    },
  })
  registry.paths.set(location, backend)
  backend.open = wrapOpen(backend, location, () => {
    if (registry.paths.get(location) === backend) registry.paths.delete(location)
  })
  return backend.retain()
}

/** The backend over a database or sublevel the caller owns (and closes). */
export function levelBackendForDb(db: AnyLevel, options: SharedBackendOptions): LevelBackend {
  const root = ('db' in db ? (db as { db: AnyLevel }).db : db) as object
  const prefix = (db as { prefix?: string }).prefix ?? ''
  let byPrefix = registry.dbs.get(root)
  if (byPrefix === undefined) registry.dbs.set(root, (byPrefix = new Map<string, LevelBackend>()))
  const existing = byPrefix.get(prefix)
  if (existing !== undefined) {
    if (options.sync) existing.requireSync()
    return existing.retain()
  }
  const backend = new LevelBackend(db, {
    ...options,
    opened: async (self) => checkSchema(self, prefix || 'the given database', false),
    closing: () => {
      if (byPrefix.get(prefix) === backend) byPrefix.delete(prefix)
    },
  })
  byPrefix.set(prefix, backend)
  return backend.retain()
}

async function checkSchema(backend: LevelBackend, where: string, created: boolean): Promise<void> {
  const version = await backend.schemaVersion()
  if (version === undefined) {
    if (!created && (await backend.hasForeignKeys())) {
      throw new SessionStoreUnrecognisedError(
        where,
        'a LevelDB database that levelsession did not create',
      )
    }
    await backend.writeSchema()
  } else if (Number(version) > SCHEMA_VERSION || !/^\d+$/.test(version)) {
    throw new SessionStoreSchemaError(where, version, SCHEMA_VERSION)
  } else if (Number(version) < SCHEMA_VERSION) {
    await backend.upgradeSchema(Number(version))
  }
}

/** Turns LevelDB's open failures into errors that say what happened and what to do. */
function wrapOpen(
  backend: LevelBackend,
  location: string,
  forget: () => void,
): () => Promise<void> {
  const open = backend.open.bind(backend)
  let opening: Promise<void> | undefined
  return () =>
    (opening ??= open().catch(async (error: unknown) => {
      forget()
      const db = backend.db
      if (db.status === 'open') await db.close().catch(() => undefined)
      const ours = findCause(error, (e) => e instanceof SessionError)
      if (ours !== undefined) throw ours as SessionError
      const code = errorCode(error)
      if (code === 'LEVEL_LOCKED') {
        throw new SessionStoreLockedError(location, (await readOwner(location))?.pid, error)
      }
      if (code === 'LEVEL_CORRUPTION') {
        throw new SessionStoreCorruptError(location, (error as Error).message, error)
      }
      // The directory holds CURRENT (checked before LevelDB opened it): a file it names that is
      // missing, such as the manifest of a garbled CURRENT, is damage, not a disk or permission
      // problem.
      const missing = findCause(
        error,
        (e) =>
          (e as { code?: unknown }).code === 'LEVEL_IO_ERROR' &&
          /No such file or directory/.test((e as Error).message),
      )
      if (missing !== undefined) {
        throw new SessionStoreCorruptError(location, (missing as Error).message, error)
      }
      throw new SessionStoreOpenError(location, error)
    }))
}

/**
 * LevelDB's block cache (8 MiB by default). Sessions are small and the hot ones live in the
 * store's own cache, so a large block cache mostly holds copies: 2 MiB serves a 1M-session
 * database as fast (same ops/s in tools/bench/store.mjs) with about 10 MB less memory.
 */
const BLOCK_CACHE_BYTES = 2 * 1024 * 1024

/**
 * classic-level that inspects the directory before LevelDB sees it, creates the database only
 * where the directory was absent or empty, and shares one handle between threads.
 */
class GuardedLevel extends ClassicLevel<string, string> {
  readonly #guard: () => Promise<boolean>

  constructor(location: string, guard: () => Promise<boolean>) {
    super(location, { keyEncoding: 'utf8', valueEncoding: 'utf8', cacheSize: BLOCK_CACHE_BYTES })
    this.#guard = guard
  }

  async _open(options: { createIfMissing?: boolean; multithreading?: boolean }): Promise<void> {
    options.createIfMissing = await this.#guard()
    options.multithreading = true
    const parent = ClassicLevel.prototype as unknown as { _open(o: object): Promise<void> }
    await parent._open.call(this, options)
    await warnOfRecoveryLoss(this.location)
  }
}

/** Bytes of LevelDB's `LOG` read after an open: recovery writes its notes first. */
const LOG_HEAD_BYTES = 64 * 1024

/**
 * LevelDB recovers from a damaged write-ahead log by dropping the damaged records and opening
 * anyway (classic-level has no paranoid mode), noting it only in its `LOG` file. The sessions in
 * those records are lost already; the operator must at least hear of it, once, on stderr.
 */
async function warnOfRecoveryLoss(location: string): Promise<void> {
  let head: string
  try {
    const file = await openFile(join(location, 'LOG'), 'r')
    try {
      const { buffer, bytesRead } = await file.read(
        Buffer.alloc(LOG_HEAD_BYTES),
        0,
        LOG_HEAD_BYTES,
        0,
      )
      head = buffer.toString('utf8', 0, bytesRead)
    } finally {
      await file.close()
    }
  } catch {
    return // no LOG (another LevelDB build, or a file system that hides it): nothing to say
  }
  const notes = head.split('\n').filter((line) => line.includes('Corruption:'))
  if (notes.length === 0) return
  const first = notes[0]!.replace(/^\S+ \S+ /, '') // LevelDB's timestamp and thread id
  process.emitWarning(
    `LevelDB dropped damaged records while opening the session database at ${location}; ` +
      `sessions written shortly before it was last closed may be lost (${first}` +
      `${notes.length > 1 ? `, and ${notes.length - 1} more` : ''}).`,
    { code: 'LEVELSESSION_RECOVERY_LOSS' },
  )
}

function findCause(error: unknown, test: (e: unknown) => boolean): unknown {
  for (const e of causesOf(error)) if (test(e)) return e
  return undefined
}

function errorCode(error: unknown): string | undefined {
  const found = findCause(error, (e) => {
    const { code } = e as { code?: unknown }
    return code === 'LEVEL_LOCKED' || code === 'LEVEL_CORRUPTION'
  })
  return ((found ?? error) as { code?: string } | null)?.code
}

/**
 * tsc needs this conversion (GuardedLevel's hooks are invariant), while type-aware lint, on
 * another program, may call an inline assertion unnecessary: a parameter of type unknown is
 * neither.
 */
function asAnyLevel(db: unknown): AnyLevel {
  return db as AnyLevel
}
