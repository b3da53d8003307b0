/**
 * @module
 * The stored form of one session in the Level backend: a small binary header (format, times,
 * user id) followed by the codec's bytes, so reading the times never decodes the data.
 *
 *   [0]      format version (1)
 *   [1..8]   createdAt, float64 big-endian
 *   [9..16]  expiresAt, float64 big-endian
 *   [17..18] byte length of the user id (0 = none), uint16 big-endian
 *   [...]    user id (UTF-8), then the encoded session data
 */
import type { StoredSession } from '../types.js'
import { exactText } from '../text-session.js'

const FORMAT = 1
const HEADER = 19

export function encodeRecord(session: StoredSession): Buffer {
  const { userId } = session
  const userLength = userId === undefined ? 0 : Buffer.byteLength(userId, 'utf8')
  // Text is written straight into the record: no intermediate copy of its bytes.
  const text = exactText(session)
  const value = text === undefined ? session.value : undefined
  const dataLength = value?.byteLength ?? Buffer.byteLength(text!, 'utf8')
  const out = Buffer.allocUnsafe(HEADER + userLength + dataLength)
  out[0] = FORMAT
  out.writeDoubleBE(session.createdAt, 1)
  out.writeDoubleBE(session.expiresAt, 9)
  out.writeUInt16BE(userLength, 17)
  if (userId !== undefined) out.write(userId, HEADER, 'utf8')
  if (value !== undefined) out.set(value, HEADER + userLength)
  else out.write(text!, HEADER + userLength, 'utf8')
  return out
}

/** Decodes a stored record; throws on a record this version cannot read. */
export function decodeRecord(id: string, raw: Uint8Array): StoredSession {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (buf.byteLength < HEADER || buf[0] !== FORMAT) {
    throw new Error(`unknown record format ${buf[0] ?? 'empty'}`)
  }
  const userLength = buf.readUInt16BE(17)
  if (HEADER + userLength > buf.byteLength) throw new Error('truncated record')
  const record: { -readonly [K in keyof StoredSession]: StoredSession[K] } = {
    id,
    value: buf.subarray(HEADER + userLength),
    createdAt: buf.readDoubleBE(1),
    expiresAt: buf.readDoubleBE(9),
  }
  if (userLength > 0) record.userId = buf.toString('utf8', HEADER, HEADER + userLength)
  return record
}
