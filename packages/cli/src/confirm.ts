/**
 * @module
 * Confirmation before destructive commands (`clear`, `drop`): a question on a terminal, or
 * `--yes` where there is no terminal to ask (scripts, CI).
 */
import { createInterface } from 'node:readline/promises'
import { CliError, usageError } from './errors.js'

/**
 * Resolves when the operator agreed: `yes` given, or `y`/`yes` typed at the terminal. Rejects
 * with a usage error (exit 2) when there is no terminal and no `--yes`, and with `ERR_CANCELLED`
 * when the answer is anything else.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true) return
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw usageError(
      'refusing to go on without confirmation: there is no terminal to ask',
      'pass --yes to confirm in scripts',
    )
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  let answer: string
  try {
    answer = await rl.question(`${question} [y/N] `)
  } catch {
    // Ctrl-C or Ctrl-D at the prompt (readline rejects with an AbortError): a no, on a line of
    // its own.
    process.stderr.write('\n')
    answer = ''
  } finally {
    rl.close()
  }
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    throw new CliError('ERR_CANCELLED', 'Cancelled; nothing was changed.')
  }
}
