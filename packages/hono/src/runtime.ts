/**
 * @module
 * The runtime check: classic-level is a native Node.js addon, so this adapter cannot run on edge
 * runtimes (Cloudflare Workers, Vercel Edge, Deno Deploy, browsers).
 */

/** What the error says, here and in the module that edge bundlers resolve instead. */
export const NODE_ONLY_MESSAGE =
  '@levelsession/hono runs on Node.js only: its sessions live in a LevelDB database through ' +
  'classic-level, a native Node.js addon, which edge runtimes (Cloudflare Workers, Vercel Edge, ' +
  'Deno Deploy, browsers) cannot load. Run the app with @hono/node-server, or use a session ' +
  'middleware made for your runtime.'

// candidate for core: core is the Node-only part; it could refuse to load with this message
// itself, which would cover every adapter.
/** Throws a clear error when not running on Node.js. */
export function assertNodeRuntime(): void {
  const versions = (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions
  if (typeof versions?.node !== 'string') throw new Error(NODE_ONLY_MESSAGE)
}
