// Preloaded into the measured process (node --require): when it exits, writes its peak resident
// set size (KiB, from getrusage) and its CPU time (user + system, ms) to the file named by
// BENCH_RSS_FILE, as JSON. CPU time is steadier than wall time on a shared machine.
const { writeFileSync } = require('node:fs')

process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) {
    const usage = process.resourceUsage()
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000
    writeFileSync(process.env.BENCH_RSS_FILE, JSON.stringify({ maxRSS: usage.maxRSS, cpuMs }))
  }
})
