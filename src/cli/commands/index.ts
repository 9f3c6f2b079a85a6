// Every top-level command and the module that registers it (one module per concept). A module is
// imported only when its command runs (or for `--help`), so `cocoda info` does not load
// TensorFlow.js, the sandbox or the benchmarks. Adding a command is one line here.
import type { Command } from 'commander';

export type Register = (program: Command) => void | Promise<void>;

export const commandModules: Record<string, () => Promise<Register>> = {
  info: async () => (await import('./info.ts')).registerInfo,
  start: async () => (await import('./start.ts')).registerStart,
  train: async () => (await import('./train.ts')).registerTrain,
  ablations: async () => (await import('./train.ts')).registerAblations,
  demo: async () => (await import('./start.ts')).registerDemo,
  library: async () => (await import('./library.ts')).registerLibrary,
  run: async () => (await import('./exec.ts')).registerExec,
  retrieve: async () => (await import('./retrieve.ts')).registerRetrieve,
  tasks: async () => (await import('./tasks.ts')).registerTasks,
  evolve: async () => (await import('./evolve.ts')).registerEvolve,
  policy: async () => (await import('./policy.ts')).registerPolicy,
  serve: async () => (await import('./serve.ts')).registerServe,
  mcp: async () => (await import('./mcp.ts')).registerMcp,
  bench: async () => (await import('./bench.ts')).registerBench,
};
