import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
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
