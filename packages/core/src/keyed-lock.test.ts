import { describe, expect, it } from 'vitest'
import { KeyedLock } from './keyed-lock.js'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('KeyedLock', () => {
  it('tells whether tasks wait behind the running one', async () => {
    const lock = new KeyedLock()
    let release!: () => void
    const first = lock.run('k', () => new Promise<void>((resolve) => (release = resolve)))
    expect([lock.isLocked('k'), lock.hasWaiters('k')]).toEqual([true, false])
    const second = lock.run('k', () => Promise.resolve())
    expect(lock.hasWaiters('k')).toBe(true)
    release()
    await Promise.all([first, second])
    expect([lock.isLocked('k'), lock.hasWaiters('k')]).toEqual([false, false])
  })

  it('runs tasks on one key one at a time, in arrival order, and others at once', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    let active = 0
    const task = (name: string) => async () => {
      active++
      expect(active).toBe(1)
      log.push(`start ${name}`)
      await tick()
      log.push(`end ${name}`)
      active--
      return name
    }
    const other = lock.run('b', () => Promise.resolve('other'))
    const results = await Promise.all([
      lock.run('a', task('1')),
      lock.run('a', task('2')),
      lock.run('a', task('3')),
      other,
    ])
    expect(results).toEqual(['1', '2', '3', 'other'])
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3'])
    expect(lock.isLocked('a')).toBe(false)
    expect(lock.isLocked('b')).toBe(false)
  })

  it('passes the key on after a task that throws or rejects', async () => {
    const lock = new KeyedLock()
    const thrown = lock.run('a', () => {
      throw new Error('sync')
    })
    const rejected = lock.run('a', () => Promise.reject(new Error('async')))
    const next = lock.run('a', () => Promise.resolve('ok'))
    await expect(thrown).rejects.toThrow('sync')
    await expect(rejected).rejects.toThrow('async')
    await expect(next).resolves.toBe('ok')
    expect(lock.isLocked('a')).toBe(false)
  })

  it('tryLockMany skips busy keys, and its release hands keys to waiters once', async () => {
    const lock = new KeyedLock()
    let finish!: () => void
    const busy = lock.run('busy', () => new Promise<void>((resolve) => (finish = resolve)))
    const { taken, release } = lock.tryLockMany(['free', 'busy', 'other'])
    expect(taken).toEqual(['free', 'other'])
    let ran = false
    const waiting = lock.run('free', () => {
      ran = true
      return Promise.resolve()
    })
    await tick()
    expect(ran).toBe(false)
    release()
    release()
    await waiting
    expect(ran).toBe(true)
    expect(lock.isLocked('free')).toBe(false)
    expect(lock.isLocked('other')).toBe(false)
    expect(lock.isLocked('busy')).toBe(true)
    finish()
    await busy
    expect(lock.isLocked('busy')).toBe(false)
  })

  it("runs the caller's settled callback once each task settles, after handing the key on", async () => {
    const lock = new KeyedLock()
    const events: string[] = []
    let fail!: (error: Error) => void
    const first = lock.run(
      'k',
      () => new Promise<void>((_, reject) => (fail = reject)),
      () => events.push(`first settled, locked: ${lock.isLocked('k')}`),
    )
    const second = lock.run(
      'k',
      () => (events.push('second runs'), Promise.resolve(2)),
      () => events.push(`second settled, locked: ${lock.isLocked('k')}`),
    )
    await tick()
    expect(events).toEqual([])
    fail(new Error('no'))
    await expect(first).rejects.toThrow('no')
    expect(await second).toBe(2)
    // The key passed to the second task before the first's callback ran.
    expect(events).toEqual([
      'second runs',
      'first settled, locked: true',
      'second settled, locked: false',
    ])
  })
})
