/**
 * @module
 * What a database directory holds, decided before LevelDB touches it: LevelDB given
 * `createIfMissing` and a directory without `CURRENT` starts an empty database over the old
 * table files, so a damaged directory must be refused here, never opened.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { SessionStoreCorruptError, SessionStoreUnrecognisedError } from '../errors.js'

/** Written inside the database directory while a process has it open. */
export const PID_FILE = 'levelsession.pid'

const LEVELDB_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(ldb|sst|log)|\d+\.dbtmp)$/

export type DirectoryState = 'absent' | 'empty' | 'database'

/**
 * What is at `path`: nothing, something that is not a directory, or a directory and the names in
 * it apart from the pid file.
 */
export async function directoryContents(
  path: string,
): Promise<'absent' | 'not a directory' | string[]> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent'
    throw error
  }
  if (!info.isDirectory()) return 'not a directory'
  return (await readdir(path)).filter((name) => name !== PID_FILE)
}

/** Classifies `path`; throws a typed error for a damaged or foreign directory. */
export async function inspectDirectory(path: string): Promise<DirectoryState> {
  const names = await directoryContents(path)
  if (names === 'absent') return 'absent'
  if (names === 'not a directory') {
    throw new SessionStoreUnrecognisedError(path, 'a file, not a directory')
  }
  if (names.includes('CURRENT')) return 'database'
  const leveldb = names.filter((name) => LEVELDB_FILE.test(name))
  const tables = leveldb.filter((name) => /\.(ldb|sst|log)$|^MANIFEST-/.test(name))
  if (tables.length > 0) {
    throw new SessionStoreCorruptError(
      path,
      `it holds LevelDB files (${preview(tables)}) but no CURRENT file`,
    )
  }
  const others = names.filter((name) => !LEVELDB_FILE.test(name))
  if (others.length > 0)
    throw new SessionStoreUnrecognisedError(path, `other files: ${preview(others)}`)
  return 'empty'
}

/**
 * Throws unless `path` is a LevelDB directory, damaged or not: one with LevelDB's data files and
 * nothing else (apart from the pid file). For `repair`, which writes LevelDB's files into the
 * directory it is given and must never adopt another one.
 */
export async function requireLevelDbDirectory(path: string): Promise<void> {
  const names = await directoryContents(path)
  if (names === 'absent')
    throw new SessionStoreUnrecognisedError(path, 'nothing: it does not exist')
  if (names === 'not a directory') {
    throw new SessionStoreUnrecognisedError(path, 'a file, not a directory')
  }
  // `lost`: where an earlier LevelDB repair moved what it could not use.
  const others = names.filter((name) => !LEVELDB_FILE.test(name) && name !== 'lost')
  if (others.length > 0) {
    throw new SessionStoreUnrecognisedError(path, `other files: ${preview(others)}`)
  }
  if (!names.some((name) => /^(CURRENT|MANIFEST-\d+|\d+\.(ldb|sst|log))$/.test(name))) {
    throw new SessionStoreUnrecognisedError(path, 'no LevelDB data files')
  }
}

export async function ensureDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true })
}

/** Who has the database open: a process id, and the worker thread within it (0 = main). */
export interface Owner {
  pid: number
  threadId: number
}

/** The owner recorded in the pid file (`<pid>` or `<pid> <threadId>`), if it says. */
export async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    const [pid = NaN, thread = 0] = (await readFile(join(path, PID_FILE), 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number)
    return Number.isSafeInteger(pid) && pid > 0
      ? { pid, threadId: Number.isSafeInteger(thread) ? thread : 0 }
      : undefined
  } catch {
    return undefined
  }
}

export async function writePid(path: string): Promise<void> {
  await writeFile(join(path, PID_FILE), `${process.pid} ${threadId}\n`)
}

/** Removes the pid file if it is still ours. */
export async function removePid(path: string): Promise<void> {
  const owner = await readOwner(path)
  if (owner?.pid === process.pid && owner.threadId === threadId) {
    await rm(join(path, PID_FILE), { force: true })
  }
}

function preview(names: string[]): string {
  const shown = names.slice(0, 5).join(', ')
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown
}
