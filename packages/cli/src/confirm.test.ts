import { afterEach, describe, expect, it, vi } from 'vitest'

const question = vi.fn<() => Promise<string>>()
vi.mock('node:readline/promises', () => ({
  createInterface: () => ({ question, close: () => undefined }),
}))
const { confirm } = await import('./confirm.js')

/** Runs `task` as if stdin and stderr were terminals. */
async function onTerminal<T>(task: () => Promise<T>): Promise<T> {
  const saved = [process.stdin.isTTY, process.stderr.isTTY]
  process.stdin.isTTY = true
  process.stderr.isTTY = true
  try {
    return await task()
  } finally {
    ;[process.stdin.isTTY, process.stderr.isTTY] = saved as [true, true]
  }
}

describe('confirm', () => {
  afterEach(() => question.mockReset())

  it('goes on for y or yes, and cancels for anything else', async () => {
    question.mockResolvedValueOnce(' Yes ')
    await onTerminal(() => confirm('Delete?', undefined))
    question.mockResolvedValueOnce('no')
    await expect(onTerminal(() => confirm('Delete?', undefined))).rejects.toMatchObject({
      code: 'ERR_CANCELLED',
    })
  })

  it('cancels on Ctrl-C or Ctrl-D at the prompt (readline rejects)', async () => {
    question.mockRejectedValueOnce(Object.assign(new Error('Aborted'), { code: 'ABORT_ERR' }))
    await expect(onTerminal(() => confirm('Delete?', undefined))).rejects.toMatchObject({
      code: 'ERR_CANCELLED',
      message: 'Cancelled; nothing was changed.',
    })
  })

  it('needs --yes without a terminal, and asks nothing with it', async () => {
    await expect(confirm('Delete?', undefined)).rejects.toMatchObject({ code: 'ERR_USAGE' })
    await confirm('Delete?', true)
    expect(question).not.toHaveBeenCalled()
  })
})
