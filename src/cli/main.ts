/**
 * Entry point of the `cocoda` command. Each concept contributes its subcommands from
 * `src/cli/commands/<concept>.ts`; this file only wires them together and maps errors to exit codes.
 *
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error, 3 REJECT (library add).
 */
import { Command, CommanderError } from 'commander';
import { CocodaError, exitCodeOf } from '../errors.ts';
import { commandModules } from './commands/index.ts';
import { escapeLine } from './text.ts';
import { VERSION } from '../version.ts';

/**
 * The `cocoda` program. With `command`, only the module of that top-level command is loaded and
 * registered (start-up cost of one concept); with `null`, none (`--version`); without it (help, an
 * unknown command), all of them.
 */
export async function buildProgram(command?: string | null): Promise<Command> {
  const program = new Command('cocoda')
    .description('Co-evolving compositional tool libraries: typed tool DAG, retrieval, execution, training.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  const names = command === null ? [] : command !== undefined && Object.hasOwn(commandModules, command) ? [command] : Object.keys(commandModules);
  for (const name of names) await (await commandModules[name]!())(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // The first word after the options is the command (the root program has no options taking values).
  // `--version` alone needs no command module (null: register none).
  const args = argv.slice(2);
  const word = args.find((a) => !a.startsWith('-'));
  const program = await buildProgram(word ?? (args.length > 0 && args.every((a) => a === '-V' || a === '--version') ? null : undefined));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help / version are "errors" in exitOverride mode but exit 0.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    // Messages quote untrusted text (names, file contents, tool output): escaped (./text.ts).
    if (err instanceof CocodaError) {
      process.stderr.write(`cocoda: ${escapeLine(err.message)} [${err.code}]\n`);
      process.exitCode = exitCodeOf(err.code);
      return;
    }
    // Loaded here, not at start-up: the library store is not needed by every command.
    const { fsError, isErrnoError } = await import('../library/store.ts');
    if (isErrnoError(err)) {
      // A file-system failure anywhere (ENOSPC, EROFS, ENOTDIR …): one line naming the path.
      const e = fsError(err, err.syscall ? `${err.syscall}` : 'access', err.path ?? (err as { dest?: string }).dest ?? '(unknown path)') as CocodaError;
      process.stderr.write(`cocoda: ${escapeLine(e.message)} [${e.code}]\n`);
      process.exitCode = 1;
      return;
    }
    if (err instanceof TypeError || err instanceof RangeError) {
      process.stderr.write(`cocoda: ${escapeLine(err.message)}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
