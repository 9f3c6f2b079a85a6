/**
 * Sandbox overhead, measured in one run: calls per second of a primitive (`add`) and of a depth-3
 * composite through the sandbox (batched, one IPC round trip per batch; with contracts, with
 * traces; and one call per round trip), beside the same functions called directly in the host.
 *
 *   npm run bench:exec      node bin/cocoda.mjs bench exec [--json] [--batch N]      npx tsx bench/exec.ts
 */
import type { Command } from 'commander';
import { Sandbox, type CallSpec } from '../src/exec/sandbox.ts';
import { programFor } from '../src/exec/library.ts';
import { ToolDag } from '../src/library/dag.ts';
import { seedRecords } from '../src/primitives/index.ts';

export interface ExecBenchRow {
  tool: string;
  depth: number;
  /** Primitive calls per top-level call (flat size). */
  flat: number;
  mode: string;
  callsPerSec: number;
  usPerCall: number;
  /** usPerCall / host usPerCall for the same tool. */
  overhead: number;
}

/** Library for the bench: primitives, and a chain of composites up to depth 3. */
export function benchLibrary(): ToolDag {
  return ToolDag.fromRecords([
    ...seedRecords(),
    { name: 'quad', signature: '(x: float) -> float', body: 'function quad(x) { return add(mul(x, x), add(mul(-3, x), 2)); }' },
    { name: 'quad_shift', signature: '(x: float) -> float', body: 'function quad_shift(x) { return add(quad(x), quad(add(x, 1))); }' },
    { name: 'quad_chain', signature: '(x: float) -> float', body: 'function quad_chain(x) { return mul(quad_shift(x), sub(quad_shift(x), 1)); }' },
  ]);
}

/** The same tools as plain host functions (trusted sources, no sandbox, no contracts). */
function hostFunctions(dag: ToolDag, names: string[]): Record<string, (...a: number[]) => number> {
  const bodies = dag.records().filter((r) => r.body !== undefined).map((r) => r.body!);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function(`${bodies.join('\n')}\nreturn { ${names.join(', ')} };`)() as Record<string, (...a: number[]) => number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runExecBench(options: { batch?: number; rounds?: number } = {}): Promise<ExecBenchRow[]> {
  const batch = options.batch ?? 2000;
  const rounds = options.rounds ?? 7;
  const dag = benchLibrary();
  const tools = [
    { name: 'add', args: (i: number): number[] => [i, 0.5] },
    { name: 'quad_chain', args: (i: number): number[] => [(i % 50) / 10] },
  ];
  const host = hostFunctions(dag, tools.map((t) => t.name));
  const sandbox = new Sandbox({ timeoutMs: 10_000 });
  const rows: ExecBenchRow[] = [];
  try {
    for (const t of tools) {
      const fn = host[t.name]!;
      const argsList = Array.from({ length: batch }, (_, i) => t.args(i));
      const program = programFor(dag, t.name);
      const modes: Array<[string, (a: number[]) => CallSpec, number]> = [
        [`sandbox, batch ${batch}`, (a) => ({ tool: t.name, args: a, contracts: false }), batch],
        [`sandbox, batch ${batch}, contracts`, (a) => ({ tool: t.name, args: a }), batch],
        [`sandbox, batch ${batch}, contracts+trace`, (a) => ({ tool: t.name, args: a, trace: true }), batch],
        ['sandbox, 1 call per round trip', (a) => ({ tool: t.name, args: a, contracts: false }), 1],
      ];
      const batches = modes.map(([, spec, size]) => argsList.slice(0, size).map(spec));
      // Host: direct calls with the same arguments.
      let sink = 0;
      const hostRound = (): number => {
        const reps = 50;
        const t0 = performance.now();
        for (let k = 0; k < reps; k++) for (let i = 0; i < argsList.length; i++) sink += fn(argsList[i]![0]!, argsList[i]![1]!);
        return (performance.now() - t0) / (reps * batch);
      };
      const sandboxRound = async (m: number): Promise<number> => {
        const calls = batches[m]!;
        const reps = calls.length === 1 ? 100 : 1;
        const t0 = performance.now();
        for (let k = 0; k < reps; k++) {
          const outs = await sandbox.run(program, calls);
          if (!outs[0]!.ok) throw new Error(`bench call failed: ${outs[0]!.error!.message}`);
        }
        return (performance.now() - t0) / (reps * calls.length);
      };
      // Warm-up (spawn, compile, JIT), then rounds that interleave every mode so that load
      // changes on the machine hit all of them alike; the median of each is reported.
      hostRound();
      for (let m = 0; m < modes.length; m++) await sandboxRound(m);
      const times: number[][] = [[], ...modes.map(() => [])];
      for (let r = 0; r < rounds; r++) {
        times[0]!.push(hostRound());
        for (let m = 0; m < modes.length; m++) times[m + 1]!.push(await sandboxRound(m));
      }
      if (sink === 42.4242) console.log(sink);
      const hostMs = median(times[0]!);
      const base = { tool: t.name, depth: dag.depth(t.name), flat: dag.flat(t.name) };
      rows.push({ ...base, mode: 'host, direct call', callsPerSec: 1000 / hostMs, usPerCall: hostMs * 1000, overhead: 1 });
      modes.forEach(([mode], m) => {
        const ms = median(times[m + 1]!);
        rows.push({ ...base, mode, callsPerSec: 1000 / ms, usPerCall: ms * 1000, overhead: ms / hostMs });
      });
    }
  } finally {
    await sandbox.close();
  }
  return rows;
}

export function formatExecBench(rows: ExecBenchRow[]): string {
  const lines = ['tool         depth  flat  mode                                   calls/s      µs/call   vs host'];
  for (const r of rows) {
    lines.push(
      `${r.tool.padEnd(12)} ${String(r.depth).padStart(5)} ${String(r.flat).padStart(5)}  ${r.mode.padEnd(37)} ${Math.round(r.callsPerSec).toLocaleString('en-US').padStart(12)} ${r.usPerCall.toFixed(3).padStart(12)}   ${r.overhead === 1 ? '1×' : r.overhead.toFixed(0) + '×'}`,
    );
  }
  return lines.join('\n');
}

/** `cocoda bench exec [--json] [--batch N]`. */
export function registerExecBench(bench: Command): void {
  bench
    .command('exec')
    .description('sandbox calls/s for a primitive and a depth-3 composite vs direct host calls, in one run')
    .option('--json', 'print JSON rows')
    .option('--batch <n>', 'calls per sandbox batch', '2000')
    .action(async (opts: { json?: boolean; batch: string }) => {
      const rows = await runExecBench({ batch: Number(opts.batch) });
      process.stdout.write((opts.json ? JSON.stringify({ rows }) : formatExecBench(rows)) + '\n');
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runExecBench().then((rows) => console.log(formatExecBench(rows)));
}
