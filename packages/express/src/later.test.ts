import { AsyncLocalStorage } from 'node:async_hooks'
import { describe, expect, it, vi } from 'vitest'
import { later } from './later.js'

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

  it('reports a throwing callback as uncaught, in its context, after the others ran', async () => {
    const als = new AsyncLocalStorage<string>()
    // Vitest's own listener would fail the run; this test owns the exception instead.
    const listeners = process.rawListeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    try {
      const ran: number[] = []
      const uncaught = new Promise<{ error: unknown; context: unknown; ran: number[] }>((resolve) =>
        process.once('uncaughtException', (error) =>
          resolve({ error, context: als.getStore(), ran: [...ran] }),
        ),
      )
      const done = new Promise<void>((resolve) => {
        later(() => ran.push(1), 0)
        als.run('thrower', () =>
          later(() => {
            // Queued from inside the turn: runs on the next one, after the exception.
            later(() => {
              ran.push(4)
              resolve()
            }, 0)
            throw new Error('from a callback')
          }, 0),
        )
        later(() => ran.push(3), 0)
      })
      const report = await uncaught
      await done
      expect((report.error as Error).message).toBe('from a callback')
      expect(report.context).toBe('thrower')
      expect(report.ran).toEqual([1, 3])
      expect(ran).toEqual([1, 3, 4])
    } finally {
      process.removeAllListeners('uncaughtException')
      for (const listener of listeners) {
        process.on('uncaughtException', listener as (error: Error) => void)
      }
    }
  })

  it('calls back under fake timers, and after they are removed with a call pending', async () => {
    vi.useFakeTimers()
    try {
      await new Promise<void>((resolve) => later(() => resolve(), 0))
      const pending = new Promise<void>((resolve) => later(() => resolve(), 0))
      vi.useRealTimers()
      await pending
    } finally {
      vi.useRealTimers()
    }
  })
})
