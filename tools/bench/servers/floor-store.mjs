// A floor for any write-through classic-level store under express-session, not a store to use:
// a Map of JSON strings in front of one LevelDB put per write, the writes of a turn of the event
// loop grouped into one batch. No expiry index, no per-id lock, no user index, no validation, no
// cache bound: what the durable write alone costs. Used by http.mjs (`express-level-floor`) and
// express-store.mjs (`floor`); neither runs it by default.
import session from 'express-session'
import { ClassicLevel } from 'classic-level'

const noop = () => {}

/** Opens the floor store on `path`; returns it with a `close`. */
export async function floorStore(path) {
  const db = new ClassicLevel(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await db.open()
  const cache = new Map()
  let ops = []
  let waiters = []
  let flushing = false

  // One batch at a time; writes that arrive meanwhile form the next. A write is cached and
  // acknowledged only once it is in LevelDB.
  function flush() {
    const batch = ops
    const done = waiters
    ops = []
    waiters = []
    const next = () => {
      if (ops.length > 0) flush()
      else flushing = false
    }
    db.batch(batch).then(
      () => {
        for (const [key, value, cb] of done) {
          cache.set(key, value)
          cb(null)
        }
        next()
      },
      (error) => {
        for (const [, , cb] of done) cb(error)
        next()
      },
    )
  }

  function put(key, value, cb) {
    ops.push({ type: 'put', key, value })
    waiters.push([key, value, cb])
    if (!flushing) {
      flushing = true
      setImmediate(flush)
    }
  }

  /** The session in `text`, or null once its cookie has expired. */
  function parse(text) {
    const sess = JSON.parse(text)
    const expires = sess.cookie?.expires
    return expires && new Date(expires) <= Date.now() ? null : sess
  }

  class FloorStore extends session.Store {
    get(sid, cb) {
      const text = cache.get(sid)
      // On the next turn of the event loop, as MemoryStore and @levelsession/express answer.
      if (text !== undefined) return void setImmediate(cb, null, parse(text))
      db.get(sid).then(
        (stored) => {
          if (stored === undefined) return cb(null, null)
          cache.set(sid, stored)
          cb(null, parse(stored))
        },
        (error) => cb(error),
      )
    }
    set(sid, sess, cb = noop) {
      put(sid, JSON.stringify(sess), cb)
    }
    touch(sid, sess, cb = noop) {
      const text = cache.get(sid)
      if (text === undefined) return void process.nextTick(cb, null)
      const stored = JSON.parse(text)
      stored.cookie = sess.cookie
      put(sid, JSON.stringify(stored), cb)
    }
    destroy(sid, cb = noop) {
      cache.delete(sid)
      db.del(sid).then(
        () => cb(null),
        (error) => cb(error),
      )
    }
  }
  return { store: new FloorStore(), close: () => db.close() }
}
