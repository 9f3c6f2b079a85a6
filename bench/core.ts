/**
 * `cocoda bench core` (= `npm run bench:core`): the library core, native addon vs TypeScript
 * twin, measured in one run and printed as one table of ratios:
 *
 * * DAG kernels (bench/dag.ts, tinybench): depth/flat/Φ recompute, acyclicity, topological
 *   order, one call over random DAGs of 10³, 10⁴, 10⁵ nodes;
 * * L1 lookup (bench/l1.ts): single-query p50 at 10², 10³, 10⁴, 10⁵ tools.
 *
 *   npm run bench:core            node bin/cocoda.mjs bench core [--json] [--quick]
 */
import type { Command } from 'commander';
import { backendInfo } from '../src/native/loader.ts';
import { runDagBench, type CoreBenchRow } from './dag.ts';

export type { CoreBenchRow } from './dag.ts';

export interface CoreBenchOptions {
  /** Small sizes and short timings (smoke test), not for reporting. */
  quick?: boolean;
}

export interface CoreBenchResult {
  backend: ReturnType<typeof backendInfo>;
  rows: CoreBenchRow[];
  /** p50 at the largest L1 size over p50 at the smallest, per backend (DESIGN target ≤ 2). */
  l1Flatness: Record<string, number>;
  /** Set when the L1 rows could not be produced (e.g. bench/l1.ts missing). */
  l1Error?: string;
}

/** The subset of bench/l1.ts this suite reads (imported dynamically so the DAG part runs alone). */
interface L1Row {
  backend: 'native' | 'ts' | 'scan';
  n: number;
  p50Us: number;
  meanHits: number;
}

async function l1Rows(quick: boolean): Promise<{ rows: CoreBenchRow[]; flatness: Record<string, number> }> {
  const spec = './l1.ts';
  const mod = (await import(spec)) as { benchL1?: (o: { sizes?: number[]; queries?: number; scan?: boolean }) => Promise<L1Row[]> };
  if (typeof mod.benchL1 !== 'function') throw new Error('bench/l1.ts does not export benchL1()');
  const sizes = quick ? [100, 1_000] : [100, 1_000, 10_000, 100_000];
  const raw = await mod.benchL1({ sizes, queries: quick ? 200 : 2_000, scan: true });
  const rows: CoreBenchRow[] = [];
  for (const n of sizes) {
    const ts = raw.find((r) => r.backend === 'ts' && r.n === n);
    const nat = raw.find((r) => r.backend === 'native' && r.n === n);
    const scan = raw.find((r) => r.backend === 'scan' && r.n === n);
    if (!ts) continue;
    const tsMs = ts.p50Us / 1000;
    const nativeMs = nat ? nat.p50Us / 1000 : null;
    rows.push({
      suite: 'l1',
      op: 'L1 lookup p50 (one query)',
      n,
      tsMs,
      nativeMs,
      speedup: nativeMs ? tsMs / nativeMs : null,
      note: `mean |S1| ${ts.meanHits.toFixed(1)}${scan ? `, brute-force scan ${(scan.p50Us / ts.p50Us).toFixed(0)}× the TS index` : ''}`,
    });
  }
  const flatness: Record<string, number> = {};
  for (const b of ['native', 'ts'] as const) {
    const lo = raw.find((r) => r.backend === b && r.n === sizes[0]);
    const hi = raw.find((r) => r.backend === b && r.n === sizes[sizes.length - 1]);
    if (lo && hi) flatness[b] = hi.p50Us / lo.p50Us;
  }
  return { rows, flatness };
}

/** Runs both parts in one process and returns every row. */
export async function runCoreBench(options: CoreBenchOptions = {}): Promise<CoreBenchResult> {
  const quick = options.quick ?? false;
  const rows = await runDagBench(quick ? { sizes: [1_000, 10_000], timeMs: 50 } : {});
  const result: CoreBenchResult = { backend: backendInfo(), rows, l1Flatness: {} };
  try {
    const l1 = await l1Rows(quick);
    rows.push(...l1.rows);
    result.l1Flatness = l1.flatness;
  } catch (e) {
    result.l1Error = (e as Error).message;
  }
  return result;
}

function fmtTime(ms: number | null): string {
  if (ms === null) return '(no addon)';
  const us = ms * 1000;
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(1)} µs`;
  return `${ms.toFixed(2)} ms`;
}

/** The one table (plus the L1 flatness line). */
export function formatCoreBench(res: CoreBenchResult): string {
  const head = ['suite', 'operation', 'n', 'TS twin p50', 'native p50', 'native speed-up', 'workload'];
  const body = res.rows.map((r) => [
    r.suite,
    r.op,
    r.n.toLocaleString('en-US'),
    fmtTime(r.tsMs),
    fmtTime(r.nativeMs),
    r.speedup === null ? '-' : `${r.speedup.toFixed(2)}×`,
    r.note ?? '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  const out = [
    `backend: ${res.backend.backend} (${res.backend.reason}${res.backend.compiler ? `, ${res.backend.compiler}` : ''})`,
    '',
    line(head),
    line(w.map((x) => '-'.repeat(x))),
    ...body.map(line),
    '',
    'native speed-up = TS twin p50 / native p50, both measured in this run (tinybench for the DAG kernels).',
  ];
  const fl = Object.entries(res.l1Flatness);
  if (fl.length) out.push(`L1 p50 growth from the smallest to the largest library: ${fl.map(([b, r]) => `${b} ${r.toFixed(2)}×`).join(', ')} (target ≤ 2×).`);
  if (res.l1Error) out.push(`L1 rows unavailable (${res.l1Error}); the DAG rows above stand alone.`);
  return out.join('\n');
}

/** `cocoda bench core [--json] [--quick]`. */
export function registerCoreBench(bench: Command): void {
  bench
    .command('core')
    .description('library core, native vs TS twin: DAG kernels on 1e3-1e5 nodes and L1 lookup p50 at 1e2-1e5 tools')
    .option('--json', 'print {"backend", "rows": [{suite, op, n, tsMs, nativeMs, speedup, note}], "l1Flatness"}')
    .option('--quick', 'small sizes and short timings (a smoke test, not for reporting)')
    .action(async (opts: { json?: boolean; quick?: boolean }) => {
      if (!opts.json) process.stderr.write('bench core: running (about a minute)…\n');
      const res = await runCoreBench({ quick: opts.quick ?? false });
      process.stdout.write((opts.json ? JSON.stringify(res) : formatCoreBench(res)) + '\n');
    });
}
