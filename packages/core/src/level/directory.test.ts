import type * as FsPromises from 'node:fs/promises'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'

// Node's recursive mkdir reports ENOENT where the real reason is another (EROFS on a read-only
// file system); this stands in for such a file system under READ_ONLY.
const READ_ONLY = join(tmpdir(), 'levelsession-read-only-fs')
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>()
  return {
    ...fs,
    mkdir: async (path: string, options?: { recursive?: boolean }) => {
      if (path.startsWith(READ_ONLY + '/')) {
        const code = options?.recursive === true ? 'ENOENT' : 'EROFS'
        throw Object.assign(new Error(`${code}: mkdir '${path}'`), { code })
      }
      if (path === READ_ONLY) return undefined
      return fs.mkdir(path, options)
    },
  }
})

const { ensureDirectory } = await import('./directory.js')

const made: string[] = []
afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))))

describe('ensureDirectory', () => {
  it('creates missing parents, the database directory for its owner alone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'levelsession-dir-'))
    made.push(root)
    const path = join(root, 'a', 'b', 'sessions')
    await ensureDirectory(path)
    expect((await stat(path)).mode & 0o777).toBe(0o700)
    await ensureDirectory(path) // already there: nothing to do
  })

  it('names the real reason a directory cannot be made, not ENOENT', async () => {
    await expect(ensureDirectory(join(READ_ONLY, 'data', 'sessions'))).rejects.toMatchObject({
      code: 'EROFS',
    })
  })
})
