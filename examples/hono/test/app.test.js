// The demo's own test (node --test), against the BUILT packages: the page, sign-in, sign-out,
// "sign out everywhere", and sessions that survive a restart of the real server.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath, URLSearchParams } from 'node:url'
import { createApp } from '../app.js'

const dirs = []
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-example-hono-'))
  dirs.push(dir)
  return dir
}
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

/** A browser: keeps the session cookie between requests. */
function browser(fetcher) {
  let cookie
  return {
    async request(path, init = {}) {
      const headers = { ...init.headers, ...(cookie === undefined ? {} : { cookie }) }
      const res = await fetcher(path, { ...init, headers })
      const set = res.headers.get('set-cookie')
      if (set !== null) cookie = /Max-Age=0/.test(set) ? undefined : set.split(';')[0]
      return res
    },
    async page() {
      const res = await this.request('/')
      assert.equal(res.status, 200)
      const text = await res.text()
      return {
        text,
        views: Number(/id="views">(\d+)</.exec(text)?.[1]),
        user: /id="user">([^<]*)</.exec(text)?.[1],
      }
    },
    async post(path, form) {
      const body = new URLSearchParams(form ?? {})
      const res = await this.request(path, { method: 'POST', body, redirect: 'manual' })
      await res.arrayBuffer() // a body left unread keeps the connection busy
      return res
    },
  }
}

describe('the Hono demo', () => {
  it('counts visits, signs in with any name, signs out', async () => {
    const { app, sessions } = createApp({ path: await tempDir(), secret: 'test' })
    const b = browser((path, init) => app.request(path, init))
    assert.equal((await b.page()).views, 1)
    assert.equal((await b.page()).views, 2)
    const signIn = await b.post('/sign-in', { name: 'Ann <3' })
    assert.equal(signIn.status, 303)
    const signedIn = await b.page()
    assert.equal(signedIn.user, 'Ann &lt;3') // escaped
    assert.equal(signedIn.views, 3) // kept across the new id
    assert.match(signedIn.text, /Signed in as Ann &lt;3\./)
    assert.doesNotMatch((await b.page()).text, /Signed in as Ann &lt;3\./) // a flash, read once
    await b.post('/sign-out')
    const out = await b.page()
    assert.equal(out.user, undefined)
    assert.equal(out.views, 1)
    await sessions.close()
  })

  it('signs a user out of every browser', async () => {
    const { app, sessions } = createApp({ path: await tempDir(), secret: 'test' })
    const fetcher = (path, init) => app.request(path, init)
    const laptop = browser(fetcher)
    const phone = browser(fetcher)
    await laptop.post('/sign-in', { name: 'ann' })
    await phone.post('/sign-in', { name: 'ann' })
    assert.match((await phone.page()).text, /in 2\s+browsers/)
    await laptop.post('/sign-out-everywhere')
    assert.equal((await phone.page()).user, undefined)
    assert.equal((await laptop.page()).user, undefined)
    assert.deepEqual(await sessions.store.listUser('ann'), [])
    await sessions.close()
  })

  it('keeps sessions across a restart of the real server', async () => {
    const dir = await tempDir()
    let server = await start(dir)
    // One browser (one cookie), whichever process answers.
    const b = browser((path, init) => fetch(server.url + path, init))
    await b.post('/sign-in', { name: 'bob' })
    assert.equal((await b.page()).views, 1)
    const firstPid = server.pid
    assert.equal(await server.stop(), 0)

    server = await start(dir)
    assert.notEqual(server.pid, firstPid)
    const page = await b.page()
    assert.equal(page.user, 'bob')
    assert.equal(page.views, 2)
    assert.equal(await server.stop(), 0)
  })
})

/** Runs server.js on `dir` with PORT=0; resolves once it listens. */
async function start(dir) {
  const server = fileURLToPath(new URL('../server.js', import.meta.url))
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, PORT: '0', SESSION_DIR: dir, SESSION_SECRET: 'test' },
  })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const found = /listening on (http:\/\/localhost:\d+)/.exec(out)
      if (found) resolve(found[1])
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return {
    url,
    pid: child.pid,
    // Resolves to the exit code; a server that does not shut down is killed and fails the test.
    stop: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        child.once('exit', (code, signal) => {
          clearTimeout(timer)
          resolve(code ?? signal)
        })
        child.kill('SIGTERM')
      }),
  }
}
