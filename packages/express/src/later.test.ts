import { AsyncLocalStorage } from 'node:async_hooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { later } from './later.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('later', () => {
  it('calls back after the ticks queued with it, in the order of the calls', async () => {
    const order: string[] = []
    const done = new Promise<void>((resolve) => {
      later((err, n: number) => order.push(`later ${n} ${err}`), 1)
      later((err, n: number) => {
        order.push(`later ${n} ${err}`)
        resolve()
      }, 2)
    })
    process.nextTick(() => order.push('tick'))
    void Promise.resolve().then(() => order.push('microtask'))
    expect(order).toEqual([])
    await done
    expect(order.slice(0, 2).sort()).toEqual(['microtask', 'tick'])
    expect(order.slice(2)).toEqual(['later 1 null', 'later 2 null'])
  })

  it('runs each callback in the async context of its own call', async () => {
    const als = new AsyncLocalStorage<string>()
    const seen = await Promise.all(
      ['a', 'b', 'c'].map((request) =>
        als.run(
          request,
          () =>
            new Promise<string | undefined>((resolve) => later(() => resolve(als.getStore()), 0)),
        ),
      ),
    )
    expect(seen).toEqual(['a', 'b', 'c'])
    expect(als.getStore()).toBeUndefined()
  })

  it('still runs the other callbacks when one throws', () => {
    const turns: (() => void)[] = []
    vi.spyOn(globalThis, 'setImmediate').mockImplementation(((fn: () => void) => {
      turns.push(fn)
    }) as typeof setImmediate)
    const ran: number[] = []
    later(() => ran.push(1), 0)
    later(() => {
      throw new Error('from a callback')
    }, 0)
    later(() => ran.push(3), 0)
    expect(turns).toHaveLength(1) // one turn for all three
    expect(() => turns[0]!()).toThrow('from a callback')
    expect(ran).toEqual([1])
    // The rest go on the next turn, ahead of anything queued since.
    later(() => ran.push(4), 0)
    expect(turns).toHaveLength(2)
    turns[1]!()
    expect(ran).toEqual([1, 3, 4])
    expect(turns).toHaveLength(2)
  })
})
