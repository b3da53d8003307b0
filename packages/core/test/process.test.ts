import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createSessionStore, PID_FILE, type SessionError } from '@levelsession/core'
import { runNode, startNode, stopNode, tempDir } from './helpers.js'

describe('across processes (built package)', () => {
  it('data survives a real process restart', async () => {
    const dir = await tempDir()
    await runNode('write-and-exit.mjs', [dir, 'sess-1', '7'])
    const out = await runNode('read.mjs', [dir, 'sess-1'])
    expect(JSON.parse(out)).toMatchObject({ id: 'sess-1', data: { views: 7 } })
    // And this process reads it too.
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    expect((await store.get('sess-1'))!.data).toEqual({ views: 7 })
    await store.close()
  })

  it('a second process gets ERR_STORE_LOCKED naming the path, the pid and what to do', async () => {
    const dir = await tempDir()
    const { child, line } = await startNode('hold.mjs', [dir, 'held'])
    try {
      expect(line).toBe('ready')
      expect((await readFile(join(dir, PID_FILE), 'utf8')).trim()).toBe(`${child.pid} 0`)
      const store = createSessionStore({ path: dir, cleanupInterval: 0 })
      const error = (await store.ready().catch((e: unknown) => e)) as SessionError & { pid: number }
      expect(error.code).toBe('ERR_STORE_LOCKED')
      expect(error.pid).toBe(child.pid)
      expect(error.message).toContain(dir)
      expect(error.message).toContain(`pid ${child.pid}`)
      expect(error.message).toMatch(/worker threads|@levelsession\/redis/)
      await expect(store.get('held')).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
      await store.close()
    } finally {
      await stopNode(child)
    }
    expect(existsSync(join(dir, PID_FILE))).toBe(false)
    const store = createSessionStore({ path: dir, cleanupInterval: 0 })
    expect((await store.get('held'))!.data).toMatchObject({ from: 'child' })
    await store.close()
  })

  it('two stores on one path share a handle and never weaken the lock', async () => {
    const dir = await tempDir()
    const a = createSessionStore({ path: dir, cleanupInterval: 0 })
    const b = createSessionStore({ path: join(dir, '.'), cleanupInterval: 0 })
    await a.set('x', { by: 'a' })
    expect((await b.get('x'))!.data).toEqual({ by: 'a' })
    await a.close()
    // b still works after a closed, and the directory is still locked against other processes.
    await b.set('y', { by: 'b' })
    const locked = await runNode('read.mjs', [dir, 'y']).catch((e: { stdout: string }) => e.stdout)
    expect(locked.trim()).toBe('error ERR_STORE_LOCKED')
    await b.close()
    expect(JSON.parse(await runNode('read.mjs', [dir, 'y']))).toMatchObject({ data: { by: 'b' } })
  })

  it('the built package works from require and from import', async () => {
    for (const consumer of ['consumer.cjs', 'consumer.mjs']) {
      const out = JSON.parse(await runNode(consumer)) as {
        data: { format: string }
        errorClass: string
      }
      expect(out.data.format).toBe(consumer.endsWith('.cjs') ? 'cjs' : 'esm')
      expect(out.errorClass).toBe('function')
    }
  })
})
