// The demo app: a visit counter, a sign-in form (any name), "sign out" and "sign out everywhere".
// Sessions live in the LevelSessionStore given to createApp; server.js runs it.
import express from 'express'
import session from 'express-session'

/**
 * @param {object} options
 * @param {import('@levelsession/express').LevelSessionStore} options.store
 * @param {string} options.secret
 */
export function createApp({ store, secret }) {
  const app = express()
  app.disable('x-powered-by')
  app.use(express.urlencoded({ extended: false, limit: '2kb' }))
  app.use(
    session({
      store,
      secret,
      name: 'demo.sid',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 7 * 86_400_000, sameSite: 'lax', httpOnly: true },
    }),
  )

  app.get('/', async (req, res, next) => {
    try {
      req.session.views = (req.session.views ?? 0) + 1
      const user = req.session.user
      const browsers = user === undefined ? 0 : (await store.core.listUser(user.name)).length
      const signedOut = Number.parseInt(String(req.query['signed-out'] ?? ''), 10)
      res.type('html').send(page({ views: req.session.views, user, browsers, signedOut }))
    } catch (error) {
      next(error)
    }
  })

  app.post('/sign-in', (req, res, next) => {
    const name = typeof req.body?.name === 'string' ? req.body.name.trim() : ''
    if (name.length === 0 || name.length > 64) {
      res
        .status(400)
        .type('html')
        .send(page({ error: 'Enter a name of 1 to 64 characters.' }))
      return
    }
    const views = req.session.views
    // A new id at sign-in, so an id planted before it (session fixation) is worthless after it.
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.views = views
      req.session.user = { name, since: new Date().toISOString() }
      res.redirect(303, '/')
    })
  })

  app.post('/sign-out', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.redirect(303, '/')))
  })

  app.post('/sign-out-everywhere', async (req, res, next) => {
    try {
      const user = req.session.user
      // Every session of this user, in every browser, through the store's user index.
      const removed = user === undefined ? 0 : await store.destroyUser(user.name)
      req.session.destroy((err) => (err ? next(err) : res.redirect(303, `/?signed-out=${removed}`)))
    } catch (error) {
      next(error)
    }
  })

  return app
}

function page({ views, user, browsers = 0, signedOut = Number.NaN, error }) {
  const account =
    user === undefined
      ? `<form method="post" action="/sign-in">
      <label>Name <input name="name" required maxlength="64" autofocus></label>
      <button>Sign in</button>
    </form>`
      : `<p>Signed in as <strong>${escape(user.name)}</strong>
      (${browsers} ${browsers === 1 ? 'session' : 'sessions'} for this name).</p>
    <form method="post" action="/sign-out"><button>Sign out</button></form>
    <form method="post" action="/sign-out-everywhere"><button>Sign out everywhere</button></form>`
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>levelsession demo</title>
    <style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; }
    form { display: inline-block; margin-right: .5rem; }</style>
  </head>
  <body>
    <h1>levelsession + Express</h1>
    ${error === undefined ? '' : `<p role="alert">${escape(error)}</p>`}
    ${Number.isInteger(signedOut) ? `<p>Signed out of ${signedOut} ${signedOut === 1 ? 'session' : 'sessions'}.</p>` : ''}
    ${views === undefined ? '' : `<p>Visits in this session: <strong id="views">${views}</strong></p>`}
    ${account}
    <p><small>Sessions are stored in an embedded LevelDB database and survive a restart of the
    server. Open this page in another browser, sign in with the same name, then sign out
    everywhere.</small></p>
  </body>
</html>
`
}

function escape(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  )
}
