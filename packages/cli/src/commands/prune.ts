/**
 * @module
 * `levelsession prune <path>`: removes expired sessions now, with a progress bar on a terminal.
 */
import type { Command } from 'commander'
import { withStore } from '../database.js'
import { type ProgressFlags, withProgress } from '../options.js'
import { formatDuration, printResult } from '../output.js'
import { createProgress } from '../progress.js'

export function register(program: Command): void {
  withProgress(
    program
      .command('prune')
      .description('remove expired sessions now (apps do this on a timer)')
      .argument('<path>', 'database directory'),
  ).action(async (path: string, options: ProgressFlags) => {
    const result = await withStore(path, async ({ store, path: location }) => {
      const progress = createProgress('Pruning', { ...options, unit: 'sessions' })
      try {
        // Counting first costs a scan of the expiry index, so only when someone watches a bar.
        if (progress.enabled) progress.start((await store.stats()).expired)
        const pruned = await store.prune({ onProgress: ({ deleted }) => progress.update(deleted) })
        return { path: location, ...pruned }
      } finally {
        progress.stop()
      }
    })
    printResult(
      options.json === true,
      result,
      () =>
        `Pruned ${result.deleted} expired session${result.deleted === 1 ? '' : 's'} ` +
        `(${result.scanned} index entries scanned) in ${formatDuration(result.durationMs)}.`,
    )
  })
}
