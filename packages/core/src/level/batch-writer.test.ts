import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterAll, describe, expect, it } from 'vitest'
import type { AbstractSublevel } from 'abstract-level'
import type { AnyLevel } from './backend.js'
import { BatchWriter } from './batch-writer.js'

const put = (key: string) => [{ type: 'put' as const, key, value: 'v' }]

async function writerOn() {
  const db = new MemoryLevel<string, string>()
  await db.open()
  const batches: number[] = []
  db.on('write', (ops: unknown[]) => batches.push(ops.length))
  return { db, batches, writer: new BatchWriter(db, false) }
}

describe('BatchWriter', () => {
  it('writes of one turn of the event loop go out as one batch', async () => {
    const { db, batches, writer } = await writerOn()
    await Promise.all([writer.write(put('a')), writer.write(put('b')), writer.write(put('c'))])
    expect(batches).toEqual([3])
    expect(await db.getMany(['a', 'b', 'c'])).toEqual(['v', 'v', 'v'])
  })

  it('many writes from separate callers start the first batch early, the rest follow', async () => {
    const { db, batches, writer } = await writerOn()
    const writes: Promise<void>[] = []
    for (let i = 0; i < 40; i++) {
      // Each caller writes from its own continuation, as 64 requests in flight do.
      await Promise.resolve()
      writes.push(writer.write(put(`k${i}`)))
    }
    await Promise.all(writes)
    expect(batches.length).toBeGreaterThan(1)
    expect(batches[0]).toBeLessThan(40)
    expect(batches.reduce((a, b) => a + b)).toBe(40)
    expect((await db.keys().all()).length).toBe(40)
  })

  it('a failed batch rejects each of its writes, and later writes still go out', async () => {
    const { db, writer } = await writerOn()
    const bad = [{ type: 'put' as const, key: 'x', value: undefined as unknown as string }]
    const results = await Promise.allSettled([writer.write(bad), writer.write(put('y'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    await writer.write(put('z'))
    expect(await db.get('z')).toBe('v')
    await writer.idle()
  })
})

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySublevel = AbstractSublevel<AnyLevel, any, any, any>

describe('BatchWriter on classic-level', () => {
  const dirs: string[] = []
  const open = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-writer-'))
    dirs.push(dir)
    const db = new ClassicLevel(dir) as unknown as AnyLevel
    await db.open()
    const text = db.sublevel('x', { keyEncoding: 'utf8', valueEncoding: 'utf8' }) as AnySublevel
    const bytes = db.sublevel('s', { keyEncoding: 'utf8', valueEncoding: 'buffer' }) as AnySublevel
    // abstract-level's public path prefixes each op's key through the root's prefixKey; the
    // direct path never calls it. The direct path's options reach the chained batch's _write as
    // given, and every batch it attaches to the database is detached again.
    let publicOps = 0
    const root = db as unknown as { prefixKey: (...args: unknown[]) => unknown }
    const prefixKey = root.prefixKey.bind(db)
    root.prefixKey = (...args) => (publicOps++, prefixKey(...args))
    const options: object[] = []
    interface Raw {
      _write: (options: object) => Promise<void>
      _put: (key: string, value: unknown) => void
    }
    const raw = db as unknown as { _chainedBatch: () => Raw }
    const chained = raw._chainedBatch.bind(db)
    let batches = 0
    // A put of a key ending in `!` is added to the batch, then throws.
    raw._chainedBatch = () => {
      batches++
      const batch = chained()
      const write = batch._write.bind(batch)
      batch._write = (opts) => (options.push(opts), write(opts))
      const put = batch._put.bind(batch)
      batch._put = (key, value) => {
        put(key, value)
        if (key.endsWith('!')) throw new Error('refused')
      }
      return batch
    }
    const attached = new Set<unknown>()
    const resources = db as unknown as Record<
      'attachResource' | 'detachResource',
      (r: object) => void
    >
    for (const method of ['attachResource', 'detachResource'] as const) {
      const original = resources[method].bind(db)
      resources[method] = (r) => {
        if (method === 'attachResource') attached.add(r)
        else attached.delete(r)
        original(r)
      }
    }
    return {
      db,
      text,
      bytes,
      options,
      publicCount: () => publicOps,
      attached,
      batches: () => batches,
    }
  }
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  it("writes our sublevels' ops through classic-level directly, byte for byte as batch() would", async () => {
    const { db, text, bytes, options, publicCount, attached } = await open()
    const writer = new BatchWriter(db, false)
    const value = Buffer.from([0, 1, 2, 0xff, 0xfe])
    await writer.write([
      { type: 'put', sublevel: text, key: 'k\u00e9y', value: 'v\u00e9\u{1f600}' },
      { type: 'put', sublevel: bytes, key: 'b', value },
      { type: 'put', sublevel: bytes, key: 'gone', value },
    ])
    await writer.write([{ type: 'del', sublevel: bytes, key: 'gone' }])
    expect(publicCount()).toBe(0)
    expect(await text.get('k\u00e9y')).toBe('v\u00e9\u{1f600}')
    expect(await bytes.get('b')).toEqual(value)
    expect(await bytes.get('gone')).toBeUndefined()
    // The same ops through the public path give the same keys and values.
    const direct = await db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }).all()
    await db.clear()
    await db.batch([
      { type: 'put', sublevel: text, key: 'k\u00e9y', value: 'v\u00e9\u{1f600}' },
      { type: 'put', sublevel: bytes, key: 'b', value },
    ])
    expect(await db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }).all()).toEqual(
      direct,
    )
    // Strict durability reaches LevelDB as its sync option.
    options.length = 0
    const before = publicCount()
    await new BatchWriter(db, true).write([{ type: 'put', sublevel: text, key: 's', value: '1' }])
    await writer.write([{ type: 'put', sublevel: text, key: 'r', value: '1' }])
    expect(options).toEqual([{ sync: true }, {}])
    expect(publicCount()).toBe(before)
    // Sublevels stay attached to their database; no batch does.
    const names = [...attached].map((r) => (r as object).constructor.name)
    expect(names.filter((name) => name !== 'AbstractSublevel')).toEqual([])
    expect(names.length).toBeGreaterThan(0) // the spy sees what is attached
    await db.close()
  })

  it('reuses one chained batch, cleared each time; a batch over 1 MiB takes the public path', async () => {
    const { db, text, bytes, publicCount, batches } = await open()
    const writer = new BatchWriter(db, false)
    for (let i = 0; i < 5; i++) {
      await writer.write([{ type: 'put', sublevel: text, key: `k${i}`, value: String(i) }])
    }
    expect(batches()).toBe(1)
    // A put that throws half-way fails its batch, and leaves nothing for the next one to write.
    await expect(
      writer.write([
        { type: 'put', sublevel: text, key: 'first', value: '1' },
        { type: 'put', sublevel: text, key: 'then!', value: '2' },
      ]),
    ).rejects.toThrow('refused')
    await writer.write([{ type: 'put', sublevel: text, key: 'after', value: '3' }])
    expect(publicCount()).toBe(0)
    expect(await text.getMany(['first', 'then!', 'after'])).toEqual([undefined, undefined, '3'])
    // Large: the public path, whose native copy is freed once written (a chained batch's is
    // freed only when garbage collected). Exactly 1 MiB still goes directly.
    const large = Buffer.alloc((1 << 20) + 1, 7)
    const edge = Buffer.alloc((1 << 20) - 'edge'.length, 8)
    let before = publicCount()
    await writer.write([{ type: 'put', sublevel: bytes, key: 'large', value: large }])
    expect(publicCount()).toBe(before + 1)
    before = publicCount()
    await writer.write([{ type: 'put', sublevel: bytes, key: 'edge', value: edge }])
    expect(publicCount()).toBe(before)
    expect(batches()).toBe(1)
    expect(await bytes.getMany(['large', 'edge'])).toEqual([large, edge])
    await db.close()
  })

  it('takes the public path whenever something could tell the difference', async () => {
    const { db, text, bytes, publicCount } = await open()
    const writer = new BatchWriter(db, false)
    const seen: unknown[] = []
    const listener = (ops: unknown[]) => seen.push(...ops)
    db.on('write', listener)
    await writer.write([{ type: 'put', sublevel: text, key: 'a', value: '1' }])
    expect(seen).toHaveLength(1)
    db.off('write', listener)
    const hooked: string[] = []
    const hook = (op: { key: string }) => void hooked.push(op.key)
    db.hooks.prewrite.add(hook)
    await writer.write([{ type: 'put', sublevel: text, key: 'b', value: '2' }])
    expect(hooked).toEqual(['b'])
    db.hooks.prewrite.delete(hook)
    // Bytes into a utf8 sublevel, and a key outside our sublevels.
    await writer.write([{ type: 'put', sublevel: text, key: 'c', value: Buffer.from('3') }])
    await writer.write([{ type: 'put', key: 'root', value: '4' }])
    expect(publicCount()).toBe(4)
    await writer.write([{ type: 'put', sublevel: bytes, key: 'd', value: Buffer.from('5') }])
    expect(publicCount()).toBe(4)
    // A batch() wrapped by the application sees every batch.
    const wrapped: number[] = []
    const batch = db.batch.bind(db)
    Object.assign(db, {
      batch: (ops: unknown[], ...rest: unknown[]) => (
        wrapped.push(ops.length),
        batch(ops as never, ...(rest as []))
      ),
    })
    await writer.write([{ type: 'put', sublevel: bytes, key: 'f', value: Buffer.from('7') }])
    expect(wrapped).toEqual([1])
    expect(publicCount()).toBe(5)
    expect(await text.getMany(['a', 'b', 'c'])).toEqual(['1', '2', '3'])
    // A closed database: the public path's typed error, not a native failure.
    await db.close()
    await expect(
      writer.write([{ type: 'put', sublevel: text, key: 'e', value: '6' }]),
    ).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
  })
})
