import { describe, expect, it } from 'vitest'
import { exactText } from '@levelsession/core'
import {
  ABSENT,
  encodeRecord,
  expectedOf,
  hasToken,
  keptRecord,
  newToken,
  parseRecord,
} from './record.js'

describe('records and tokens', () => {
  const b = (s: string) => Buffer.from(s, 'latin1')
  /** What Redis stores: a string record is sent as UTF-8. */
  const stored = (record: string | Buffer) =>
    typeof record === 'string' ? Buffer.from(record) : record

  it('writes and reads a record, with a user id or without, and binary data', () => {
    const value = Buffer.from([0, 255, 0, 10])
    const record = stored(
      encodeRecord('t1', { id: 'x', value, createdAt: 5, expiresAt: 9, userId: 'änn' }),
    )
    expect(record.toString('latin1', 0, 8)).toBe('t1\0' + '5\0' + '9\0' + 'Ã')
    expect(parseRecord('x', record)).toEqual({
      token: 't1',
      session: { id: 'x', value, createdAt: 5, expiresAt: 9, userId: 'änn' },
      corrupt: false,
    })
    const plain = stored(
      encodeRecord('t2', { id: 'y', value: new Uint8Array(), createdAt: 1, expiresAt: 2 }),
    )
    expect(plain.toString('latin1')).toBe('t2\0' + '1\0' + '2\0' + '\0')
    expect(parseRecord('y', plain).session).toEqual({
      id: 'y',
      value: Buffer.alloc(0),
      createdAt: 1,
      expiresAt: 2,
    })
    expect(() =>
      encodeRecord('t', { id: 'z', value, createdAt: 1, expiresAt: 2, userId: 'a\0' }),
    ).toThrow(TypeError)
  })

  it('writes a text record as a string when the session carries its text', () => {
    const text = '{"n":"é"}'
    const session = { id: 'x', value: Buffer.from(text), text, createdAt: 5, expiresAt: 9 }
    const record = encodeRecord('t1', { ...session, userId: 'ann' })
    expect(record).toBe('t1\0' + '5\0' + '9\0' + 'ann\0' + text)
    expect(parseRecord('x', stored(record)).session).toEqual({
      id: 'x',
      value: Buffer.from(text),
      createdAt: 5,
      expiresAt: 9,
      userId: 'ann',
    })
    // A text that is not the value's (a stale copy from a spread) is not trusted.
    expect(Buffer.isBuffer(encodeRecord('t1', { ...session, text: '{}' }))).toBe(true)
  })

  it('tells whether a record carries a token, and what a compare-and-set expects', () => {
    const record = stored(
      encodeRecord('tok', { id: 'x', value: b('v'), createdAt: 1, expiresAt: 2 }),
    )
    expect(hasToken(record, 'tok')).toBe(true)
    expect(hasToken(record, 'to')).toBe(false)
    expect(hasToken(record, 'tok2')).toBe(false)
    expect(hasToken(record, '')).toBe(false)
    expect(expectedOf(parseRecord('x', record))).toBe('tok\0')
    expect(expectedOf(ABSENT)).toBe('')
    // Not records: the token bytes and NUL, or the whole value when it has no NUL.
    expect(expectedOf(parseRecord('x', b('t\xe9\0junk')))).toEqual(b('t\xe9\0'))
    expect(expectedOf(parseRecord('x', b('junk')))).toEqual(b('junk'))
  })

  it('reads an absent key as ABSENT and an incomplete record as corrupt, keeping its token', () => {
    expect(parseRecord('x', null)).toBe(ABSENT)
    for (const [raw, token] of [
      ['t1', 't1'],
      ['t1\0' + '5', 't1'],
      ['t1\0' + '5\0' + '9', 't1'],
      ['t1\0' + '5\0' + 'x\0' + '\0', 't1'],
      ['\0' + '5\0' + '9\0' + '\0', ''],
      ['t\xe9\0' + '1\0' + '99999999999999999\0' + '\0', 't\xe9'],
    ]) {
      expect(parseRecord('x', b(raw!))).toMatchObject({ token, session: undefined, corrupt: true })
    }
  })

  it('keeps a record as text, or as bytes of its own, never as a view of the reply', () => {
    // The reply sits in a larger read buffer, as node-redis's replies do.
    const inBuffer = (record: Buffer) => {
      const socket = Buffer.alloc(record.length + 20, 0x7a)
      record.copy(socket, 10)
      return { socket, reply: socket.subarray(10, 10 + record.length) }
    }
    const text = '{"n":"é"}'
    const { socket, reply } = inBuffer(
      stored(
        encodeRecord('t1', {
          id: 'x',
          value: Buffer.from(text),
          createdAt: 5,
          expiresAt: 9,
          userId: 'ann',
        }),
      ),
    )
    const kept = keptRecord('x', reply)
    expect(kept).toMatchObject({ token: 't1', corrupt: false })
    expect(kept.session).toMatchObject({ id: 'x', createdAt: 5, expiresAt: 9, userId: 'ann' })
    // Text core reads as it is (no decoding later), whose bytes are the value's.
    expect(exactText(kept.session!)).toBe(text)
    expect(Buffer.from(kept.session!.value)).toEqual(Buffer.from(text))
    socket.fill(0)
    expect(exactText(kept.session!)).toBe(text)

    // Bytes that are not UTF-8, or that decoding would change (a byte-order mark): a copy.
    for (const value of [Buffer.from([0, 255, 0, 10]), Buffer.from('\ufeff{}')]) {
      const { socket, reply } = inBuffer(
        stored(
          encodeRecord('t2', {
            id: 'y',
            value,
            createdAt: 1,
            expiresAt: 2,
          }),
        ),
      )
      const bytes = keptRecord('y', reply)
      expect(exactText(bytes.session!)).toBeUndefined()
      // Not a slice of a shared pool: its memory is its own.
      expect(bytes.session!.value.buffer.byteLength).toBe(value.byteLength)
      socket.fill(0)
      expect(bytes).toEqual({
        token: 't2',
        session: { id: 'y', value, createdAt: 1, expiresAt: 2 },
        corrupt: false,
      })
    }

    // A corrupt record keeps a copy of what a compare-and-set must find.
    const broken = inBuffer(b('t3\0' + '5'))
    const corrupt = keptRecord('z', broken.reply)
    broken.socket.fill(0)
    expect(corrupt).toEqual({ token: 't3', session: undefined, corrupt: true, raw: b('t3\0') })
  })

  it('never repeats a token', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newToken()))
    expect(tokens.size).toBe(1000)
  })
})
