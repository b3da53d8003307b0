/**
 * @module
 * `levelsession compact <path>`: LevelDB compaction, which reclaims the space deletions leave
 * behind. LevelDB reports no progress while compacting, so the terminal shows elapsed time.
 */
import type { Command } from 'commander'
import { sizeOnDisk, withStore } from '../database.js'
import { type ProgressFlags, withProgress } from '../options.js'
import { formatBytes, formatDuration, printResult } from '../output.js'
import { createProgress } from '../progress.js'

export function register(program: Command): void {
  withProgress(
    program
      .command('compact')
      .description('reclaim disk space left by deleted sessions (LevelDB compaction)')
      .argument('<path>', 'database directory'),
  ).action(async (path: string, options: ProgressFlags) => {
    const result = await withStore(path, async ({ store, path: location }) => {
      const sizeBefore = await sizeOnDisk(location)
      const progress = createProgress('Compacting', {
        ...options,
        format: `Compacting ${formatBytes(sizeBefore)} | {duration_formatted} elapsed`,
      })
      const started = performance.now()
      try {
        progress.start(1)
        await store.compact()
      } finally {
        progress.stop()
      }
      const durationMs = performance.now() - started
      return { path: location, sizeBefore, sizeAfter: await sizeOnDisk(location), durationMs }
    })
    printResult(
      options.json === true,
      result,
      () =>
        `Compacted ${result.path}: ${formatBytes(result.sizeBefore)} -> ` +
        `${formatBytes(result.sizeAfter)} in ${formatDuration(result.durationMs)}.`,
    )
  })
}
