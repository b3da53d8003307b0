// Preloaded into the measured process (node --require): writes its peak resident set size (KiB,
// from getrusage) to the file named by BENCH_RSS_FILE when it exits.
const { writeFileSync } = require('node:fs')

process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) {
    writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS))
  }
})
