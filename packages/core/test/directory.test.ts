import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { describe, expect, it } from 'vitest'
import {
  createSessionStore,
  PID_FILE,
  SessionStoreOpenError,
  setupSessionStore,
} from '@levelsession/core'
import { tempDir } from './helpers.js'
import { SCHEMA_VERSION } from '../src/level/backend.js'

async function openError(path: string): Promise<{ code: string; message: string }> {
  const store = createSessionStore({ path, cleanupInterval: 0 })
  const error = (await store.ready().then(
    () => new Error('opened'),
    (e: unknown) => e,
  )) as { code: string; message: string }
  await store.close()
  return error
}

/** The process warnings emitted while a store opens `path` (then closes it). */
async function warningsOfOpen(path: string): Promise<Error[]> {
  const warnings: Error[] = []
  const listen = (warning: Error) => warnings.push(warning)
  process.on('warning', listen)
  try {
    const store = createSessionStore({ path, cleanupInterval: 0 })
    await store.ready()
    await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on a tick
    await store.close()
  } finally {
    process.off('warning', listen)
  }
  return warnings
}

describe('database directory', () => {
  it('creates an absent directory and writes a pid file while open', async () => {
    const dir = join(await tempDir(), 'nested', 'sessions')
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    await store.set('a', { n: 1 })
    expect((await readdir(dir)).sort()).toContain(PID_FILE)
    await store.close()
    expect(existsSync(join(dir, PID_FILE))).toBe(false)
    expect(existsSync(join(dir, 'CURRENT'))).toBe(true)
    // For its owner alone (LevelDB's files inside are world-readable), parents made with it too.
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect((await stat(join(dir, '..'))).mode & 0o777).toBe(0o700)
  })

  it('data survives close and reopen in one process', async () => {
    const dir = await tempDir()
    const first = createSessionStore({
      path: dir,
      cleanupInterval: 0,
      userId: (d) => d.user as string,
    })
    await first.set('a', { user: 'ann', n: 1 })
    await first.close()
    const second = createSessionStore({
      path: dir,
      cleanupInterval: 0,
      userId: (d) => d.user as string,
    })
    expect(await second.get('a')).toMatchObject({ data: { user: 'ann', n: 1 }, userId: 'ann' })
    expect((await second.listUser('ann')).length).toBe(1)
    await second.close()
  })

  it('refuses table files without CURRENT and leaves them untouched', async () => {
    const dir = await tempDir()
    const seed = createSessionStore({ path: dir, cleanupInterval: 0 })
    for (let i = 0; i < 100; i++) await seed.set(`s${i}`, { i })
    await seed.close()
    const { rm } = await import('node:fs/promises')
    await rm(join(dir, 'CURRENT'))
    const before = (await readdir(dir)).sort()
    const error = await openError(dir)
    expect(error.code).toBe('ERR_STORE_CORRUPT')
    expect(error.message).toContain('levelsession repair')
    expect(error.message).toContain(dir)
    expect((await readdir(dir)).sort()).toEqual(before)
  })

  it("calls a CURRENT that names no manifest damage, with LevelDB's reason", async () => {
    const dir = await tempDir()
    const seed = createSessionStore({ path: dir, cleanupInterval: 0 })
    await seed.set('s1', { i: 1 })
    await seed.close()
    await writeFile(join(dir, 'CURRENT'), 'garbage\n')
    const error = await openError(dir)
    expect(error.code).toBe('ERR_STORE_CORRUPT')
    expect(error.message).toContain(`${join(dir, 'garbage')}: No such file or directory`)
    expect(error.message).toContain(`levelsession repair ${dir}`)
  })

  it('warns once when LevelDB opens by dropping damaged records of its log', async () => {
    const dir = await tempDir()
    const seed = createSessionStore({ path: dir, cleanupInterval: 0 })
    for (let i = 0; i < 50; i++) await seed.set(`s${i}`, { i, pad: 'x'.repeat(100) })
    await seed.close()
    const log = (await readdir(dir)).find((name) => name.endsWith('.log'))!
    const bytes = await readFile(join(dir, log))
    for (let i = 50; i < bytes.length; i += 97) bytes[i]! ^= 0xff
    await writeFile(join(dir, log), bytes)
    const ours = (await warningsOfOpen(dir)).filter(
      (w) => (w as Error & { code?: string }).code === 'LEVELSESSION_RECOVERY_LOSS',
    )
    expect(ours).toHaveLength(1)
    expect(ours[0]!.message).toContain(`opening the session database at ${dir}`)
    expect(ours[0]!.message).toContain('Corruption: checksum mismatch')
    // LevelDB wrote a new log: the next open says nothing.
    expect(await warningsOfOpen(dir)).toEqual([])
  })

  it('names the causes of an open failure, not only the outer message', () => {
    const cause = new Error('Database failed to open', { cause: new Error('IO error: disk') })
    expect(new SessionStoreOpenError('/srv/s', cause).message).toBe(
      'Could not open the session database at /srv/s: Database failed to open (IO error: disk)',
    )
    expect(new SessionStoreOpenError('/srv/s', 'plain').message).toMatch(/: plain$/)
  })

  it('refuses a directory that holds other files, saying what it found', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'notes.txt'), 'hello')
    const error = await openError(dir)
    expect(error.code).toBe('ERR_STORE_UNRECOGNISED')
    expect(error.message).toContain('notes.txt')
  })

  it('refuses a file in place of the directory', async () => {
    const file = join(await tempDir(), 'file')
    await writeFile(file, 'x')
    expect((await openError(file)).code).toBe('ERR_STORE_UNRECOGNISED')
  })

  it('refuses a LevelDB database it did not create', async () => {
    const dir = await tempDir()
    const other = new ClassicLevel(dir)
    await other.put('app-key', 'value')
    await other.close()
    const error = await openError(dir)
    expect(error.code).toBe('ERR_STORE_UNRECOGNISED')
    expect(error.message).toContain('did not create')
  })

  it('refuses a database from a newer schema', async () => {
    const dir = await tempDir()
    const db = new ClassicLevel<string, string>(dir)
    await db.sublevel('m').put('schema', '99')
    await db.close()
    const error = await openError(dir)
    expect(error.code).toBe('ERR_STORE_SCHEMA')
    expect(error.message).toContain('99')
  })

  it('accepts an empty existing directory', async () => {
    const dir = join(await tempDir(), 'empty')
    await mkdir(dir)
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    await store.set('a', {})
    expect(await store.count()).toBe(1)
    await store.close()
  })
})

describe('setupSessionStore', () => {
  it('creates the database once and is idempotent', async () => {
    const dir = join(await tempDir(), 'db')
    expect(await setupSessionStore({ path: dir })).toMatchObject({
      path: dir,
      created: true,
      schemaVersion: SCHEMA_VERSION,
    })
    expect(await setupSessionStore({ path: dir })).toMatchObject({
      created: false,
      schemaVersion: SCHEMA_VERSION,
    })
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    await store.set('a', { ok: true })
    await store.close()
    expect(await setupSessionStore({ path: dir })).toMatchObject({ created: false })
  })

  it('refuses a directory that holds something else', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'photo.jpg'), 'x')
    await expect(setupSessionStore({ path: dir })).rejects.toMatchObject({
      code: 'ERR_STORE_UNRECOGNISED',
      message: expect.stringContaining('photo.jpg') as unknown,
    })
  })

  it('rejects a missing path with a TypeError', async () => {
    await expect(setupSessionStore({} as { path: string })).rejects.toBeInstanceOf(TypeError)
  })
})
