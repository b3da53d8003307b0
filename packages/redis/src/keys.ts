/**
 * @module
 * Key layout. Every key of one session shares a hash tag with a bucket of its indexes, so one
 * script can update the session and both of its index entries atomically on a cluster without
 * a CROSSSLOT error, while the buckets spread the sessions over the cluster's masters.
 */

/** Version of the key layout, stored in the meta hash and checked on open. */
export const LAYOUT_VERSION = 2

/** Default number of buckets (hash slots) the sessions of one prefix spread over. */
export const DEFAULT_BUCKETS = 16

/**
 * Names every key under one prefix. With prefix `sess:` and bucket 7:
 * - `sess:{7}s:<id>`      string: `token \0 createdAt \0 expiresAt \0 userId \0 data` (see
 *                         record.ts); native expiry at expiresAt (as a PX
 *                         relative to the store's clock)
 * - `sess:{7}x`           sorted set: id -> expiresAt (the expiry index of the bucket)
 * - `sess:{7}o`           hash: id -> userId (owner of each session with a user)
 * - `sess:{7}u:<userId>`  set of the user's session ids in this bucket
 * - `sess:meta`           hash: layout version and bucket count (read once on open)
 */
export class KeyLayout {
  readonly prefix: string
  readonly buckets: number
  /** Per-bucket key prefixes, built once: the hot path only concatenates the id. */
  readonly #sessionBases: string[]
  readonly #expiryKeys: string[]
  readonly #ownerKeys: string[]

  constructor(prefix: string, buckets: number) {
    this.prefix = prefix
    this.buckets = buckets
    const tags = Array.from({ length: buckets }, (_, b) => `${prefix}{${b}}`)
    this.#sessionBases = tags.map((tag) => `${tag}s:`)
    this.#expiryKeys = tags.map((tag) => `${tag}x`)
    this.#ownerKeys = tags.map((tag) => `${tag}o`)
  }

  get meta(): string {
    return `${this.prefix}meta`
  }

  /** The bucket of a session id: FNV-1a over its UTF-16 code units, stable across processes. */
  bucketOf(id: string): number {
    let hash = 0x811c9dc5
    for (let i = 0; i < id.length; i++) {
      hash ^= id.charCodeAt(i)
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
    return hash % this.buckets
  }

  tag(bucket: number): string {
    return `${this.prefix}{${bucket}}`
  }

  session(id: string): string {
    return this.#sessionBases[this.bucketOf(id)]! + id
  }

  sessionBase(bucket: number): string {
    return this.#sessionBases[bucket] ?? `${this.tag(bucket)}s:`
  }

  expiry(bucket: number): string {
    return this.#expiryKeys[bucket] ?? `${this.tag(bucket)}x`
  }

  owners(bucket: number): string {
    return this.#ownerKeys[bucket] ?? `${this.tag(bucket)}o`
  }

  /** The keys of a script that writes session `id` of `bucket` and its index entries. */
  writeKeys(bucket: number, id: string): [string, string, string] {
    return [this.sessionBase(bucket) + id, this.expiry(bucket), this.owners(bucket)]
  }

  userBase(bucket: number): string {
    return `${this.tag(bucket)}u:`
  }

  user(bucket: number, userId: string): string {
    return `${this.userBase(bucket)}${userId}`
  }

  /** Splits a key of this layout into its bucket, kind and name, or `undefined` if foreign. */
  parse(key: string): { bucket: number; kind: 's' | 'u' | 'x' | 'o'; name: string } | undefined {
    if (!key.startsWith(`${this.prefix}{`)) return undefined
    const rest = key.slice(this.prefix.length + 1)
    const close = rest.indexOf('}')
    if (close < 1) return undefined
    const bucket = Number(rest.slice(0, close))
    const tail = rest.slice(close + 1)
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= this.buckets) return undefined
    if (tail === 'x' || tail === 'o') return { bucket, kind: tail, name: '' }
    if (tail.startsWith('s:') || tail.startsWith('u:')) {
      return { bucket, kind: tail[0] as 's' | 'u', name: tail.slice(2) }
    }
    return undefined
  }
}

/** Refuses a prefix that would break the layout: hash-tag braces would pin every key to one slot. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.includes('{') || prefix.includes('}')) {
    throw new TypeError(
      'options.prefix must be a string without "{" or "}" (the backend adds its own hash tags)',
    )
  }
  return prefix
}

/** Escapes a string for a SCAN MATCH pattern. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}
