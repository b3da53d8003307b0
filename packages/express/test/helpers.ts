/**
 * Test fixtures: temporary database directories, a test app with the routes the HTTP tests
 * drive, and a real listening server.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import express from 'express'
import express4 from 'express4'
import session from 'express-session'
import type { NextFunction, Request, Response } from 'express'
import { expect, onTestFinished } from 'vitest'
import { gate, TestClock, tempDir } from '@levelsession/core/testing'
import { LevelSessionStore, type LevelSessionStoreOptions } from '../src/index.js'

export const SECRET = 'test secret'

export const EXPRESS_VERSIONS = [
  { name: 'Express 5', express },
  { name: 'Express 4', express: express4 },
] as const

export type ExpressFactory = (typeof EXPRESS_VERSIONS)[number]['express']

/**
 * A cookie's `originalMaxAge` as express-session leaves it: its Cookie recomputes the value from
 * the clock whenever it sets `expires` (originalMaxAge = expires - Date.now()), so it comes out a
 * millisecond short whenever the clock ticks in between, whatever the store.
 */
export const aboutMs = (ms: number): unknown => expect.closeTo(ms, -2)

/** A clock the tests move by hand: pass `now` to the core store. */
export const manualClock = (start = Date.now()): TestClock => new TestClock(start)

/** A store on a temp directory, closed when the test finishes. */
export async function openStore(
  options: Partial<LevelSessionStoreOptions> = {},
): Promise<LevelSessionStore> {
  const store = new LevelSessionStore({
    path: join(await tempDir(), 'sessions'),
    cleanupInterval: 0,
    userId: (data) => data.user,
    ...options,
  })
  onTestFinished(() => store.close())
  await store.ready()
  return store
}

/** What the test app's routes answer. */
export interface View {
  id: string
  views: number | null
  user: string | null
  maxAge: number | null | undefined
}

/** The typed body of a test app response. */
export function view(res: { body: unknown }): View {
  return res.body as View
}

export interface TestApp {
  url: string
  store: LevelSessionStore
  /** Errors that reached the app's error handler, in order. */
  errors: unknown[]
  /** The gate `/gate` waits on. */
  gate: ReturnType<typeof gate>
}

/**
 * A real Express app (4 or 5) listening on a loopback port, with express-session on `store`:
 * - `GET /count` increments `views`; `GET /peek` reads without changing anything
 * - `GET /set?views=n` sets `views`; `GET /gate` reads (`?views=n` also sets `views`), then
 *   waits for the test's gate
 * - `POST /login?name=x` regenerates the session, then stores `user`; `POST /login-saved?name=x`
 *   also saves it before responding (the README's recipe)
 * - `POST /logout` destroys the session; `POST /logout-others` calls `destroyUser`
 * - `GET /remember` sets a 30-day `cookie.maxAge` without touching the data
 */
export async function startApp(
  store: LevelSessionStore,
  options: Partial<session.SessionOptions> = {},
  factory: ExpressFactory = express,
): Promise<TestApp> {
  const app = factory()
  const errors: unknown[] = []
  const routeGate = gate()
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, ...options }))
  const view = (req: Request): View => ({
    id: req.sessionID,
    views: req.session.views ?? null,
    user: req.session.user ?? null,
    maxAge: req.session.cookie.originalMaxAge,
  })
  app.get('/count', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1
    res.json(view(req))
  })
  app.get('/peek', (req, res) => {
    res.json(view(req))
  })
  app.get('/set', (req, res) => {
    req.session.views = Number(req.query.views)
    res.json(view(req))
  })
  app.get('/gate', (req, res, next) => {
    if (typeof req.query.views === 'string') req.session.views = Number(req.query.views)
    const body = view(req)
    routeGate.arrived()
    routeGate.opened.then(() => res.json(body), next)
  })
  app.post('/login', (req, res, next) => {
    const name = typeof req.query.name === 'string' ? req.query.name : 'nobody'
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.user = name
      res.json(view(req))
    })
  })
  app.post('/login-saved', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.user = typeof req.query.name === 'string' ? req.query.name : 'nobody'
      req.session.save((err) => (err ? next(err) : res.json(view(req))))
    })
  })
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })))
  })
  app.post('/logout-others', (req, res, next) => {
    store
      .destroyUser(req.session.user!, { except: req.sessionID })
      .then((removed) => res.json({ removed }), next)
  })
  app.get('/remember', (req, res) => {
    req.session.cookie.maxAge = 30 * 86_400_000
    res.json(view(req))
  })
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    errors.push(err)
    if (res.headersSent) return next(err)
    res.status(500).json({ code: (err as { code?: unknown }).code ?? null })
  })
  const server = await listen(createServer(app))
  return { url: server.url, store, errors, gate: routeGate }
}

/** Listens on an ephemeral loopback port; closed (with its connections) when the test finishes. */
export async function listen(server: Server): Promise<{ url: string }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}` }
}

export { tempDir }
