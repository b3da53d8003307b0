import { Writable } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import {
  formatBytes,
  formatDuration,
  formatTime,
  LineWriter,
  OutputClosedError,
  printable,
  printResult,
  table,
} from './output.js'

describe('LineWriter', () => {
  it('waits for drain when the stream is full, and keeps every line in order', async () => {
    const chunks: string[] = []
    let pending = 0
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, done) {
        pending++
        setTimeout(() => {
          chunks.push(chunk.toString())
          pending--
          done()
        }, 1)
      },
    })
    const out = new LineWriter(slow, 32)
    let maxPending = 0
    for (let i = 0; i < 200; i++) {
      await out.line(`line ${i}`)
      maxPending = Math.max(maxPending, pending)
    }
    await out.flush()
    await new Promise((resolve) => slow.end(resolve))
    expect(chunks.join('')).toBe(Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join(''))
    // Never more than one chunk waiting: the writer awaited drain instead of piling up.
    expect(maxPending).toBeLessThanOrEqual(1)
  })

  it('turns a closed pipe into OutputClosedError', async () => {
    const closed = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
      },
    })
    const out = new LineWriter(closed, 1)
    await out.line('a').catch(() => undefined)
    await new Promise((resolve) => setImmediate(resolve))
    await expect(out.line('b')).rejects.toBeInstanceOf(OutputClosedError)
  })
})

describe('formatting', () => {
  it('formats sizes, durations and tables', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB')
    expect(formatDuration(250)).toBe('250 ms')
    expect(formatDuration(90_000)).toBe('1m 30s')
    expect(formatDuration(3 * 86_400_000 + 7_200_000)).toBe('3d 2h')
    expect(
      table([
        ['a', '1'],
        ['long', '2'],
      ]),
    ).toEqual(['a     1', 'long  2'])
  })
})

describe('terminal safety', () => {
  it('human output escapes controls and bidi overrides, and keeps its line breaks', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    let written: string[]
    try {
      printResult(false, {}, () => ['key \u001b[2Kx\u009b', 'rtl \u202e.'])
      printResult(true, { id: '\u001b' }, () => 'unused')
    } finally {
      written = write.mock.calls.map(([text]) => String(text))
      write.mockRestore()
    }
    expect(written).toEqual(['key \\u001b[2Kx\\u009b\nrtl \\u202e.\n', '{"id":"\\u001b"}\n'])
  })

  it('printable makes one value unambiguous on its line', () => {
    expect(printable('a\nb\\u000a\r')).toBe('a\\u000ab\\\\u000a\\u000d')
    expect(printable('plain id')).toBe('plain id')
  })
})

describe('formatTime', () => {
  it('shows a time with its distance from now, and a number no Date holds as it is', () => {
    const now = Date.UTC(2030, 0, 1)
    expect(formatTime(now + 90_000, now)).toBe('2030-01-01T00:01:30.000Z (in 1m 30s)')
    expect(formatTime(undefined)).toBe('-')
    expect(formatTime(9e15, now)).toMatch(/^9000000000000000 ms \(in /)
  })
})
