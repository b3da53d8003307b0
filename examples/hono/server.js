// Starts the demo: node server.js (PORT, SESSION_SECRET and SESSION_DIR from the environment).
import { fileURLToPath } from 'node:url'

const path =
  process.env.SESSION_DIR ?? fileURLToPath(new URL('../../data/sessions-hono', import.meta.url))
const port = Number(process.env.PORT ?? 3000)
const secret = process.env.SESSION_SECRET ?? 'levelsession demo secret: set SESSION_SECRET'
if (process.env.SESSION_SECRET === undefined) {
  console.warn('SESSION_SECRET is not set: using a demo secret (fine for trying it out only)')
}

// The packages are used as published: built first (npx nx run-many -t build).
const [{ serve }, { createApp }] = await Promise.all([
  import('@hono/node-server'),
  import('./app.js').catch((error) => {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') {
      console.error(
        'The packages are not built. From the repository root run:\n' +
          '  npx nx run-many -t build -p @levelsession/core @levelsession/hono\n',
      )
    }
    throw error
  }),
])

const { app, sessions } = createApp({ path, secret })
await sessions.store.ready()
const server = serve({ fetch: app.fetch, port }, (info) => {
  console.log(`listening on http://localhost:${info.port} (sessions in ${path})`)
})

function shutdown() {
  // Connections still busy after 5 s (a client that never reads its response) are cut.
  setTimeout(() => server.closeAllConnections(), 5000).unref()
  server.close(() => {
    sessions.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
