/**
 * @module
 * `levelsession export <path> [file|-]` (or `export --redis <url> [file|-]`): a streaming JSON
 * Lines backup of the live sessions (see `snapshot.ts`) of a LevelDB directory or of a Redis
 * store. Writes wait for the output to drain, so memory stays flat whatever the size. A file is
 * written under a temporary name and renamed when complete, so a failed export never leaves a
 * partial file that looks like a backup.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream, rmSync } from 'node:fs'
import { lstat, rename, rm, stat } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { dirname, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { CliError } from '../errors.js'
import { type ProgressFlags, withProgress } from '../options.js'
import { LineWriter, note, printResult } from '../output.js'
import { createProgress } from '../progress.js'
import { type RedisFlags, targetOf, whereOf, withRedis, withTargetStore } from '../redis.js'
import { snapshotLine } from '../snapshot.js'

interface ExportOptions extends ProgressFlags, RedisFlags {
  force?: boolean
}

export function register(program: Command): void {
  withRedis(
    withProgress(
      program
        .command('export')
        .description('write the live sessions as JSON Lines (a backup; restore with import)')
        .argument('[path]', 'database directory (none with --redis)')
        .argument('[file]', 'output file, or - for standard output (the default)')
        .addOption(new Option('-f, --force', 'overwrite the output file if it exists')),
    ),
  ).action(async (first?: string, second?: string, options: ExportOptions = {}) => {
    const { target, file = '-' } = targetOf('export', [first, second], options)
    const toStdout = file === '-'
    const output = toStdout ? undefined : resolve(file)
    // Before the database is opened: a path that cannot take the file is a usage mistake.
    const exists = output !== undefined && (await checkOutput(output))
    if (exists && options.force !== true) {
      throw new CliError('ERR_FILE_EXISTS', `${output} already exists.`, {
        hint: 'pass --force to overwrite it, or choose another file',
        details: { file: output },
      })
    }
    const result = await withTargetStore(target, async (opened) => {
      const { store } = opened
      // A fresh name, created (never opened through a symlink) for the owner alone: the export
      // holds every session, and rename keeps those permissions.
      const partial =
        output === undefined
          ? undefined
          : `${output}.partial-${process.pid}-${randomBytes(6).toString('hex')}`
      const stream =
        partial === undefined
          ? process.stdout
          : createWriteStream(partial, { flags: 'wx', mode: 0o600 })
      // Interrupted (Ctrl-C, a stop): the partial file, which holds sessions, goes first.
      const interrupted = (signal: NodeJS.Signals) => {
        if (partial !== undefined) rmSync(partial, { force: true })
        process.kill(process.pid, signal)
      }
      if (partial !== undefined) for (const s of SIGNALS) process.once(s, interrupted)
      const out = new LineWriter(stream)
      // Sessions whose data is not JSON (an app with another codec) are counted, not exported.
      let undecodable = 0
      store.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'ERR_SESSION_DECODE') undecodable++
      })
      // A bar on the terminal that is also receiving the data would garble it.
      const progress = createProgress('Exporting', {
        ...options,
        unit: 'sessions',
        ...(toStdout && process.stdout.isTTY ? { progress: false } : {}),
      })
      let exported = 0
      try {
        if (progress.enabled) progress.start(await store.count())
        for await (const record of store.entries()) {
          await out.line(snapshotLine(record))
          exported++
          if (exported % 1000 === 0) progress.update(exported)
        }
        await out.flush()
        progress.update(exported)
        if (partial !== undefined) {
          stream.end()
          await finished(stream)
          await rename(partial, output!)
        }
      } catch (error) {
        if (partial !== undefined) {
          stream.destroy()
          await rm(partial, { force: true })
          throw outputError(error, output!)
        }
        throw error
      } finally {
        for (const s of SIGNALS) process.off(s, interrupted)
        progress.stop()
      }
      return {
        ...whereOf(target, opened),
        file: output ?? '-',
        exported,
        undecodable,
        from: opened.path,
      }
    })
    const { from, ...report } = result
    const summary = () =>
      `Exported ${result.exported} session${result.exported === 1 ? '' : 's'} from ${from}` +
      (output === undefined ? '.' : ` to ${output}.`)
    if (output === undefined) {
      // Standard output carries the data; the summary goes to stderr.
      note(options.json === true ? JSON.stringify(report) : summary())
    } else {
      printResult(options.json === true, report, summary)
    }
    if (result.undecodable > 0) {
      throw new CliError(
        'ERR_EXPORT_INCOMPLETE',
        `${result.undecodable} session${result.undecodable === 1 ? '' : 's'} could not be decoded as JSON and ` +
          'are missing from the export.',
        {
          hint: 'the app stores sessions with another codec; back the directory up as files instead',
        },
      )
    }
  })
}

/** Signals that end an export early; each then ends the process as it would have. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Refuses an output whose directory is missing, or that is a directory, a link or a special file;
 * resolves to whether a regular file is there already.
 */
async function checkOutput(output: string): Promise<boolean> {
  const dir = dirname(output)
  let parent: Awaited<ReturnType<typeof stat>> | undefined
  try {
    parent = await stat(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw outputError(error, output)
  }
  if (parent === undefined || !parent.isDirectory()) {
    throw new CliError(
      'ERR_OUTPUT_PATH',
      `Cannot write ${output}: ${dir} ${parent === undefined ? 'does not exist' : 'is not a directory'}.`,
      { hint: 'create the directory first, or choose another file', details: { file: output } },
    )
  }
  const existing = await lstat(output).catch(() => undefined)
  if (existing?.isDirectory() === true) {
    throw new CliError('ERR_OUTPUT_PATH', `Cannot write ${output}: it is a directory.`, {
      hint: 'give a file name',
      details: { file: output },
    })
  }
  // The export is renamed over the output: a link, a FIFO or a device would be replaced by it.
  if (existing !== undefined && !existing.isFile()) {
    throw new CliError(
      'ERR_OUTPUT_PATH',
      `Cannot write ${output}: it is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}.`,
      {
        hint: 'give the file itself, or write to standard output (-) and redirect it',
        details: { file: output },
      },
    )
  }
  return existing !== undefined
}

/**
 * A file-system failure while writing the export, named by the file the user gave (not the
 * temporary one beside it); anything else as it is.
 */
function outputError(error: unknown, output: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code
  if (typeof code !== 'string' || typeof (error as NodeJS.ErrnoException).syscall !== 'string') {
    return error
  }
  // Node's message reads "EACCES: permission denied, open '<file>'": keep the reason only.
  const reason = /^\w+: ([^,]+)/.exec((error as Error).message)?.[1] ?? code
  return new CliError('ERR_OUTPUT_PATH', `Cannot write ${output}: ${reason}.`, {
    details: { file: output, cause: code },
  })
}
