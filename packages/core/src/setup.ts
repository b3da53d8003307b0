/**
 * @module
 * `setupSessionStore`: create a session database ahead of time (deploy scripts, the CLI's
 * `setup`). Idempotent; refuses a directory that holds anything else.
 */
import { inspectDirectory } from './level/directory.js'
import { SCHEMA_VERSION } from './level/backend.js'
import { resolveDatabasePath } from './level/open.js'
import { createSessionStore } from './store.js'

export interface SetupOptions {
  /** Directory of the database. */
  path: string
}

export interface SetupResult {
  /** Absolute path of the database. */
  path: string
  /** False when a levelsession database was already there. */
  created: boolean
  schemaVersion: number
}

export async function setupSessionStore(options: SetupOptions): Promise<SetupResult> {
  if (
    options === null ||
    typeof options !== 'object' ||
    typeof options.path !== 'string' ||
    options.path === ''
  ) {
    throw new TypeError('setupSessionStore: options.path must be a non-empty string')
  }
  const path = resolveDatabasePath(options.path)
  const state = await inspectDirectory(path)
  const store = createSessionStore({ path, cleanupInterval: 0 })
  try {
    await store.ready()
  } finally {
    await store.close()
  }
  return { path, created: state !== 'database', schemaVersion: SCHEMA_VERSION }
}
