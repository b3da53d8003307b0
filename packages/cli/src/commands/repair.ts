/**
 * @module
 * `levelsession repair <path>`: LevelDB's repair, only on explicit request and only after the
 * directory was copied to `<path>.backup-<time>`. LevelDB's repair takes no lock, so the command
 * first makes sure no process holds the database: the pid file of a running process, then
 * LevelDB's own lock.
 */
import { cp, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type LevelBackend,
  PID_FILE,
  readDatabaseOwner,
  requireLevelDbDirectory,
  SessionStoreLockedError,
} from '@levelsession/core'
import { ClassicLevel } from 'classic-level'
import type { Command } from 'commander'
import { isRunning, requireDatabase, withStore } from '../database.js'
import { CliError } from '../errors.js'
import { type JsonOptions, withJson } from '../options.js'
import { formatDuration, printResult } from '../output.js'

export function register(program: Command): void {
  withJson(
    program
      .command('repair')
      .description('repair a damaged database with LevelDB repair, after copying it aside')
      .argument('<path>', 'database directory'),
  ).action(async (path: string, options: JsonOptions) => {
    const location = await requireDatabase(path)
    // Repair writes LevelDB's files into the directory: never into one that holds anything else.
    await requireLevelDbDirectory(location)
    const started = performance.now()
    const holder = (await readDatabaseOwner(location))?.pid
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
      throw new SessionStoreLockedError(location, holder)
    }
    const backup = `${location}.backup-${timestamp()}`
    const failed = (cause: unknown) =>
      new CliError(
        'ERR_BACKUP',
        `Could not copy ${location} to ${backup}: ${(cause as Error).message}. Nothing was repaired.`,
        {
          hint: 'repair copies the database first: make room (or write access) beside it',
          details: { path: location, backup },
        },
      )
    // Made first, for its owner alone: the copy holds every session, and fs.cp would create the
    // directory with the default mode and give it the source's mode only once it is done.
    try {
      await mkdir(backup, { mode: 0o700 })
    } catch (cause) {
      throw failed(cause)
    }
    try {
      // Entry by entry into the directory made above: fs.cp of the directory itself onto an
      // existing one fails with EEXIST on Node 22 and later.
      for (const name of await readdir(location)) {
        if (name === PID_FILE) continue
        await cp(join(location, name), join(backup, name), {
          recursive: true,
          errorOnExist: true,
          force: false,
        })
      }
    } catch (cause) {
      // A partial copy named like a backup would be trusted as one.
      await rm(backup, { recursive: true, force: true }).catch(() => undefined)
      throw failed(cause)
    }
    try {
      await assertUnlocked(location, holder)
    } catch (error) {
      // Nothing was changed; a copy of a database in use is no backup.
      await rm(backup, { recursive: true, force: true })
      throw error
    }
    await rm(join(location, PID_FILE), { force: true })
    await ClassicLevel.repair(location)
    // LevelDB's repair recovers sessions and index entries independently: the indexes are
    // rebuilt from the sessions it kept, so counts, expiry and sign-out-everywhere are exact.
    const { stats, unreadable } = await withStore(location, async ({ store }) => {
      const rebuilt = await (store.backend as LevelBackend).rebuildIndexes()
      return { stats: await store.stats(), unreadable: rebuilt.unreadable }
    })
    const result = {
      path: location,
      backup,
      sessions: stats.sessions,
      expired: stats.expired,
      unreadable,
      durationMs: performance.now() - started,
    }
    printResult(options.json === true, result, () => [
      `Copied ${location} to ${backup}.`,
      `Repaired ${location} in ${formatDuration(result.durationMs)}: it opens, with ` +
        `${result.sessions} live session${result.sessions === 1 ? '' : 's'} and ` +
        `${result.expired} expired; its indexes were rebuilt from them` +
        (unreadable === 0 ? '.' : `, and ${unreadable} unreadable record(s) removed.`),
      `LevelDB's notes on what it recovered are in ${join(location, 'LOG')}. Delete the backup ` +
        'once the app runs well on the repaired database.',
    ])
  })
}

/** Takes and releases LevelDB's lock, never creating anything; throws if another process has it. */
async function assertUnlocked(location: string, pid: number | undefined): Promise<void> {
  const db = new ClassicLevel(location, { createIfMissing: false })
  try {
    await db.open()
  } catch (error) {
    if (hasCode(error, 'LEVEL_LOCKED')) throw new SessionStoreLockedError(location, pid, error)
    // A damaged database fails to open: that is what repair is for.
    return
  }
  await db.close()
}

function hasCode(error: unknown, code: string): boolean {
  for (let e = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    if ((e as { code?: unknown }).code === code) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** `2026-01-31T12-00-00-000Z`: sortable and valid in file names everywhere. */
function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-')
}
