// The demo app: a visit counter, a sign-in form (any name), "sign out" and "sign out everywhere".
// Sessions live in the LevelSessionStore given to createApp; server.js runs it.
import { URLSearchParams } from 'node:url'
import Koa from 'koa'
import session from 'koa-session'

/**
 * @param {object} options
 * @param {import('@levelsession/koa').LevelSessionStore} options.store
 * @param {string[]} options.keys - keys that sign the session cookie
 */
export function createApp({ store, keys }) {
  const app = new Koa()
  app.keys = keys
  app.use(
    session(
      {
        store,
        key: 'demo.sess',
        maxAge: 7 * 86_400_000,
        renew: true, // a visit in the second half of the week starts a new week
        sameSite: 'lax',
        httpOnly: true,
      },
      app,
    ),
  )

  app.use(async (ctx, next) => {
    const route = `${ctx.method} ${ctx.path}`
    if (route === 'GET /') {
      ctx.session.views = (ctx.session.views ?? 0) + 1
      const user = ctx.session.user
      const browsers = user === undefined ? 0 : (await store.core.listUser(user.name)).length
      const signedOut = Number.parseInt(String(ctx.query['signed-out'] ?? ''), 10)
      ctx.type = 'html'
      ctx.body = page({ views: ctx.session.views, user, browsers, signedOut })
    } else if (route === 'POST /sign-in') {
      const name = String((await readForm(ctx)).get('name') ?? '').trim()
      if (name.length === 0 || name.length > 64) {
        ctx.status = 400
        ctx.type = 'html'
        ctx.body = page({ error: 'Enter a name of 1 to 64 characters.' })
        return
      }
      // A new key at sign-in, so a key planted before it (session fixation) is worthless after it.
      await ctx.session.regenerate()
      ctx.session.user = { name, since: new Date().toISOString() }
      ctx.redirect('/')
      ctx.status = 303
    } else if (route === 'POST /sign-out') {
      ctx.session = null
      ctx.redirect('/')
      ctx.status = 303
    } else if (route === 'POST /sign-out-everywhere') {
      const user = ctx.session.user
      // Every session of this user, in every browser, through the store's user index.
      const removed = user === undefined ? 0 : await store.destroyUser(user.name)
      ctx.session = null
      ctx.redirect(`/?signed-out=${removed}`)
      ctx.status = 303
    } else {
      await next()
    }
  })

  return app
}

/** The urlencoded form in the request body (at most 2 KB). */
async function readForm(ctx) {
  if (!ctx.is('application/x-www-form-urlencoded')) return new URLSearchParams()
  let body = ''
  for await (const chunk of ctx.req) {
    body += chunk
    if (body.length > 2048) ctx.throw(413, 'Form too large')
  }
  return new URLSearchParams(body)
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
    <h1>levelsession + Koa</h1>
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
