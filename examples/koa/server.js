// Runs the demo on http://localhost:3000 (PORT to change) with sessions in
// <repo>/data/sessions-koa (SESSIONS_PATH to change).
import { fileURLToPath } from 'node:url'
import process from 'node:process'
import { LevelSessionStore } from '@levelsession/koa'
import { createApp } from './app.js'

const port = Number(process.env.PORT ?? 3000)
const path =
  process.env.SESSIONS_PATH ?? fileURLToPath(new URL('../../data/sessions-koa', import.meta.url))
let secret = process.env.SESSION_SECRET
if (!secret) {
  secret = 'levelsession-demo-secret'
  console.warn('SESSION_SECRET is not set: using a development secret. Set it in production.')
}

const store = new LevelSessionStore({
  path,
  // The user index behind "sign out everywhere".
  userId: (sess) => sess.user?.name,
})
try {
  await store.ready()
} catch (error) {
  // e.g. ERR_STORE_LOCKED when another demo process holds the database.
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}

const server = createApp({ store, keys: [secret] }).listen(port, () => {
  console.log(`Demo listening on http://localhost:${server.address().port}`)
  console.log(`Sessions are stored in ${path}`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close()
    server.closeAllConnections()
    store.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
}
