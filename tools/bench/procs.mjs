// Child processes for the benchmarks: a private redis-server on a free loopback port, app servers,
// and cleanup that runs on normal exit, on errors, on SIGINT/SIGTERM and when a time limit passes.
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const children = new Set()
const dirs = new Set()
let installed = false

/** Kills every child still running and removes registered temp dirs; synchronous, idempotent. */
export function cleanupNow() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs.clear()
}

/**
 * Makes sure children and temp dirs go away however the script ends, and that it ends within
 * `limitSeconds` (a stuck child or connection cannot hold the machine).
 */
export function installCleanup(limitSeconds) {
  if (installed) return
  installed = true
  process.on('exit', cleanupNow)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping children`)
      cleanupNow()
      process.exit(130)
    })
  }
  process.on('uncaughtException', (error) => {
    console.error(error)
    cleanupNow()
    process.exit(1)
  })
  process.on('unhandledRejection', (error) => {
    console.error(error)
    cleanupNow()
    process.exit(1)
  })
  if (limitSeconds > 0) {
    setTimeout(() => {
      console.error(`time limit of ${limitSeconds} s reached: stopping`)
      cleanupNow()
      process.exit(124)
    }, limitSeconds * 1000).unref()
  }
}

/** Registers a temp dir for removal at exit (also after SIGINT or a crash). */
export function ownDir(dir) {
  dirs.add(dir)
  return dir
}

/** Removes a registered temp dir now. */
export function releaseDir(dir) {
  dirs.delete(dir)
  rmSync(dir, { recursive: true, force: true })
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Spawns a child that is killed at exit; `stdio` as for `spawn`. */
export function spawnChild(command, args, options = {}) {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Stops a child politely (SIGTERM), then for sure (SIGKILL) after `graceMs`. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = sleep(graceMs).then(() => 'late')
  if ((await Promise.race([exited, timer])) === 'late') {
    child.kill('SIGKILL')
    await exited
  }
  children.delete(child)
}

/**
 * Resolves with `match`'s result once a line of the child's stdout satisfies it; rejects when
 * the child exits first or `timeoutMs` passes.
 */
export function waitForLine(child, match, timeoutMs, label) {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const onData = (chunk) => {
      buffer += chunk.toString()
      let nl
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        const found = match(line)
        if (found !== undefined && found !== null && found !== false) {
          done()
          resolve(found)
          return
        }
      }
    }
    const onExit = (code, signal) => {
      done()
      reject(new Error(`${label} exited before it was ready (code ${code}, signal ${signal})`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${label} not ready after ${timeoutMs} ms`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.off('exit', onExit)
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout.resume()
    }
    child.stdout.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Starts a throwaway redis-server on a free loopback port, with persistence off. */
export async function startRedis(binary = '/usr/bin/redis-server') {
  const port = await freePort()
  const child = spawnChild(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  await waitForLine(child, (line) => line.includes('Ready to accept connections'), 10_000, 'redis')
  return { port, url: `redis://127.0.0.1:${port}`, child, stop: () => stopChild(child) }
}
