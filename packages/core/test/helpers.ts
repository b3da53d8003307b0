import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll } from 'vitest'

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

const dirs: string[] = []
/** A fresh temp directory, removed after the file's tests. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'levelsession-test-'))
  dirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})

/** Runs a fixture to completion; resolves to its stdout. */
export async function runNode(name: string, args: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [fixture(name), ...args], {
    timeout: 20_000,
  })
  return stdout
}

/** Starts a fixture and waits for its first line of output. */
export async function startNode(
  name: string,
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; line: string }> {
  const child = spawn(process.execPath, [fixture(name), ...args])
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(out.trim())
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`fixture exited with ${code}: ${out}`)))
  })
  return { child, line }
}

/** Ends a fixture started with startNode and waits for it to exit. */
export async function stopNode(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.stdin.end()
  await exited
}
