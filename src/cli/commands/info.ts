import type { Command } from 'commander';
import { backendInfo } from '../../native/loader.ts';

/** `cocoda info [--json]`: which backend is live and why. */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print which kernel backend (native or ts) is live, and why')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const info = backendInfo();
      if (opts.json) process.stdout.write(JSON.stringify(info) + '\n');
      else process.stdout.write(`backend: ${info.backend} (${info.reason})${info.compiler ? `, ${info.compiler}` : ''}\n`);
    });
}
