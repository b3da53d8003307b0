/**
 * Real processes on the built package: an ESM consumer and a CommonJS consumer, and sessions
 * that survive a crash and restart of the process that owns the database.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAppProcessTests } from '@levelsession/core/testing'

const here = fileURLToPath(new URL('.', import.meta.url))

runAppProcessTests({
  name: 'express',
  packagesDir: join(here, '..', '..'),
  fixturesDir: join(here, 'fixtures'),
})
