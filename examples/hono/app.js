// The demo app: a visit counter, sign-in with any name, sign out, and "sign out everywhere"
// through the user index. Plain ES modules against the BUILT packages.
import { Hono } from 'hono'
import { html } from 'hono/html'
import { session } from '@levelsession/hono'

/**
 * @param {{ path: string, secret: string | string[] }} options
 */
export function createApp({ path, secret }) {
  const sessions = session({
    path,
    secret,
    maxAge: 7 * 86_400_000, // a week of inactivity
    userId: (data) => data.user, // the user index behind "sign out everywhere"
    rolling: true,
  })
  const app = new Hono()
  app.use(sessions)

  app.get('/', async (c) => {
    const s = c.get('session')
    const views = (s.get('views') ?? 0) + 1
    s.set('views', views)
    const user = s.get('user')
    const notice = s.flash('notice')
    const browsers = user === undefined ? 0 : (await sessions.store.listUser(user)).length
    return c.html(page({ views, user, notice, browsers }))
  })

  app.post('/sign-in', async (c) => {
    const body = await c.req.parseBody()
    const name = typeof body.name === 'string' ? body.name.trim().slice(0, 100) : ''
    const s = c.get('session')
    if (name === '') {
      s.flash('notice', 'Type a name to sign in.')
      return c.redirect('/', 303)
    }
    await s.regenerate() // a new id at sign-in: an id planted earlier is worth nothing
    s.set('user', name)
    s.flash('notice', `Signed in as ${name}.`)
    return c.redirect('/', 303)
  })

  app.post('/sign-out', async (c) => {
    await c.get('session').destroy()
    return c.redirect('/', 303)
  })

  app.post('/sign-out-everywhere', async (c) => {
    const s = c.get('session')
    const user = s.get('user')
    if (user !== undefined) await sessions.store.destroyUser(user)
    await s.destroy()
    return c.redirect('/', 303)
  })

  return { app, sessions }
}

function page({ views, user, notice, browsers }) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>levelsession + Hono</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            max-width: 36rem;
            margin: 3rem auto;
          }
          .notice {
            background: #eef6ee;
            padding: 0.5rem 1rem;
          }
          form {
            display: inline-block;
            margin-right: 0.5rem;
          }
        </style>
      </head>
      <body>
        <h1>Sessions in LevelDB, served by Hono</h1>
        ${notice === undefined ? '' : html`<p class="notice">${notice}</p>`}
        <p>
          You have visited this page
          <strong id="views">${views}</strong> time${views === 1 ? '' : 's'}.
        </p>
        ${
          user === undefined
            ? html`<form method="post" action="/sign-in">
                <label>Name <input name="name" required autofocus /></label>
                <button>Sign in</button>
              </form>`
            : html`<p>
                  Signed in as <strong id="user">${user}</strong>, in ${browsers}
                  browser${browsers === 1 ? '' : 's'}.
                </p>
                <form method="post" action="/sign-out"><button>Sign out</button></form>
                <form method="post" action="/sign-out-everywhere">
                  <button>Sign out everywhere</button>
                </form>`
        }
        <p><small>Restart the server: the count and the sign-in survive.</small></p>
      </body>
    </html>`
}
