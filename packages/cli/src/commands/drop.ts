/**
 * @module
 * `levelsession drop <path>`: deletes the database directory, only after checking that it is a
 * levelsession database (core opens it and finds its schema version) and that no process holds
 * it. Asks on a terminal; needs `--yes` elsewhere.
 */
import { lstat, realpath, rm } from 'node:fs/promises'
import { requireLevelDbDirectory } from '@levelsession/core'
import type { Command } from 'commander'
import { confirm } from '../confirm.js'
import { openStore } from '../database.js'
import { CliError, usageError } from '../errors.js'
import { type JsonOptions, withJson, withYes } from '../options.js'
import { printResult } from '../output.js'

export function register(program: Command): void {
  withYes(
    withJson(
      program
        .command('drop')
        .description('delete the database directory and everything in it')
        .argument('<path>', 'database directory'),
    ),
  ).action(async (path: string, options: JsonOptions & { yes?: boolean }) => {
    // A link would be removed, not the database it names: give the directory itself.
    if ((await lstat(path).catch(() => undefined))?.isSymbolicLink() === true) {
      throw usageError(
        `${path} is a symbolic link; drop deletes a database directory, not a link to one.`,
        `levelsession drop ${await realpath(path).catch(() => '<the directory it names>')}`,
      )
    }
    // Opening through core checks the lock, the LevelDB files and the schema version.
    const { store, path: location } = await openStore(path)
    let sessions: number
    try {
      const stats = await store.stats()
      if (stats.schemaVersion === undefined) {
        throw new CliError(
          'ERR_STORE_UNRECOGNISED',
          `${location} has no levelsession schema; not deleting it.`,
        )
      }
      sessions = stats.sessions
      // Nothing but the database goes: a file kept beside LevelDB's (notes, an export) refuses.
      await requireLevelDbDirectory(location)
      // Held open while asking, so no app can open it in between.
      await confirm(
        `Delete the session database ${location} (${sessions} live session${sessions === 1 ? '' : 's'})?`,
        options.yes,
      )
    } finally {
      await store.close()
    }
    await rm(location, { recursive: true })
    printResult(
      options.json === true,
      { path: location, dropped: true, sessions },
      () =>
        `Deleted the session database ${location} (${sessions} live session${sessions === 1 ? '' : 's'}).`,
    )
  })
}
