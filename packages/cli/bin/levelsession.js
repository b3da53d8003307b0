#!/usr/bin/env node
// The `levelsession` command. This small file is committed so that npm links it at install
// time (npm links a workspace's bin only if the file exists then); the code it runs is the
// build in ../dist. In this repository, `npm run build` at the root produces it.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/esm/index.js', import.meta.url)

function notBuilt(detail) {
  process.stderr.write(
    `levelsession: the CLI is not built yet (${detail}).\n` +
      'Run `npm run build` at the repository root (or `npx nx build @levelsession/cli`), ' +
      'then run the command again.\n',
  )
  process.exit(1)
}

if (!existsSync(entry)) notBuilt(`${fileURLToPath(entry)} is missing`)

let cli
try {
  cli = await import(entry.href)
} catch (error) {
  // @levelsession/core not built yet: its dist is missing too.
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') notBuilt(error.message.split('\n')[0])
  throw error
}
process.exitCode = await cli.run(process.argv)
// The command is done: a handle a client library left open (a Redis cluster client's discovery
// connection to a server that stopped answering) must not keep the process running. Output is
// written by now; the grace covers streams that flush asynchronously.
setTimeout(() => process.exit(), 1000).unref()
