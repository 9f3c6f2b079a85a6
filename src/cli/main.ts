/**
 * Entry point of the `cocoda` command. Each concept contributes its subcommands from
 * `src/cli/commands/<concept>.ts`; this file only wires them together and maps errors to exit codes.
 *
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error, 3 REJECT (library add).
 */
import { Command, CommanderError } from 'commander';
import { CocodaError } from '../errors.ts';
import { commandModules } from './commands/index.ts';
import { fsError, isErrnoError } from '../library/store.ts';
import { escapeLine } from './text.ts';

export function buildProgram(): Command {
  const program = new Command('cocoda')
    .description('Co-evolving compositional tool libraries: typed tool DAG, retrieval, execution, training.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commandModules) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
      process.exitCode = 1;
      return;
    }
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
