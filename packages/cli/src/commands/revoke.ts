/**
 * @module
 * `levelsession revoke <path> --user ID [--except ID...]`: signs a user out everywhere (core's
 * `destroyUser`), optionally keeping some sessions.
 */
import { Option, type Command } from 'commander'
import { withStore } from '../database.js'
import { collect, type JsonOptions, withJson } from '../options.js'
import { printResult } from '../output.js'

interface RevokeOptions extends JsonOptions {
  user: string
  except?: string[]
}

export function register(program: Command): void {
  withJson(
    program
      .command('revoke')
      .description("remove all of a user's sessions (sign them out everywhere)")
      .argument('<path>', 'database directory')
      .addOption(new Option('-u, --user <id>', 'the user id').makeOptionMandatory())
      .addOption(
        new Option('--except <session-id>', 'keep this session (repeatable)').argParser(collect),
      ),
  ).action(async (path: string, options: RevokeOptions) => {
    const except = options.except ?? []
    const revoked = await withStore(path, ({ store }) =>
      store.destroyUser(options.user, { except }),
    )
    printResult(
      options.json === true,
      { userId: options.user, revoked, except },
      () =>
        `Revoked ${revoked} session${revoked === 1 ? '' : 's'} of user ${options.user}` +
        (except.length > 0 ? ` (kept ${except.join(', ')}).` : '.'),
    )
  })
}
