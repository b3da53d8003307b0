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

/** Encodes data to stored bytes, enforcing the size limit. Nothing is written on failure. */
export async function encodeValue<D>(
  codec: Codec<D>,
  id: string,
  data: D,
  maxBytes: number,
): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    const encoded = await codec.encode(data)
    if (typeof encoded === 'string') bytes = encoder.encode(encoded)
    else if (encoded instanceof Uint8Array) bytes = encoded
    else throw new TypeError(`the codec returned ${typeof encoded}, not a string or Uint8Array`)
  } catch (error) {
    throw new SessionEncodeError(id, error)
  }
  if (bytes.byteLength > maxBytes) throw new SessionTooLargeError(id, bytes.byteLength, maxBytes)
  return bytes
}

/**
 * Decodes stored bytes, synchronously when the codec is; any failure (thrown or rejected)
 * becomes a `SessionDecodeError`.
 */
export function decodeValue<D>(codec: Codec<D>, id: string, bytes: Uint8Array): D | Promise<D> {
  let result: D | Promise<D>
  try {
    result = codec.binary === true ? codec.decode(bytes) : codec.decode(decoder.decode(bytes))
  } catch (error) {
    throw new SessionDecodeError(id, error)
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw new SessionDecodeError(id, error)
    })
  }
  return result
}
