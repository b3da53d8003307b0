/**
 * @module
 * Opening a database for an operator command. Every command except `setup` and `import` needs
 * an existing database and must never create one, so the directory is checked before core opens
 * it (core creates a database in an absent or empty directory). Stores opened here never run the
 * cleaner (`cleanupInterval: 0`: `stats` must see expired sessions as they are) and keep no
 * session cache (`cacheSize: 0`: each command reads a session at most once, so a cache would
 * only hold memory during an export or import).
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createSessionStore, directoryContents, type SessionStore } from '@levelsession/core'
import { CliError } from './errors.js'

/** Session data as the CLI sees it: whatever JSON the app stored. */
export type AnyData = Record<string, unknown>

export type DirectoryState = 'absent' | 'empty' | 'present'

/** Whether `path` is missing, an empty directory (apart from a pid file) or holds something. */
export async function directoryState(path: string): Promise<DirectoryState> {
  const names = await directoryContents(path)
  if (names === 'absent') return 'absent'
  // A file is "present": core refuses it with a message that says it is not a directory.
  return names === 'not a directory' || names.length > 0 ? 'present' : 'empty'
}

/** Throws `ERR_DATABASE_MISSING` unless `path` holds something core can try to open. */
export async function requireDatabase(path: string): Promise<string> {
  const location = resolve(path)
  const state = await directoryState(location)
  if (state === 'present') return location
  const what = state === 'absent' ? 'does not exist' : 'is an empty directory'
  throw new CliError('ERR_DATABASE_MISSING', `No session database at ${location}: it ${what}.`, {
    hint: `Create one with \`levelsession setup ${path}\` (or check the path).`,
    details: { path: location },
  })
}

export interface OpenOptions {
  /** Create the database when the directory is absent or empty (`import`). @default false */
  create?: boolean
}

export interface OpenedStore {
  store: SessionStore<AnyData>
  /** Absolute path. */
  path: string
  /** True when this open created the database. */
  created: boolean
}

/**
 * The CLI's `userId` option: the owners are the ones the records carry. `list --user` and `revoke`
 * read them as stored, and nothing here writes session data (import restores each owner as
 * exported), so no owner is ever derived from data.
 */
export function storedOwners(): undefined {
  return undefined
}

/** Opens the database at `path`, waiting until it is ready; rejects with core's typed errors. */
export async function openStore(path: string, options: OpenOptions = {}): Promise<OpenedStore> {
  const location = resolve(path)
  let created = false
  if (options.create === true) created = (await directoryState(location)) !== 'present'
  else await requireDatabase(location)
  const store = createSessionStore<AnyData>({
    path: location,
    cleanupInterval: 0,
    cacheSize: 0,
    userId: storedOwners,
  })
  try {
    await store.ready()
  } catch (error) {
    await store.close().catch(() => undefined)
    throw error
  }
  return { store, path: location, created }
}

/** Runs `task` with an open store and always closes it. */
export async function withStore<T>(
  path: string,
  task: (opened: OpenedStore) => Promise<T>,
  options: OpenOptions = {},
): Promise<T> {
  const opened = await openStore(path, options)
  try {
    return await task(opened)
  } finally {
    await opened.store.close()
  }
}

/** Total size of the files in the database directory, in bytes. */
export async function sizeOnDisk(path: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name)
    if (entry.isDirectory()) total += await sizeOnDisk(full)
    else if (entry.isFile()) total += (await stat(full).catch(() => ({ size: 0 }))).size
  }
  return total
}

/** Whether a process with this pid is running (it may belong to another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
