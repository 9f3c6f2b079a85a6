// Every module registers its subcommands on the root program. Keep one module per concept.
import type { Command } from 'commander';
import { registerInfo } from './info.ts';
import { registerBench } from './bench.ts';
import { registerLibrary } from './library.ts';
import { registerExec } from './exec.ts';
import { registerStart } from './start.ts';
import { registerRetrieve } from './retrieve.ts';
import { registerTasks } from './tasks.ts';
import { registerEvolve } from './evolve.ts';
import { registerPolicy } from './policy.ts';
import { registerServe } from './serve.ts';
import { registerMcp } from './mcp.ts';

export const commandModules: Array<(program: Command) => void> = [registerInfo, registerBench, registerLibrary, registerExec, registerRetrieve, registerStart, registerTasks, registerEvolve, registerPolicy, registerServe, registerMcp];
