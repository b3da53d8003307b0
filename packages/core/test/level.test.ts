import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { describe, expect, it, vi } from 'vitest'
import { type Backend, createSessionStore, type SessionError } from '@levelsession/core'
import { TestClock, verify } from '@levelsession/core/testing'
import { type LevelBackend, SCHEMA_VERSION } from '../src/level/backend.js'
import { EXPIRY_BUCKET, expiryKey, timeKey } from '../src/level/keys.js'
import { tempDir } from './helpers.js'

describe('Level backend', () => {
  it('the cleaner deletes a session only if its expiry still matches the index entry', async () => {
    const clock = new TestClock()
    const root = new MemoryLevel<string, string>()
    const store = createSessionStore({
      db: root,
      cleanupInterval: 0,
      now: clock.now,
      maxAge: 10_000,
    })
    await store.set('renewed', {})
    // The entry a sweep would have seen before the session was renewed: already due.
    await root.sublevel('x').put(expiryKey(clock.value - 1, 'renewed'), '')
    expect(await store.backend.verify!()).not.toEqual([])
    expect(await store.prune()).toMatchObject({ scanned: 1, deleted: 0 })
    expect(await store.get('renewed')).toBeDefined()
    await verify(store)
    await store.close()
  })

  it('sweeps in chunks, leaves live sessions, and compacts after a large sweep', async () => {
    const clock = new TestClock()
    const store = createSessionStore({
      path: await tempDir(),
      cleanupInterval: 0,
      now: clock.now,
      maxAge: 1000,
    })
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < 12_000; i++) writes.push(store.set(`old-${i}`, { i }))
    await Promise.all(writes)
    clock.advance(500)
    for (let i = 0; i < 100; i++) await store.set(`live-${i}`, { i })
    clock.advance(600)
    const expired: string[] = []
    store.on('expired', (e) => expired.push(e.id))
    const result = await store.prune()
    expect(result).toMatchObject({ scanned: 12_000, deleted: 12_000 })
    expect(expired.length).toBe(12_000)
    expect(await store.count()).toBe(100)
    // The next sweep starts at the watermark and finds nothing.
    expect(await store.prune()).toMatchObject({ scanned: 0, deleted: 0 })
    await verify(store)
    await store.close()
  })

  it('a clock that goes backwards still gets its sessions swept', async () => {
    const clock = new TestClock()
    const store = createSessionStore({
      db: new MemoryLevel(),
      cleanupInterval: 0,
      now: clock.now,
      maxAge: 1000,
    })
    await store.prune()
    clock.advance(-60_000)
    await store.set('past', {})
    clock.advance(2000)
    expect(await store.prune()).toMatchObject({ deleted: 1 })
    await store.close()
  })

  it('iterators are always closed: 100k early breaks do not grow memory', async () => {
    const store = createSessionStore({ path: await tempDir(), cleanupInterval: 0 })
    for (let i = 0; i < 20; i++) await store.set(`s${i}`, { i, pad: 'x'.repeat(200) })
    const loop = async (n: number) => {
      for (let i = 0; i < n; i++) {
        for await (const _ of store.entries()) break
      }
    }
    await loop(5000)
    global.gc?.()
    const before = process.memoryUsage().rss
    await loop(100_000)
    global.gc?.()
    const grown = process.memoryUsage().rss - before
    // A leaked LevelDB iterator pins at least a block (4 KiB): 100k leaks would be > 400 MB.
    expect(grown).toBeLessThan(100 * 1024 * 1024)
    await store.close()
  }, 120_000)

  it('a failing cleaner run is reported and retried on the next run', async () => {
    const inner = createSessionStore({ db: new MemoryLevel(), cleanupInterval: 0 })
    await inner.ready()
    let sweeps = 0
    const flaky: Backend = {
      name: 'flaky',
      open: () => Promise.resolve(),
      load: (id) => inner.backend.load(id),
      update: (id, m) => inner.backend.update(id, m),
      delete: (id) => inner.backend.delete(id),
      listUser: (u) => inner.backend.listUser(u),
      entries: () => inner.backend.entries(),
      count: (now) => inner.backend.count(now),
      clear: () => inner.backend.clear(),
      sweep: (o) =>
        ++sweeps === 1 ? Promise.reject(new Error('disk on fire')) : inner.backend.sweep(o),
      close: () => Promise.resolve(),
    }
    const store = createSessionStore({ backend: flaky, cleanupInterval: 10 })
    const events: string[] = []
    await new Promise<void>((resolve) => {
      store.on('error', (e) => events.push(`error ${(e as SessionError).code} ${e.message}`))
      store.on('prune', () => {
        events.push('prune')
        resolve()
      })
    })
    expect(events[0]).toMatch(/^error ERR_STORE_IO .*disk on fire/)
    expect(events.at(-1)).toBe('prune')
    await store.close()
    await inner.close()
  })

  it("passes its clock to every update, the one mutate reads (a ttl-keeping backend's base)", async () => {
    const clock = new TestClock()
    const inner = createSessionStore({ db: new MemoryLevel(), cleanupInterval: 0 })
    await inner.ready()
    const seen: string[] = []
    const b = inner.backend
    const recording: Backend = {
      name: 'recording',
      open: () => Promise.resolve(),
      close: () => Promise.resolve(),
      load: (id) => b.load(id),
      delete: (id) => b.delete(id),
      listUser: (u) => b.listUser(u),
      entries: () => b.entries(),
      count: (now) => b.count(now),
      clear: () => b.clear(),
      sweep: (o) => b.sweep(o),
      update: (id, mutate, options) => {
        // Time passes between the call and mutate (a lock, a round trip): the store's clock, then.
        clock.advance(5)
        return b.update(id, (current) => {
          const next = mutate(current)
          if (next instanceof Promise) throw new Error('unexpected async mutation')
          seen.push(`${id} ${options?.now?.()} ${next === null ? 'null' : next?.expiresAt}`)
          return next
        })
      },
    }
    const store = createSessionStore({
      backend: recording,
      now: clock.now,
      maxAge: 1000,
      touchAfter: 0,
    })
    const t = clock.value
    await store.set('a', { n: 1 })
    await store.touch('a')
    await store.destroy('a')
    await store.set('b', { n: 1 })
    clock.advance(2000)
    await store.get('b') // expired: deleted by an update
    expect(seen).toEqual([
      `a ${t + 5} ${t + 1005}`,
      `a ${t + 10} ${t + 1010}`,
      `b ${t + 15} ${t + 1015}`,
      `b ${t + 2020} null`,
    ])
    await store.close()
    await inner.close()
  })

  it('strict durability writes and reads back', async () => {
    const dir = await tempDir()
    const store = createSessionStore({ path: dir, cleanupInterval: 0, durability: 'strict' })
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`s${i}`, { i })))
    expect(await store.count()).toBe(50)
    await store.close()
  })

  it('a database closed underneath the store fails calls with ERR_STORE_IO, never a hang', async () => {
    const db = new MemoryLevel()
    const store = createSessionStore({ db, cleanupInterval: 0, cacheSize: 0 })
    await store.set('a', {})
    await db.close()
    await expect(store.get('a')).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
    await expect(store.set('a', {})).rejects.toMatchObject({ code: 'ERR_STORE_IO' })
    await store.close()
  })

  it('within the bucket holding now, count, prune and stats go by each exact expiry', async () => {
    const clock = new TestClock()
    const start = clock.value
    const store = createSessionStore({ db: new MemoryLevel(), cleanupInterval: 0, now: clock.now })
    await store.set('soon', {}, { ttl: 10_000 })
    await store.set('later', {}, { ttl: 20_000 })
    await store.set('next-minute', {}, { ttl: EXPIRY_BUCKET + 5000 })
    expect(expiryKey(start + 10_000, 'x').slice(0, 15)).toBe(
      expiryKey(start + 20_000, 'x').slice(0, 15),
    )
    clock.advance(15_000)
    expect(await store.count()).toBe(2)
    expect(await store.stats()).toMatchObject({
      sessions: 2,
      expired: 1,
      earliestExpiry: start + 20_000,
      latestExpiry: start + EXPIRY_BUCKET + 5000,
    })
    expect(await store.prune()).toMatchObject({ scanned: 1, deleted: 1 })
    await verify(store)
    // The live session in that bucket is looked at again, and goes once it is due.
    clock.advance(5000)
    expect(await store.count()).toBe(1)
    expect(await store.prune()).toMatchObject({ scanned: 1, deleted: 1 })
    expect(await store.stats()).toMatchObject({
      sessions: 1,
      expired: 0,
      earliestExpiry: start + EXPIRY_BUCKET + 5000,
    })
    await verify(store)
    await store.close()
  })

  it('count and stats miss no session that a concurrent write moves to a later bucket', async () => {
    // A second into a bucket: sessions with 30 s left expire in the bucket holding now.
    const clock = new TestClock(
      Math.ceil(Date.UTC(2030, 0, 1) / EXPIRY_BUCKET) * EXPIRY_BUCKET + 1000,
    )
    const store = createSessionStore({
      path: await tempDir(),
      cleanupInterval: 0,
      now: clock.now,
      maxAge: 600_000,
      touchAfter: 0,
    })
    const ids = Array.from({ length: 2000 }, (_, i) => `moving-${i}`)
    for (const id of ids) await store.set(id, { id }, { ttl: 30_000 })
    for (const read of [() => store.count(), async () => (await store.stats()).sessions]) {
      const counting = read()
      // Each touch moves its session ten minutes on, to a later bucket, while the count runs.
      const touches = ids.map((id) => store.touch(id))
      expect(await counting).toBe(2000)
      expect(await Promise.all(touches)).not.toContain(false)
    }
    await store.close()
  })

  it('moving an expiry within its bucket writes no index entries', async () => {
    const clock = new TestClock()
    const root = new MemoryLevel<string, string>()
    const store = createSessionStore({
      db: root,
      cleanupInterval: 0,
      now: clock.now,
      touchAfter: 0,
    })
    // Away from a bucket's edge: the default maxAge is a whole number of buckets.
    clock.advance(1000)
    await store.set('a', { n: 1 })
    const batches: number[] = []
    root.on('write', (ops: unknown[]) => batches.push(ops.length))
    clock.advance(1000)
    await store.touch('a')
    await store.set('a', { n: 2 })
    expect(batches).toEqual([1, 1])
    clock.advance(EXPIRY_BUCKET)
    await store.touch('a')
    expect(batches).toEqual([1, 1, 3])
    await verify(store)
    await store.close()
  })

  it('upgrades a schema-1 database, whose index held exact times, when it opens', async () => {
    const clock = new TestClock()
    const dir = await tempDir()
    const options = { path: dir, cleanupInterval: 0, now: clock.now, userId: () => undefined }
    const first = createSessionStore(options)
    await first.set('a', { n: 1 }, { ttl: 90_000 })
    clock.advance(1234)
    await first.set('b', { n: 2 }, { ttl: 30_000 })
    await first.close()
    // Write the index as schema 1 did.
    const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    const index = db.sublevel<string, string>('x', { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    await index.clear()
    await index.batch([
      { type: 'put', key: `${timeKey(clock.value - 1234 + 90_000)}:a`, value: '' },
      { type: 'put', key: `${timeKey(clock.value + 30_000)}:b`, value: '' },
    ])
    await db.sublevel('m').put('schema', '1')
    await db.close()

    const second = createSessionStore(options)
    await second.ready()
    expect(await second.backend.verify!()).toEqual([])
    expect(await second.stats()).toMatchObject({ sessions: 2, schemaVersion: SCHEMA_VERSION })
    clock.advance(40_000)
    expect(await second.prune()).toMatchObject({ deleted: 1 })
    expect((await second.listUser('nobody')).length).toBe(0)
    expect(await second.get('a')).toBeDefined()
    await verify(second)
    await second.close()
  })

  it('writes no empty values (classic-level 3.0 never frees its copy of an empty value)', async () => {
    const root = new MemoryLevel<string, string>()
    const store = createSessionStore({
      db: root,
      cleanupInterval: 0,
      userId: (d: { user?: string }) => d.user,
    })
    await store.set('a', { user: 'ann' })
    await store.set('b', {})
    const values: string[] = []
    for await (const [, value] of root.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) {
      values.push(value)
    }
    expect(values.length).toBeGreaterThanOrEqual(5)
    expect(values.filter((v) => v === '')).toEqual([])
    await store.close()
  })

  describe('sweeping without reading sessions', () => {
    const owned = (clock: TestClock, db = new MemoryLevel<string, string>()) =>
      createSessionStore<{ user?: string; n?: number }>({
        db,
        cleanupInterval: 0,
        now: clock.now,
        maxAge: 1000,
        // No cache: every read the sweep makes reaches the database, where the test sees it.
        cacheSize: 0,
        userId: (data) => data.user,
      })

    it('deletes expired sessions and their user entries from the index alone', async () => {
      const clock = new TestClock()
      const root = new MemoryLevel<string, string>()
      const store = owned(clock, root)
      for (let i = 0; i < 200; i++) await store.set(`s${i}`, i % 2 ? { user: `u${i % 5}` } : {})
      // An owner that changes while the expiry stays in its bucket rewrites the entry's owner.
      await store.set('s1', { user: 'moved' })
      await verify(store)
      clock.advance(EXPIRY_BUCKET + 1000)
      const getMany = vi.spyOn(root, 'getMany')
      expect(await store.prune()).toMatchObject({ scanned: 200, deleted: 200 })
      expect(getMany).not.toHaveBeenCalled()
      expect(await store.listUser('moved')).toEqual([])
      expect(await store.stats()).toMatchObject({ sessions: 0, expired: 0, users: 0 })
      await verify(store)
      await store.close()
    })

    it('reads what the index cannot vouch for: old entries, and sessions for expired listeners', async () => {
      const clock = new TestClock()
      const root = new MemoryLevel<string, string>()
      const store = owned(clock, root)
      for (let i = 0; i < 10; i++) await store.set(`s${i}`, { user: 'u' })
      // Entries written before values named owners hold '1'.
      const index = root.sublevel<string, string>('x', {})
      for await (const key of index.keys())
        if (key.endsWith('s0') || key.endsWith('s1')) await index.put(key, '1')
      clock.advance(EXPIRY_BUCKET + 1000)
      const getMany = vi.spyOn(root, 'getMany')
      expect(await store.prune()).toMatchObject({ deleted: 10 })
      expect(getMany).toHaveBeenCalledTimes(1)
      expect(getMany.mock.calls[0]![0]).toHaveLength(2)
      expect(await store.stats()).toMatchObject({ sessions: 0, users: 0 })
      await verify(store)

      for (let i = 0; i < 3; i++) await store.set(`t${i}`, { user: 'v' })
      clock.advance(EXPIRY_BUCKET + 1000)
      const expired: { id: string; userId?: string; expiresAt: number }[] = []
      store.on('expired', (e) => expired.push(e))
      expect(await store.prune()).toMatchObject({ deleted: 3 })
      expect(expired.map((e) => [e.id, e.userId, e.expiresAt <= clock.value])).toEqual([
        ['t0', 'v', true],
        ['t1', 'v', true],
        ['t2', 'v', true],
      ])
      await store.close()
    })

    it('an entry left behind by a corrupt record never deletes the live session, even after reopening', async () => {
      const clock = new TestClock()
      const path = await tempDir()
      const open = () =>
        createSessionStore({ path, cleanupInterval: 0, now: clock.now, cacheSize: 0 })
      const first = open()
      await first.set('a', { n: 1 }, { ttl: 60_000 })
      await first.set('other', { n: 1 }, { ttl: 60_000 })
      await first.close()
      // The record becomes unreadable: its expiry entry can no longer be found from it.
      const raw = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' })
      await raw
        .sublevel<string, Uint8Array>('s', { valueEncoding: 'view' })
        .put('a', new Uint8Array([9, 9]))
      await raw.close()
      const store = open()
      expect(await store.get('a')).toBeUndefined()
      await store.set('a', { n: 2 }, { ttl: 3_600_000 })
      // Two entries for 'a' now: the old one, due in a minute, and the live one.
      expect(await store.backend.verify!()).not.toEqual([])
      await store.close()
      clock.advance(5 * 60_000)
      const reopened = open()
      expect(await reopened.prune()).toMatchObject({ deleted: 1 })
      expect((await reopened.get('a'))?.data).toEqual({ n: 2 })
      expect(await reopened.get('other')).toBeUndefined()
      await verify(reopened)
      await reopened.close()
    })

    it('distrustIndex() (after LevelDB repair) makes sweeps read every session', async () => {
      const clock = new TestClock()
      const root = new MemoryLevel<string, string>()
      const store = owned(clock, root)
      await store.set('s1', { user: 'u' })
      await (store.backend as unknown as { distrustIndex(): Promise<void> }).distrustIndex()
      clock.advance(EXPIRY_BUCKET + 1000)
      const getMany = vi.spyOn(root, 'getMany')
      expect(await store.prune()).toMatchObject({ deleted: 1 })
      expect(getMany).toHaveBeenCalledTimes(1)
      expect(await root.sublevel<string, string>('m', {}).get('index-untrusted')).toBe('1')
      // clear() empties the index: it is trusted again, and sweeps read nothing.
      await store.clear()
      await store.set('s2', { user: 'u' })
      clock.advance(EXPIRY_BUCKET + 1000)
      getMany.mockClear()
      expect(await store.prune()).toMatchObject({ deleted: 1 })
      expect(getMany).not.toHaveBeenCalled()
      await store.close()
    })

    it('an untrusted index is not counted; rebuildIndexes() makes it exact and trusted', async () => {
      const clock = new TestClock()
      const root = new MemoryLevel<string, string>()
      const store = owned(clock, root)
      await Promise.all(['a', 'b', 'c'].map((id) => store.set(id, { user: 'u' })))
      // As LevelDB's repair may leave it: a session lost with its index entries kept, a session
      // whose expiry entry is lost, and a record nothing can read.
      const backend = store.backend as LevelBackend
      await backend.distrustIndex()
      const sessions = root.sublevel<string, Uint8Array>('s', { valueEncoding: 'view' })
      await sessions.del('a')
      const expiry = root.sublevel<string, string>('x', {})
      await expiry.del((await expiry.keys().all()).find((key) => key.endsWith('b'))!)
      await sessions.put('junk', new Uint8Array([9]))
      expect(await store.count()).toBe(2)
      expect(await store.stats()).toMatchObject({ sessions: 2, expired: 0, users: 1 })

      expect(await backend.rebuildIndexes()).toEqual({ sessions: 2, unreadable: 1 })
      await verify(store)
      expect(await root.sublevel<string, string>('m', {}).get('index-untrusted')).toBeUndefined()
      expect(await store.count()).toBe(2)
      expect((await store.listUser('u')).map((s) => s.id)).toEqual(['b', 'c'])
      // b's rebuilt entry lets the cleaner find it.
      clock.advance(EXPIRY_BUCKET + 1000)
      expect(await store.prune()).toMatchObject({ deleted: 2 })
      expect(await store.count()).toBe(0)
      await store.close()
    })

    it('a rebuild interrupted midway leaves the index distrusted, and the next open finishes it', async () => {
      const clock = new TestClock()
      const root = new MemoryLevel<string, string>()
      const store = owned(clock, root)
      const ids = Array.from({ length: 1500 }, (_, i) => `s${String(i).padStart(4, '0')}`)
      await Promise.all(ids.map((id) => store.set(id, { user: 'ann' })))
      // The markers' write goes through; the first chunk of index entries fails.
      const original = root.batch.bind(root) as (...args: unknown[]) => Promise<void>
      let calls = 0
      const batch = vi
        .spyOn(root, 'batch')
        .mockImplementation(((...args: unknown[]) =>
          ++calls === 2 ? Promise.reject(new Error('disk full')) : original(...args)) as never)
      await expect((store.backend as LevelBackend).rebuildIndexes()).rejects.toThrow('disk full')
      batch.mockRestore()
      // Cleared, then the first chunk failed: the index holds nothing.
      expect(await root.sublevel<string, string>('x', {}).keys().all()).toEqual([])
      // Distrusted: counted from the sessions, not from the half-built index; a user's sessions
      // are found by reading them all, so sign-out-everywhere still reaches every one.
      expect(await store.count()).toBe(1500)
      expect(await store.listUser('ann')).toHaveLength(1500)
      await store.close()

      const reopened = owned(clock, root)
      await reopened.ready()
      await verify(reopened)
      expect(await root.sublevel<string, string>('m', {}).get('index-rebuild')).toBeUndefined()
      expect(await root.sublevel<string, string>('m', {}).get('index-untrusted')).toBeUndefined()
      expect(await reopened.destroyUser('ann')).toBe(1500)
      await reopened.close()
    })

    it('a session set again while a sweep runs survives, though the sweep saw its old entry', async () => {
      const clock = new TestClock()
      const store = createSessionStore<{ n: number }>({
        path: await tempDir(),
        cleanupInterval: 0,
        now: clock.now,
        maxAge: 1000,
      })
      const ids = Array.from({ length: 2000 }, (_, i) => `id-${String(i).padStart(4, '0')}`)
      await Promise.all(ids.map((id) => store.set(id, { n: 1 })))
      clock.advance(EXPIRY_BUCKET + 1000)
      // Ids sort in index order: once the first chunk is gone, set the last ones again. The
      // sweep's snapshot still holds their old, expired entries.
      const again = ids.slice(-500)
      let renewing: Promise<unknown> | undefined
      const result = await store.prune({
        onProgress: () => {
          renewing ??= Promise.all(again.map((id) => store.set(id, { n: 2 })))
        },
      })
      await renewing
      expect(result.deleted).toBe(ids.length - again.length)
      for (const id of again) expect((await store.get(id))?.data).toEqual({ n: 2 })
      expect(await store.count()).toBe(again.length)
      await verify(store)
      await store.close()
    })

    it('two stores on one handle sweeping at once delete each session once', async () => {
      const dir = await tempDir()
      const clock = new TestClock()
      const options = { path: dir, cleanupInterval: 0, now: clock.now, maxAge: 1000 }
      const a = createSessionStore(options)
      const b = createSessionStore(options)
      expect(a.backend).toBe(b.backend)
      await Promise.all(Array.from({ length: 3000 }, (_, i) => a.set(`s${i}`, { i })))
      clock.advance(EXPIRY_BUCKET + 1000)
      // b's sweep starts once a's has deleted a chunk: its snapshot holds entries a deletes later.
      let second: ReturnType<typeof b.prune> | undefined
      const ra = await a.prune({ onProgress: () => void (second ??= b.prune()) })
      const rb = await second!
      // How the two split the work depends on scheduling (in one CI run a's sweep finished before
      // b's deleted anything); what must hold is that each session was deleted exactly once.
      expect(ra.deleted + rb.deleted).toBe(3000)
      expect(await a.count()).toBe(0)
      await verify(a)
      await Promise.all([a.close(), b.close()])
    })
  })

  it('writes text records straight from the text, and keeps bytes that text would not give back', async () => {
    const clock = new TestClock()
    const path = await tempDir()
    // A text codec whose output starts with a byte-order mark, which UTF-8 decoding drops.
    const codec = {
      encode: (data: unknown) => '\uFEFF' + JSON.stringify(data),
      decode: (text: string) => JSON.parse(text.replace(/^\uFEFF/, '')) as unknown,
    }
    const open = () =>
      createSessionStore({ path, cleanupInterval: 0, now: clock.now, codec, touchAfter: 0 })
    const first = open()
    await first.set('bom', { n: 'é' })
    await first.close()
    // Read back from disk, then touched from the cache: the bytes stay those the codec made.
    const store = open()
    for (let i = 0; i < 3; i++) {
      expect((await store.get('bom'))?.data).toEqual({ n: 'é' })
      clock.advance(1000)
      expect(await store.touch('bom')).toBe(true)
    }
    await store.set('plain', { n: 'ü' })
    await store.close()
    const db = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' })
    const raw = db.sublevel<string, Uint8Array>('s', { valueEncoding: 'view' })
    const tail = async (id: string, data: unknown) => {
      const want = new TextEncoder().encode(codec.encode(data))
      const bytes = (await raw.get(id))!
      expect(new Uint8Array(bytes.subarray(bytes.length - want.length))).toEqual(want)
    }
    await tail('bom', { n: 'é' })
    await tail('plain', { n: 'ü' })
    await db.close()
  })

  it('the cache holds at most cacheBytes of sessions: large ones cannot take its memory', async () => {
    const path = join(await tempDir(), 'big')
    const store = createSessionStore({ path, cleanupInterval: 0, cacheBytes: 1_000_000 })
    const big = 'x'.repeat(100_000)
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`)
    for (const id of ids) await store.set(id, { big })
    const cached = ids.filter((id) => store.peek(id) !== undefined)
    // Text counts two bytes a character, about 200 kB each: four fit, the one written last among them.
    expect(cached.length).toBeGreaterThan(0)
    expect(cached.length).toBeLessThanOrEqual(4)
    expect(cached).toContain('s39')
    // Every session is still there, read from disk when not cached.
    for (const id of ids) expect((await store.get(id))?.data).toEqual({ big })
    // One larger than the whole bound is never cached, and stays readable.
    await store.set('huge', { big: 'y'.repeat(1_000_000) })
    expect(store.peek('huge')).toBeUndefined()
    expect(((await store.get('huge'))?.data as { big: string }).big).toHaveLength(1_000_000)
    await store.close()
  })

  it('peek answers from the cache only, and only for live sessions', async () => {
    const clock = new TestClock()
    const store = createSessionStore({ db: new MemoryLevel(), cleanupInterval: 0, now: clock.now })
    const uncached = createSessionStore({
      db: new MemoryLevel(),
      cleanupInterval: 0,
      cacheSize: 0,
      now: clock.now,
    })
    await store.ready()
    expect(store.peek('a')).toBeUndefined()
    await store.set('a', { n: 1 }, { ttl: 1000 })
    expect(store.peek('a')).toEqual(await store.get('a'))
    expect(store.peek('')).toBeUndefined()
    clock.advance(1000)
    expect(store.peek('a')).toBeUndefined()
    expect(await store.get('a')).toBeUndefined()
    await store.set('b', { n: 2 })
    await store.destroy('b')
    expect(store.peek('b')).toBeUndefined()
    await uncached.set('c', { n: 3 })
    expect(uncached.peek('c')).toBeUndefined()
    expect((await uncached.get('c'))?.data).toEqual({ n: 3 })
    await store.close()
    await uncached.close()
  })

  it("an app's fake timers stall none of the store's writes, sweeps or user-wide calls", async () => {
    const store = createSessionStore({
      path: await tempDir(),
      cleanupInterval: 0,
      userId: (d: { user?: string }) => d.user,
    })
    await store.ready()
    vi.useFakeTimers({ now: Date.now() })
    try {
      await store.set('a', { user: 'ann' }, { ttl: 1000 })
      await store.set('b', { user: 'ann' }, { ttl: 60_000 })
      expect((await store.get('a'))?.data).toEqual({ user: 'ann' })
      // Date is faked too: moving it expires 'a' without running any timer.
      vi.setSystemTime(Date.now() + 2000)
      expect(await store.prune()).toMatchObject({ deleted: 1 })
      expect(await store.destroyUser('ann')).toBe(1)
      expect(await store.count()).toBe(0)
    } finally {
      vi.useRealTimers()
    }
    await store.close()
  })
})
