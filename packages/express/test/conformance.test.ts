// The core contract holds for stores this adapter creates from its options.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SessionStore } from '@levelsession/core'
import { runStoreConformance } from '@levelsession/core/testing'
import { afterAll } from 'vitest'
import { LevelSessionStore } from '@levelsession/express'

const dirs: string[] = []
async function dir(): Promise<string> {
  const made = await mkdtemp(join(tmpdir(), 'levelsession-express-conformance-'))
  dirs.push(made)
  return made
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

runStoreConformance(
  'express adapter on classic-level',
  async (options) =>
    // The suite stores arbitrary data; express-session's typing expects a cookie.
    new LevelSessionStore({ ...options, path: await dir() } as never)
      .core as unknown as SessionStore,
  {
    propertyRuns: 10,
  },
)
