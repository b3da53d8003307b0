/**
 * @module
 * What a database directory holds, decided before LevelDB touches it: LevelDB given
 * `createIfMissing` and a directory without `CURRENT` starts an empty database over the old
 * table files, so a damaged directory must be refused here, never opened.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { SessionStoreCorruptError, SessionStoreUnrecognisedError } from '../errors.js'

/** Written inside the database directory while a process has it open. */
export const PID_FILE = 'levelsession.pid'

/** Every file LevelDB writes in its directory. */
const LEVELDB_FILE = /^(CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(ldb|sst|log)|\d+\.dbtmp)$/
/** Those that hold data: a directory with any of them is a database, whole or damaged. */
const LEVELDB_DATA = /^(CURRENT|MANIFEST-\d+|\d+\.(ldb|sst|log))$/

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
  const names = await namesIn(path)
  if (names === 'absent') return 'absent'
  if (names.includes('CURRENT')) return 'database'
  const data = names.filter((name) => LEVELDB_DATA.test(name))
  if (data.length > 0) {
    throw new SessionStoreCorruptError(
      path,
      `it holds LevelDB files (${preview(data)}) but no CURRENT file`,
    )
  }
  refuseOthers(path, names)
  return 'empty'
}

/**
 * Throws unless `path` is a LevelDB directory, damaged or not: one with LevelDB's data files and
 * nothing else (apart from the pid file, and the `lost` directory an earlier repair leaves). For
 * `repair`, which writes LevelDB's files into the directory it is given and must never adopt
 * another one.
 */
export async function requireLevelDbDirectory(path: string): Promise<void> {
  const names = await namesIn(path)
  if (names === 'absent') {
    throw new SessionStoreUnrecognisedError(path, 'nothing: it does not exist')
  }
  // Only beside data files: a directory holding nothing but `lost` is no database.
  refuseOthers(
    path,
    names.filter((name) => name !== 'lost'),
  )
  if (!names.some((name) => LEVELDB_DATA.test(name))) {
    throw new SessionStoreUnrecognisedError(path, 'no LevelDB data files')
  }
}

/** The names in the directory at `path` (or 'absent'); a file in its place is refused. */
async function namesIn(path: string): Promise<'absent' | string[]> {
  const names = await directoryContents(path)
  if (names === 'not a directory') {
    throw new SessionStoreUnrecognisedError(path, 'a file, not a directory')
  }
  return names
}

/** Throws, naming them, if any of `names` is not a file LevelDB writes. */
function refuseOthers(path: string, names: string[]): void {
  const others = names.filter((name) => !LEVELDB_FILE.test(name))
  if (others.length > 0) {
    throw new SessionStoreUnrecognisedError(path, `other files: ${preview(others)}`)
  }
}

/**
 * Creates the database directory (and missing parents) for its owner alone: the files LevelDB
 * writes inside are world-readable by default, and they hold every session.
 */
export async function ensureDirectory(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true, mode: 0o700 })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    await mkdirStepwise(path)
  }
}

/**
 * Node's recursive mkdir reports ENOENT for a directory it could not create for another reason
 * (a read-only file system: EROFS). Level by level, the failing mkdir names the real one.
 */
async function mkdirStepwise(path: string): Promise<void> {
  try {
    await mkdir(path, { mode: 0o700 })
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException
    if (code === 'EEXIST') return
    const parent = dirname(path)
    if (code !== 'ENOENT' || parent === path) throw error
    // A missing parent: make it, then this one.
    await mkdirStepwise(parent)
    await mkdirStepwise(path)
  }
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
