/**
 * @module
 * The default codec and the conversion between a codec's output and stored bytes.
 */
import { SessionDecodeError, SessionEncodeError, SessionTooLargeError } from './errors.js'
import type { Codec, TextCodec } from './types.js'

/** JSON, as every Node.js session store uses: Dates come back as ISO strings. */
export const jsonCodec: TextCodec<never> = {
  encode(data: unknown): string {
    const text = JSON.stringify(data) as string | undefined
    if (typeof text !== 'string') throw new TypeError('the data is not JSON-serialisable')
    return text
  },
  decode(text: string): never {
    return JSON.parse(text) as never
  },
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

/**
 * `bytes` as text when encoding that text gives the same bytes back (valid UTF-8 without a
 * byte-order mark, which decoding drops), else `undefined`.
 */
export function losslessText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return undefined
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * A session's encoded form: the stored bytes, and the text a text codec produced. When `text` is
 * present, `value` is exactly its UTF-8 encoding.
 */
export interface Encoded {
  readonly value: Uint8Array
  readonly text?: string | undefined
}

/**
 * A text codec's output: the bytes are made only if something asks for them. The Level backend
 * writes the text straight into its record, so a write makes no intermediate copy.
 */
export class EncodedText implements Encoded {
  readonly text: string

  constructor(text: string) {
    this.text = text
  }

  get value(): Uint8Array {
    return utf8Bytes(this.text)
  }
}

/**
 * Encodes data to stored bytes, enforcing the size limit; synchronous when the codec is, so the
 * common JSON path costs no promise. Nothing is written on failure.
 */
export function encodeValue<D>(
  codec: Codec<D>,
  id: string,
  data: D,
  maxBytes: number,
): Encoded | Promise<Encoded> {
  let encoded: string | Uint8Array | Promise<string | Uint8Array>
  try {
    encoded = codec.encode(data)
  } catch (error) {
    throw new SessionEncodeError(id, error)
  }
  if (encoded instanceof Promise) {
    return encoded.then(
      (result) => toBytes(id, result, maxBytes),
      (error: unknown) => {
        throw new SessionEncodeError(id, error)
      },
    )
  }
  return toBytes(id, encoded, maxBytes)
}

function toBytes(id: string, encoded: unknown, maxBytes: number): Encoded {
  let out: Encoded
  let size: number
  if (typeof encoded === 'string') {
    // Kept as text only when its bytes give it back exactly (lone surrogates do not).
    if (encoded.isWellFormed()) {
      out = new EncodedText(encoded)
      size = Buffer.byteLength(encoded, 'utf8')
    } else {
      out = { value: encoder.encode(encoded) }
      size = out.value.byteLength
    }
  } else if (encoded instanceof Uint8Array) {
    out = { value: encoded }
    size = encoded.byteLength
  } else {
    throw new SessionEncodeError(
      id,
      new TypeError(`the codec returned ${typeof encoded}, not a string or Uint8Array`),
    )
  }
  if (size > maxBytes) throw new SessionTooLargeError(id, size, maxBytes)
  return out
}

/** What decoding needs of a stored session; `text` is filled in once decoded, for next time. */
interface Decodable {
  readonly id: string
  readonly value: Uint8Array
  text?: string | undefined
}

/**
 * A stored session's bytes as text, kept on the session for later reads when the text encodes
 * back to the same bytes (a leading byte-order mark, which decoding drops, does not).
 */
function textOf(stored: Decodable): string {
  const text = losslessText(stored.value)
  if (text === undefined) return decoder.decode(stored.value)
  stored.text = text
  return text
}

/**
 * Decodes a stored session's data, synchronously when the codec is; any failure (thrown or
 * rejected) becomes a `SessionDecodeError`. A text codec's UTF-8 decoding is kept on the stored
 * object: a cached session is then only parsed on later reads.
 */
export function decodeValue<D>(codec: Codec<D>, stored: Decodable): D | Promise<D> {
  let result: D | Promise<D>
  try {
    if (codec.binary === true) result = codec.decode(stored.value)
    else result = codec.decode(stored.text ?? textOf(stored))
  } catch (error) {
    throw new SessionDecodeError(stored.id, error)
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw new SessionDecodeError(stored.id, error)
    })
  }
  return result
}
