/**
 * DAG kernels, native vs TypeScript twin, measured in the same run (tinybench): depth/flat/Φ
 * recompute (`metrics`), acyclicity (`findCycle`) and `topoOrder`, each one call over a whole
 * random DAG of 10³, 10⁴, 10⁵ nodes.
 *
 *   node bin/cocoda.mjs bench core [--json]        (this suite is part of `bench core`)
 *
 * Random DAGs: node v has 1–6 children (with repeats = multiplicity) drawn from the ids below v,
 * half from its 64 nearest predecessors (long chains, depth grows with n) and half uniformly
 * (wide sharing), so ids ascend in topological order only by construction, not by the kernels'
 * assumption: nodes are then relabelled by a random permutation.
 */
import { Bench } from 'tinybench';
import { nativeDagKernels, tsDagKernels, type DagKernels } from '../src/library/kernels.ts';

/** One row of the core table: one operation at one size, both backends. */
export interface CoreBenchRow {
  suite: string;
  op: string;
  n: number;
  /** Median (p50) latency of one call on the TypeScript twin, ms. */
  tsMs: number;
  /** Median latency on the native addon, ms (null without the addon). */
  nativeMs: number | null;
  /** tsMs / nativeMs: how many times faster native is. */
  speedup: number | null;
  note?: string;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A random DAG in CSR form (see the module comment). Deterministic per (n, seed). */
export function randomDag(n: number, seed = 1): { offsets: Int32Array; targets: Int32Array } {
  const rnd = lcg(seed ^ n);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (let v = 1; v < n; v++) {
    const k = 1 + Math.floor(rnd() * 6);
    for (let c = 0; c < k; c++) {
      const u = rnd() < 0.5 ? Math.max(0, v - 1 - Math.floor(rnd() * 64)) : Math.floor(rnd() * v);
      lists[perm[v]!]!.push(perm[u]!);
    }
  }
  const offsets = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) offsets[v + 1] = offsets[v]! + lists[v]!.length;
  const targets = new Int32Array(offsets[n]!);
  let e = 0;
  for (const l of lists) for (const u of l) targets[e++] = u;
  return { offsets, targets };
}

function p50(bench: Bench, name: string): number | null {
  const task = bench.tasks.find((t) => t.name === name);
  const r = task?.result as { latency?: { p50?: number; mean?: number } } | undefined;
  return r?.latency ? (r.latency.p50 ?? r.latency.mean ?? null) : null;
}

export interface DagBenchOptions {
  sizes?: number[];
  /** tinybench time budget per task, ms. */
  timeMs?: number;
}

/** Runs the DAG kernel suite and returns one row per (operation, size). */
export async function runDagBench(options: DagBenchOptions = {}): Promise<CoreBenchRow[]> {
  const sizes = options.sizes ?? [1_000, 10_000, 100_000];
  const time = options.timeMs ?? 300;
  const native = nativeDagKernels();
  const rows: CoreBenchRow[] = [];
  for (const n of sizes) {
    const { offsets, targets } = randomDag(n);
    // Sanity: both backends agree on this graph before timing it.
    const ref = tsDagKernels.metrics(offsets, targets);
    if (native) {
      const m = native.metrics(offsets, targets);
      if (m.depth.some((d, i) => d !== ref.depth[i]) || m.flat.some((f, i) => !Object.is(f, ref.flat[i]))) {
        throw new Error(`bench dag: native and TS metrics differ at n = ${n}`);
      }
    }
    const maxDepth = ref.depth.reduce((a, b) => Math.max(a, b), 0);
    const ops: Array<[string, (k: DagKernels) => unknown]> = [
      ['depth/flat/Φ (metrics)', (k) => k.metrics(offsets, targets)],
      ['acyclicity (findCycle)', (k) => k.findCycle(offsets, targets)],
      ['topoOrder', (k) => k.topoOrder(offsets, targets)],
    ];
    for (const [op, fn] of ops) {
      const bench = new Bench({ time, warmupTime: Math.min(100, time / 3) });
      bench.add('ts', () => fn(tsDagKernels));
      if (native) bench.add('native', () => fn(native));
      await bench.run();
      const tsMs = p50(bench, 'ts')!;
      const nativeMs = native ? p50(bench, 'native') : null;
      rows.push({ suite: 'dag', op, n, tsMs, nativeMs, speedup: nativeMs ? tsMs / nativeMs : null, note: `${targets.length} edges, depth ${maxDepth}` });
    }
  }
  return rows;
}
