/**
 * @module
 * `levelsession clear <path>`: removes every session (everyone is signed out). Asks on a
 * terminal; needs `--yes` elsewhere.
 */
import type { Command } from 'commander'
import { confirm } from '../confirm.js'
import { withStore } from '../database.js'
import { type JsonOptions, withJson, withYes } from '../options.js'
import { printResult } from '../output.js'

export function register(program: Command): void {
  withYes(
    withJson(
      program
        .command('clear')
        .description('remove every session (signs everyone out); keeps the database')
        .argument('<path>', 'database directory'),
    ),
  ).action(async (path: string, options: JsonOptions & { yes?: boolean }) => {
    const result = await withStore(path, async ({ store, path: location }) => {
      const sessions = await store.count()
      // The store stays open while asking, so no app can open the database meanwhile.
      await confirm(
        `Remove all ${sessions} live session${sessions === 1 ? '' : 's'} in ${location}?`,
        options.yes,
      )
      await store.clear()
      await store.compact()
      return { path: location, cleared: sessions }
    })
    printResult(
      options.json === true,
      result,
      () => `Removed all sessions (${result.cleared} live) from ${result.path}.`,
    )
  })
}
