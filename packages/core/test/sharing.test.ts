import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { createSessionStore } from '@levelsession/core'
import { fixture, runNode, tempDir } from './helpers.js'

describe('one handle per database', () => {
  it('a path through a symlink and its real path share one handle, even before it exists', async () => {
    const base = await tempDir()
    const real = join(base, 'real')
    await mkdir(real)
    await symlink(real, join(base, 'link'))
    const a = createSessionStore({ path: join(base, 'link', 'sessions'), cleanupInterval: 0 })
    const b = createSessionStore({ path: join(real, 'sessions'), cleanupInterval: 0 })
    expect(a.backend).toBe(b.backend)
    await a.set('from-a', {})
    await b.set('from-b', {})
    await Promise.all([a.close(), b.close()])
    const c = createSessionStore({ path: join(real, 'sessions'), cleanupInterval: 0 })
    expect(await c.get('from-a')).toBeDefined()
    expect(await c.get('from-b')).toBeDefined()
    await c.close()
  })

  it('a store opened while another on the same path is closing gets a working handle', async () => {
    const dir = await tempDir()
    const a = createSessionStore({ path: dir, cleanupInterval: 0 })
    await a.set('old', { n: 1 })
    const closing = a.close()
    const b = createSessionStore({ path: dir, cleanupInterval: 0 })
    await b.set('new', { n: 2 })
    expect((await b.get('old'))!.data).toEqual({ n: 1 })
    await closing
    expect((await b.get('new'))!.data).toEqual({ n: 2 })
    await b.close()
  })

  it('another worker thread is refused without weakening the lock', async () => {
    const dir = await tempDir()
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    await store.set('main', { ok: true })
    const worker = new Worker(fixture('worker-open.mjs'), { workerData: dir, execArgv: [] })
    const report = await new Promise<{ opened: boolean; code?: string; message?: string }>(
      (resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      },
    )
    await new Promise((resolve) => worker.once('exit', resolve))
    expect(report).toMatchObject({ opened: false, code: 'ERR_STORE_LOCKED' })
    expect(report.message).toContain('another thread of this process')
    // The OS lock still holds against other processes, and this thread's store still works.
    const other = await runNode('read.mjs', [dir, 'main']).catch(
      (e: { stdout: string }) => e.stdout,
    )
    expect(other.trim()).toBe('error ERR_STORE_LOCKED')
    await store.set('after', {})
    expect(await store.get('main')).toBeDefined()
    await store.close()
  })
})
