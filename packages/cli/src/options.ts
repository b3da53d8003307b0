/**
 * @module
 * Options shared by several commands, declared once so every command spells them the same way.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'

/** Options every command that prints data accepts. */
export interface JsonOptions {
  json?: boolean
}

/** Options of commands that may run long enough to show progress. */
export interface ProgressFlags extends JsonOptions {
  progress?: boolean
}

/** Adds `--json`. */
export function withJson(command: Command): Command {
  return command.addOption(new Option('--json', 'print the result as JSON'))
}

/** Adds `--json` and `--no-progress`. */
export function withProgress(command: Command): Command {
  return withJson(command).addOption(
    new Option('--no-progress', 'never draw a progress bar (it is only drawn on a terminal)'),
  )
}

/** Adds `-y, --yes`. */
export function withYes(command: Command): Command {
  return command.addOption(new Option('-y, --yes', 'do not ask for confirmation'))
}

/** Parses a positive integer option value (`--limit`); commander reports a bad one as usage. */
export function positiveInteger(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer')
  }
  return n
}

/** Collects a repeatable option into an array (`--except a --except b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
