/**
 * @module
 * The `levelsession` program (commander): one module per command in `commands/`, exit status 0
 * on success, 1 on failure, 2 on wrong usage, and errors that say what to do.
 */
import { Command, CommanderError } from 'commander'
import { register as clear } from './commands/clear.js'
import { register as compact } from './commands/compact.js'
import { register as destroy } from './commands/destroy.js'
import { register as drop } from './commands/drop.js'
import { register as exportCommand } from './commands/export.js'
import { register as importCommand } from './commands/import.js'
import { register as list } from './commands/list.js'
import { register as prune } from './commands/prune.js'
import { register as repair } from './commands/repair.js'
import { register as revoke } from './commands/revoke.js'
import { register as setup } from './commands/setup.js'
import { register as show } from './commands/show.js'
import { register as stats } from './commands/stats.js'
import { EXIT_OK, EXIT_USAGE, reportOf } from './errors.js'
import { printError } from './output.js'
import { VERSION } from './version.js'

const COMMANDS = [
  setup,
  stats,
  list,
  show,
  destroy,
  revoke,
  prune,
  compact,
  exportCommand,
  importCommand,
  repair,
  clear,
  drop,
]

const EXAMPLES = `
Examples:
  levelsession setup ./data/sessions
  levelsession stats ./data/sessions --json
  levelsession export ./data/sessions backup.jsonl
  levelsession import ./data/sessions backup.jsonl
  levelsession revoke ./data/sessions --user ann --except <session-id>

Moving to Redis (@levelsession/redis) and back:
  levelsession export ./data/sessions | levelsession import --redis redis://127.0.0.1:6379 -
  levelsession export --redis redis://127.0.0.1:6379 --prefix sess: backup.jsonl

From connect-redis, without signing anyone out:
  levelsession import ./data/sessions --from-redis redis://127.0.0.1:6379 --user-field passport.user

LevelDB lets one process open a database at a time: run these while the app is stopped.`

/**
 * Builds the program. Usage errors throw a `CommanderError` instead of exiting; with `json`,
 * commander prints none of them (the caller reports them as JSON).
 */
export function createProgram(json = false): Command {
  const program = new Command('levelsession')
    .description(
      'Set up and operate levelsession session databases (LevelDB directories); export and import also reach Redis.',
    )
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    // Set before the commands are added: `.command()` copies these settings to each of them.
    .exitOverride()
    .showHelpAfterError(json ? false : '(add --help for usage)')
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => (json ? undefined : write(text)),
    })
  for (const register of COMMANDS) register(program)
  program.addHelpText('after', EXAMPLES)
  return program
}

/**
 * Runs the command line `argv` (`process.argv` shape: node, script, ...args) and resolves to the
 * exit status; never rejects and never calls `process.exit`.
 */
export async function run(argv: readonly string[] = process.argv): Promise<number> {
  ignoreClosedPipes()
  const json = wantsJson(argv)
  const program = createProgram(json)
  try {
    await program.parseAsync(unknownHelpAsCommand(program, argv))
    return EXIT_OK
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
        return EXIT_OK
      }
      // `help` alone is help asked for (exit code 0); help shown for a mistake is a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
      // In words, commander printed the message already; for --json, it is reported here.
      if (json) {
        const message = error.message.replace(/^error: /, '')
        printError(true, { code: 'ERR_USAGE', message, exitCode: EXIT_USAGE })
      }
      return EXIT_USAGE
    }
    const report = reportOf(error)
    printError(json, report)
    return report.exitCode
  }
}

/**
 * `help nosuch` as `nosuch`: commander would print the whole help (in words, also with --json)
 * and exit 2 without saying what was wrong; as a command it is "unknown command 'nosuch'", with
 * a suggestion. `help export` as `export --help`.
 */
function unknownHelpAsCommand(program: Command, argv: readonly string[]): string[] {
  const args = argv.slice(2)
  const operands = args.flatMap((arg, i) => (arg.startsWith('-') ? [] : [i]))
  const [at, topicAt] = operands
  if (at === undefined || args[at] !== 'help' || topicAt === undefined) return [...argv]
  const topic = args[topicAt]!
  // `help help` is the program's help.
  if (topic === 'help') return [...argv.slice(0, 2), ...args.toSpliced(topicAt, 1)]
  const known = program.commands.some((c) => c.name() === topic || c.aliases().includes(topic))
  if (!known) return [...argv.slice(0, 2), ...args.toSpliced(at, 1)]
  // As `topic --help`, the other arguments after it: commander's own help command, given an
  // option ahead of the topic (`help --json export`), printed the program's help.
  const rest = args.filter((_, i) => i !== at && i !== topicAt)
  return [...argv.slice(0, 2), topic, ...rest, '--help']
}

let ignoring = false
/**
 * `levelsession --help | head -1` closes stdout early: without a listener the EPIPE would crash
 * the process. Streaming commands notice it through their own writer and stop.
 */
function ignoreClosedPipes(): void {
  if (ignoring) return
  ignoring = true
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error
    })
  }
}

/** Whether `--json` was given (before any `--`), for the format of an error. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}
