// The core contract holds for stores this adapter creates from its options.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStoreConformance } from '@levelsession/core/testing'
import { afterAll } from 'vitest'
import { session } from '@levelsession/hono'

const dirs: string[] = []
async function dir(): Promise<string> {
  const made = await mkdtemp(join(tmpdir(), 'levelsession-hono-conformance-'))
  dirs.push(made)
  return made
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

runStoreConformance(
  'hono adapter on classic-level',
  async (options) => session({ ...options, path: await dir(), secret: 'conformance' }).store,
  {
    propertyRuns: 10,
  },
)
