// The demo over real HTTP: in-process on a temp database, and as `node server.js` in a child
// process that is restarted. Runs against the built packages (`npm start` at the root builds them).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { createInterface } from 'node:readline'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath, URLSearchParams } from 'node:url'
import { LevelSessionStore } from '@levelsession/express'
import { createApp } from '../app.js'

const serverFile = fileURLToPath(new URL('../server.js', import.meta.url))

/** A browser: keeps the session cookie, does not follow redirects. `visit.base` may change. */
function browser(base) {
  let cookie
  const visit = async (path, form) => {
    const res = await fetch(visit.base + path, {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        ...(cookie === undefined ? {} : { cookie }),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      body: form === undefined ? undefined : new URLSearchParams(form).toString(),
    })
    const set = res.headers.get('set-cookie')
    if (set !== null) cookie = set.split(';')[0]
    const html = await res.text()
    return { status: res.status, location: res.headers.get('location'), html }
  }
  visit.base = base
  return visit
}

const views = (html) => Number(/id="views">(\d+)</.exec(html)?.[1])

describe('the demo app', () => {
  let dir
  let store
  let server
  let base

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'levelsession-demo-'))
    store = new LevelSessionStore({
      path: join(dir, 'sessions'),
      userId: (data) => data.user?.name,
    })
    await store.ready()
    server = createApp({ store, secret: 'test' }).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${server.address().port}`
  })

  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await store.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('counts visits', async () => {
    const visit = browser(base)
    assert.equal(views((await visit('/')).html), 1)
    assert.equal(views((await visit('/')).html), 2)
    assert.equal(views((await browser(base)('/')).html), 1)
  })

  it('signs in with any name and out again', async () => {
    const visit = browser(base)
    await visit('/')
    const signIn = await visit('/sign-in', { name: '<Ann>' })
    assert.equal(signIn.status, 303)
    const page = (await visit('/')).html
    assert.match(page, /Signed in as <strong>&lt;Ann&gt;<\/strong>/)
    assert.equal(views(page), 2)

    assert.equal((await visit('/sign-out', {})).status, 303)
    assert.match((await visit('/')).html, /Sign in<\/button>/)
  })

  it('refuses an empty name', async () => {
    const res = await browser(base)('/sign-in', { name: '  ' })
    assert.equal(res.status, 400)
  })

  it('signs a user out of every browser', async () => {
    const laptop = browser(base)
    const phone = browser(base)
    const other = browser(base)
    await laptop('/sign-in', { name: 'bea' })
    await phone('/sign-in', { name: 'bea' })
    await other('/sign-in', { name: 'cy' })
    assert.match((await laptop('/')).html, /2 sessions for this name/)

    const out = await laptop('/sign-out-everywhere', {})
    assert.equal(out.location, '/?signed-out=2')
    assert.match((await phone('/')).html, /Sign in<\/button>/)
    assert.match((await laptop('/')).html, /Sign in<\/button>/)
    assert.match((await other('/')).html, /Signed in as <strong>cy<\/strong>/)
  })
})

describe('node server.js', () => {
  let dir
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'levelsession-demo-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  async function start() {
    const child = spawn(process.execPath, [serverFile], {
      env: { ...process.env, PORT: '0', SESSIONS_PATH: join(dir, 'sessions'), SESSION_SECRET: 's' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const url = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /listening on (http:\S+)/.exec(line)
        if (match) resolve(match[1])
      })
      exited.then((code) => reject(new Error(`server.js exited with ${code}`)))
    })
    return {
      url,
      async stop() {
        child.kill('SIGTERM')
        return exited
      },
    }
  }

  it('keeps sessions across a restart, and exits cleanly', async () => {
    const first = await start()
    const visit = browser(first.url)
    await visit('/sign-in', { name: 'dee' })
    assert.equal(views((await visit('/')).html), 1)
    assert.equal(await first.stop(), 0)

    const second = await start()
    visit.base = second.url // the same browser (cookie) against the new process
    const page = (await visit('/')).html
    assert.match(page, /Signed in as <strong>dee<\/strong>/)
    assert.equal(views(page), 2)
    assert.equal(views((await browser(second.url)('/')).html), 1) // a new browser starts at 1
    assert.equal(await second.stop(), 0)
  })
})
