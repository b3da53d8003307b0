import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isoDate } from './iso-date.js'

describe('isoDate', () => {
  it('formats as Date#toISOString does', () => {
    const max = 253_402_300_799_999
    for (const ms of [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 4_107_542_400_000, max]) {
      expect(isoDate(ms)).toBe(new Date(ms).toISOString())
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max }), (ms) => isoDate(ms) === new Date(ms).toISOString()),
      { numRuns: 20_000 },
    )
  })

  it('leaves other values to the built-in formatter', () => {
    for (const ms of [-1, 253_402_300_800_000, 1.5]) {
      expect(isoDate(ms)).toBe(new Date(ms).toISOString())
    }
    expect(() => isoDate(Number.NaN)).toThrow(RangeError)
  })
})
