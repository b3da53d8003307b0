/**
 * @module
 * The backup format of `export` and `import`: JSON Lines, one session per line, shaped like
 * core's `entries()` records and `restore()` snapshots:
 * `{ "id", "data", "createdAt", "expiresAt", "userId"? }` (times in epoch ms). A line is checked
 * whole before anything is written, so a malformed line is rejected, never half-applied.
 */
import { isValidSessionId, MAX_ID_LENGTH, type SessionSnapshot } from '@levelsession/core'
import type { AnyData } from './database.js'

export type ParsedLine =
  { ok: true; snapshot: SessionSnapshot<AnyData> } | { ok: false; reason: string }

/** Parses and validates one line of an export. */
export function parseSnapshotLine(line: string): ParsedLine {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    return { ok: false, reason: `not valid JSON${jsonErrorPlace(error)}` }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' }
  }
  const record = value as Record<string, unknown>
  const { id, data, createdAt, expiresAt, userId } = record
  if (!isValidSessionId(id)) {
    return {
      ok: false,
      reason: `"id" must be a session id (a non-empty string of at most ${MAX_ID_LENGTH} characters)`,
    }
  }
  if (!('data' in record) || data === undefined) return { ok: false, reason: '"data" is missing' }
  for (const [name, time] of [
    ['createdAt', createdAt],
    ['expiresAt', expiresAt],
  ] as const) {
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
      return { ok: false, reason: `"${name}" must be epoch milliseconds (an integer >= 0)` }
    }
  }
  if ((createdAt as number) > (expiresAt as number)) {
    return { ok: false, reason: '"createdAt" is after "expiresAt"' }
  }
  if (userId !== undefined && userId !== null && typeof userId !== 'string') {
    return { ok: false, reason: '"userId" must be a string when present' }
  }
  const snapshot: SessionSnapshot<AnyData> = {
    id,
    data: data as AnyData,
    createdAt: createdAt as number,
    expiresAt: expiresAt as number,
  }
  if (typeof userId === 'string') snapshot.userId = userId
  return { ok: true, snapshot }
}

/** One line of an export for a session record. */
export function snapshotLine(record: SessionSnapshot<unknown>): string {
  const { id, data, createdAt, expiresAt, userId } = record
  return JSON.stringify(
    userId === undefined
      ? { id, data, createdAt, expiresAt }
      : { id, data, createdAt, expiresAt, userId },
  )
}

/**
 * Where JSON.parse gave up, without the quote of the input its message carries (the start of a
 * line may be a secret, and reasons are printed and logged): ' (at position 12)', or ''.
 */
export function jsonErrorPlace(error: unknown): string {
  const message = (error as Error).message
  if (message.includes('Unexpected end')) return ' (it ends too early)'
  const at = /at position (\d+)/.exec(message)?.[1]
  return at === undefined ? '' : ` (at position ${at})`
}
