import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress, progressEnabled } from './progress.js'

/** A stream that claims to be a terminal, recording what is drawn. */
function fakeTerminal(): NodeJS.WriteStream & { text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string }
  let text = ''
  ;(stream as unknown as PassThrough).on('data', (chunk: Buffer) => (text += chunk.toString()))
  Object.assign(stream, {
    isTTY: true,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    text: () => text,
  })
  return stream
}

describe('progress', () => {
  it('is drawn only on a terminal, and not with --json or --no-progress', () => {
    expect(progressEnabled({}, { isTTY: true })).toBe(true)
    expect(progressEnabled({}, { isTTY: false })).toBe(false)
    expect(progressEnabled({}, {})).toBe(false)
    expect(progressEnabled({ json: true }, { isTTY: true })).toBe(false)
    expect(progressEnabled({ progress: false }, { isTTY: true })).toBe(false)
  })

  it('draws a bar with the count on a terminal', () => {
    const stream = fakeTerminal()
    const progress = createProgress('Pruning', { unit: 'sessions', stream })
    expect(progress.enabled).toBe(true)
    progress.start(10)
    progress.update(4)
    progress.stop()
    expect(stream.text()).toContain('Pruning [')
    expect(stream.text()).toContain('/10 sessions')
  })

  it('draws nothing elsewhere', () => {
    const stream = fakeTerminal()
    const progress = createProgress('Pruning', { json: true, stream })
    progress.start(10)
    progress.update(4)
    progress.stop()
    expect(progress.enabled).toBe(false)
    expect(stream.text()).toBe('')
  })
})
