import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryLevel } from 'memory-level'
import { afterAll } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { runStoreConformance } from '@levelsession/core/testing'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

runStoreConformance('classic-level', async (options) => {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-conf-'))
  dirs.push(dir)
  return createSessionStore({ ...options, path: dir })
})

runStoreConformance('classic-level without cache', async (options) => {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-conf-'))
  dirs.push(dir)
  return createSessionStore({ ...options, path: dir, cacheSize: 0 })
})

runStoreConformance('memory-level', (options) =>
  createSessionStore({ ...options, db: new MemoryLevel() }),
)

runStoreConformance('memory-level sublevel', (options) => {
  const root = new MemoryLevel()
  return createSessionStore({ ...options, db: root.sublevel('sessions') })
})
