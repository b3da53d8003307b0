import { describe, expect, it } from 'vitest'
import { parseSnapshotLine, snapshotLine } from './snapshot.js'

const valid = { id: 'abc', data: { n: 1 }, createdAt: 10, expiresAt: 20 }

describe('parseSnapshotLine', () => {
  it('accepts an export line, with or without a user id', () => {
    expect(parseSnapshotLine(JSON.stringify(valid))).toEqual({ ok: true, snapshot: valid })
    expect(parseSnapshotLine(JSON.stringify({ ...valid, userId: 'ann' }))).toEqual({
      ok: true,
      snapshot: { ...valid, userId: 'ann' },
    })
    expect(parseSnapshotLine(JSON.stringify({ ...valid, userId: null }))).toEqual({
      ok: true,
      snapshot: valid,
    })
  })

  it.each([
    ['{', /not valid JSON/],
    ['null', /not a JSON object/],
    ['[]', /not a JSON object/],
    ['"text"', /not a JSON object/],
    [JSON.stringify({ ...valid, id: '' }), /"id"/],
    [JSON.stringify({ ...valid, id: 'x'.repeat(257) }), /"id"/],
    [JSON.stringify({ ...valid, id: 7 }), /"id"/],
    [JSON.stringify({ id: 'a', createdAt: 1, expiresAt: 2 }), /"data" is missing/],
    [JSON.stringify({ ...valid, createdAt: '10' }), /"createdAt"/],
    [JSON.stringify({ ...valid, expiresAt: 1.5 }), /"expiresAt"/],
    [JSON.stringify({ ...valid, expiresAt: -1 }), /"expiresAt"/],
    [JSON.stringify({ ...valid, createdAt: 30 }), /after/],
    [JSON.stringify({ ...valid, userId: 5 }), /"userId"/],
  ])('rejects %s', (line, reason) => {
    const parsed = parseSnapshotLine(line)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toMatch(reason)
  })

  it('snapshotLine writes what parseSnapshotLine reads', () => {
    for (const record of [valid, { ...valid, userId: 'bob' }]) {
      expect(parseSnapshotLine(snapshotLine(record))).toEqual({ ok: true, snapshot: record })
    }
    expect(snapshotLine({ ...valid, userId: undefined })).toBe(JSON.stringify(valid))
  })
})
