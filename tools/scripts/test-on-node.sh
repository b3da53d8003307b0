#!/usr/bin/env bash
# Runs every package's tests (and the examples') on other Node.js majors, e.g.
#   tools/scripts/test-on-node.sh 22 24
# The packages promise Node 20 and later; .ci/run checks the newest 22 and 24 this way after
# `npm test`. Each Node comes from npm's `node` package (the registry is all it needs), into a
# temporary directory that is removed afterwards. Builds run again on that Node, then the tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NX_SKIP_NX_CACHE=true
for major in "$@"; do
  prefix="$(mktemp -d)"
  trap 'rm -rf "$prefix"' EXIT
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null
  echo "== tests on node $("$prefix/node_modules/.bin/node" --version)"
  PATH="$prefix/node_modules/.bin:$PATH" npx nx run-many -t test --outputStyle=stream
  rm -rf "$prefix"
  trap - EXIT
done
