/**
 * @module
 * `levelsession import <path> <file|->` (or `import --redis <url> <file|->`): restores a JSON
 * Lines export into a LevelDB directory or a Redis store. Reads line by line
 * (node:readline over a stream, never the whole file), checks each line whole and writes it with
 * core's `restore()` (one atomic write), so a malformed line is rejected, never half-applied.
 * Expired sessions are skipped. Creates the database when the directory is absent or empty.
 * Exits 1 when any line was rejected, after importing the rest.
 */
import { createReadStream, type ReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { isSessionError } from '@levelsession/core'
import type { Command } from 'commander'
import { CliError, usageError } from '../errors.js'
import { type ProgressFlags, withProgress } from '../options.js'
import { formatDuration, printResult } from '../output.js'
import { createProgress } from '../progress.js'
import { type RedisFlags, targetOf, whereOf, withRedis, withTargetStore } from '../redis.js'
import { parseSnapshotLine } from '../snapshot.js'

/** Restores in flight at once: enough for core to group them into batches. */
const IN_FLIGHT = 64
/** Rejected lines described in the report; the rest are only counted. */
const MAX_REPORTED = 100
/** A longer line is not a session (core refuses encoded sessions over 1 MiB by default). */
const MAX_LINE_BYTES = 64 * 1024 * 1024

export interface RejectedLine {
  line: number
  reason: string
}

export function register(program: Command): void {
  withRedis(
    withProgress(
      program
        .command('import')
        .description('restore sessions from a JSON Lines export (skips expired ones)')
        .argument('[path]', 'database directory, created when absent or empty (none with --redis)')
        .argument('[file]', 'input file, or - for standard input'),
    ),
  ).action(async (first?: string, second?: string, options: ProgressFlags & RedisFlags = {}) => {
    const { target, file } = targetOf('import', [first, second], options)
    if (file === undefined) {
      throw usageError(
        'import needs an input file (or - for standard input).',
        target.kind === 'redis'
          ? 'levelsession import --redis <url> <file|->'
          : 'levelsession import <path> <file|->',
      )
    }
    const input = await openInput(file)
    const started = performance.now()
    const result = await withTargetStore(
      target,
      async (opened) => {
        const { store, path: location, created } = opened
        const progress = createProgress('Importing', {
          ...options,
          format:
            input.size === undefined
              ? 'Importing | {lines} lines | {duration_formatted}'
              : 'Importing [{bar}] {percentage}% | {lines} lines | {duration_formatted} | eta {eta_formatted}',
        })
        let lineNo = 0
        let imported = 0
        let skipped = 0
        let rejected = 0
        const rejects: RejectedLine[] = []
        let failure: unknown
        const reject = (line: number, reason: string) => {
          rejected++
          if (rejects.length < MAX_REPORTED) rejects.push({ line, reason })
        }
        const inflight = new Set<Promise<void>>()
        const guard = new LineLengthGuard(MAX_LINE_BYTES)
        const lines = createInterface({ input: guard, crlfDelay: Infinity })
        // A read error or an overlong line ends the loop; it is thrown once writes settle.
        const stop = (error: unknown) => {
          failure ??= error
          lines.close()
        }
        input.stream.on('error', stop)
        guard.on('error', stop)
        input.stream.pipe(guard)
        try {
          progress.start(input.size ?? 0, { lines: 0 })
          for await (const raw of lines) {
            lineNo++
            if (lineNo % 1000 === 0) progress.update(input.stream.bytesRead, { lines: lineNo })
            const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw
            if (text.trim() === '') continue
            const parsed = parseSnapshotLine(text)
            if (!parsed.ok) {
              reject(lineNo, parsed.reason)
              continue
            }
            const at = lineNo
            const task = store.restore(parsed.snapshot).then(
              (written) => {
                if (written) imported++
                else skipped++
              },
              (error: unknown) => {
                // The session itself is refused (too large, bad user id): reject the line. Any
                // other failure is the database's: stop.
                if (isSessionError(error) && error.code.startsWith('ERR_SESSION_')) {
                  reject(at, error.message)
                } else if (error instanceof TypeError || error instanceof RangeError) {
                  reject(at, error.message)
                } else failure ??= error
              },
            )
            inflight.add(task)
            void task.finally(() => inflight.delete(task))
            if (inflight.size >= IN_FLIGHT) await Promise.race(inflight)
            if (failure !== undefined) break
          }
          await Promise.all(inflight)
          progress.update(input.stream.bytesRead, { lines: lineNo })
        } finally {
          lines.close()
          input.stream.destroy()
          progress.stop()
        }
        if (failure !== undefined) throw asError(failure)
        rejects.sort((a, b) => a.line - b.line)
        return {
          ...whereOf(target, opened),
          file: input.name,
          created,
          lines: lineNo,
          imported,
          skipped,
          rejected,
          rejects,
          durationMs: performance.now() - started,
          into: location,
        }
      },
      { create: true },
    )
    const { into, ...report } = result
    const creation = target.kind === 'level' ? 'Created the database and imported' : 'Imported'
    printResult(options.json === true, report, () => [
      `${result.created ? creation : 'Imported'} ${result.imported} ` +
        `session${result.imported === 1 ? '' : 's'} into ${into} from ${result.file} ` +
        `in ${formatDuration(result.durationMs)}; skipped ${result.skipped} expired; ` +
        `rejected ${result.rejected} line${result.rejected === 1 ? '' : 's'}.`,
      ...result.rejects.map((r) => `  line ${r.line}: ${r.reason}`),
      ...(result.rejected > result.rejects.length
        ? [`  ... and ${result.rejected - result.rejects.length} more`]
        : []),
    ])
    if (result.rejected > 0) {
      throw new CliError(
        'ERR_IMPORT_REJECTED',
        `${result.rejected} line${result.rejected === 1 ? ' was' : 's were'} rejected (listed above); ` +
          'every other line was imported.',
        { details: { rejected: result.rejected } },
      )
    }
  })
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

interface Input {
  name: string
  stream: Readable & { bytesRead: number }
  /** Bytes, for a regular file. */
  size: number | undefined
}

/** Opens the input before the database, so a missing file changes nothing. */
async function openInput(file: string): Promise<Input> {
  if (file === '-') {
    const counted = new ByteCounter()
    return { name: 'standard input', stream: process.stdin.pipe(counted), size: undefined }
  }
  const name = resolve(file)
  let size: number | undefined
  try {
    const info = await stat(name)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    size = info.isFile() ? info.size : undefined
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : (error as Error).message
    throw new CliError('ERR_INPUT', `Cannot read ${name}: it ${reason}.`, {
      details: { file: name },
    })
  }
  const stream: ReadStream = createReadStream(name)
  return { name, stream, size }
}

/** Passes bytes through and counts them (for standard input, which has no `bytesRead`). */
class ByteCounter extends Transform {
  bytesRead = 0
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytesRead += chunk.length
    done(null, chunk)
  }
}

/**
 * Fails the stream when a line grows past `limit` bytes: readline would otherwise buffer a file
 * without newlines whole.
 */
class LineLengthGuard extends Transform {
  readonly #limit: number
  #current = 0

  constructor(limit: number) {
    super()
    this.#limit = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const last = chunk.lastIndexOf(10)
    this.#current = last === -1 ? this.#current + chunk.length : chunk.length - last - 1
    if (this.#current > this.#limit) {
      done(
        new CliError(
          'ERR_INPUT',
          `A line is longer than ${this.#limit / 1024 / 1024} MiB; this is not a levelsession export.`,
        ),
      )
      return
    }
    done(null, chunk)
  }
}
