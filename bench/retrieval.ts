/**
 * Retrieval cost scaling (paper §4.3, Fig. 2b), measured with Qwen3 token counts on DepthBench:
 * per library size n and method (tdr, flat, text-tree, flat-dense) the mean prompt tokens per
 * sub-goal, the ratio to TDR, hit@1 / hit@5 of the gold tool, and p50 / p99 latency (per stage for
 * TDR). n ≤ 4,374 samples the real pool (163 DepthBench + 4,211 xLAM tools; the gold tools of the
 * sampled sub-goals are always in); larger n adds synthetic tools that follow the pool's type and
 * text statistics (src/retrieval/synth.ts).
 *
 *   node bin/cocoda.mjs bench retrieval [--sizes 50,1600,…] [--subgoals 150] [--json] [--out DIR]
 *   npx tsx bench/retrieval.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { depthbenchFile } from '../src/library/depthbench.ts';
import { importSchemas } from '../src/library/import-schema.ts';
import type { ToolRecord } from '../src/library/record.ts';
import { packageRoot } from '../src/native/loader.ts';
import { FlatBaseline, FlatDenseBaseline, TextTree } from '../src/retrieval/baselines.ts';
import { Retriever } from '../src/retrieval/cascade.ts';
import { Corpus } from '../src/retrieval/corpus.ts';
import { depthbenchEvalSet, hitAt, type EvalSubGoal } from '../src/retrieval/depthbench.ts';
import { defaultL1, KnownResultL1, UnorderedInputsL1 } from '../src/retrieval/l1.ts';
import os from 'node:os';
import { l1Backend } from '../src/l1/index.ts';
import { synthesizeTools } from '../src/retrieval/synth.ts';
import { CardTokens, qwen3MemoCounter } from '../src/retrieval/tokens.ts';
import { rng } from '../src/retrieval/vectors.ts';
import { argError, checkPositiveInt } from '../src/errors.ts';

export const METHODS = ['tdr', 'flat', 'text-tree', 'flat-dense'] as const;
export type Method = (typeof METHODS)[number];
export const DEFAULT_SIZES = [50, 100, 200, 400, 800, 1600, 3200, 4374, 10_000, 100_000];

export interface StageStats {
  survivors: number;
  tokens: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RetrievalBenchRow {
  n: number;
  method: Method;
  /** Mean prompt tokens per sub-goal. */
  tokens: number;
  /** tokens / TDR tokens at the same n. */
  ratio: number;
  hit1: number;
  hit5: number;
  p50Ms: number;
  p99Ms: number;
  /** TDR only: per-stage mean survivors and tokens, p50/p99 ms. */
  stages?: Record<'L1' | 'L2' | 'L3' | 'L4', StageStats>;
  /** Index build time for this method at this n (ms). */
  buildMs: number;
}

export interface RetrievalBenchResult {
  rows: RetrievalBenchRow[];
  meta: {
    subgoals: number;
    totalSubgoals: number;
    goldTools: number;
    realPool: number;
    k2: number;
    tokenizer: string;
    textTree: { branching: number; leafSize: number; beam: number };
    wallMs: number;
    /** Backend of the L1 index (native addon or TS twin). */
    l1Backend: string;
    /** 1-minute load average at the end (this machine's 2 cores are shared). */
    loadAvg: number;
    cpus: number;
  };
  /**
   * Diagnostic variant, not one of the four methods: TDR whose L1 drops gradual `?` output matches
   * when the sub-goal's output is known (KnownResultL1). It shows how much of TDR's cost is the
   * L2 scan over untyped tools that L1 cannot prune.
   */
  variants: Array<{ n: number; method: 'tdr-known-results'; tokens: number; ratioFlat: number; hit1: number; hit5: number; s1: number }>;
  /** Batch retrieval throughput on the real pool (sub-goals per second), in-process and on 1 / 2 workers. */
  throughput?: Array<{ mode: 'sequential' | 'workers'; threads: number; subgoals: number; perSec: number; ms: number }>;
}

export interface RetrievalBenchOptions {
  sizes?: number[];
  /** Sub-goals sampled (evenly) from the DepthBench set; default 150. */
  subgoals?: number;
  k2?: number;
  seed?: number;
  log?: (line: string) => void;
  /** Measure batch throughput on 1 and 2 workers (default true). */
  workers?: boolean;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

function loadPool(): ToolRecord[] {
  const read = (f: string): unknown => JSON.parse(readFileSync(depthbenchFile(f), 'utf8'));
  const db = importSchemas(read('tools.json'), { tags: [] });
  const xl = importSchemas(read('xlam_tools.json'), { tags: [] });
  return [...db.records, ...xl.records];
}

/** Runs the sweep. */
export async function runRetrievalBench(opts: RetrievalBenchOptions = {}): Promise<RetrievalBenchResult> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const sizes = opts.sizes ?? DEFAULT_SIZES;
  sizes.forEach((n, i) => checkPositiveInt(`sizes[${i}]`, n));
  const k2 = checkPositiveInt('k2', opts.k2 ?? 32);
  const want = checkPositiveInt('subgoals', opts.subgoals ?? 150);
  const pool = loadPool();
  const all = depthbenchEvalSet().subgoals;
  const step = Math.max(1, Math.floor(all.length / want));
  const sample: EvalSubGoal[] = all.filter((_, i) => i % step === 0).slice(0, want);
  const goldNames = [...new Set(sample.map((s) => s.gold))];
  const gold = new Set(goldNames);
  const others = pool.filter((r) => !gold.has(r.name));
  const rand = rng(opts.seed ?? 1);
  for (let i = others.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [others[i], others[j]] = [others[j]!, others[i]!];
  }
  const goldRecs = pool.filter((r) => gold.has(r.name));
  const maxN = Math.max(...sizes);
  const synth = maxN > pool.length ? synthesizeTools(pool, maxN - pool.length, opts.seed ?? 7) : [];
  const counter = qwen3MemoCounter();
  const tree = { branching: 8, leafSize: 8, beam: 2 };
  const rows: RetrievalBenchRow[] = [];
  const variants: RetrievalBenchResult['variants'] = [];
  log(`retrieval bench: ${sample.length} of ${all.length} DepthBench sub-goals, ${goldNames.length} gold tools, sizes ${sizes.join(', ')}`);
  // Throughput first, while the process holds nothing large (the 10⁵ sweep leaves a big heap).
  let throughput: RetrievalBenchResult['throughput'];
  if (opts.workers ?? true) throughput = await measureThroughput(pool, sample, k2, log);

  for (const n of sizes) {
    if (n < goldRecs.length) throw argError('range', 'sizes', `at least the number of gold tools (${goldRecs.length})`, n);
    const records = n <= pool.length ? [...goldRecs, ...others.slice(0, n - goldRecs.length)] : [...pool, ...synth.slice(0, n - pool.length)];
    const corpus = new Corpus({ records, version: `bench-${n}` }, new CardTokens(counter));
    const goldId = sample.map((s) => corpus.id(s.gold)!);
    let b = performance.now();
    corpus.flatTotal();
    const l1 = new UnorderedInputsL1(defaultL1(corpus));
    const tdr = new Retriever(corpus, { l1, k2 });
    tdr.retrieve({ signature: '() -> ?', intent: 'warm up' });
    const tdrBuild = performance.now() - b;
    const strict = new Retriever(corpus, { l1: new KnownResultL1(l1, corpus), k2 });
    const sv = { tok: 0, h1: 0, h5: 0, s1: 0 };
    b = performance.now();
    const flat = new FlatBaseline(corpus);
    const flatBuild = performance.now() - b;
    b = performance.now();
    const dense = new FlatDenseBaseline(corpus);
    const denseBuild = performance.now() - b;
    b = performance.now();
    const tt = new TextTree(corpus, tree);
    const treeBuild = performance.now() - b;

    const acc = new Map<Method, { tok: number[]; ms: number[]; h1: number; h5: number }>();
    for (const m of METHODS) acc.set(m, { tok: [], ms: [], h1: 0, h5: 0 });
    const st = { L1: [] as number[][], L2: [] as number[][], L3: [] as number[][], L4: [] as number[][] };
    sample.forEach((sg, i) => {
      const g = goldId[i]!;
      const record = (m: Method, ranked: Int32Array, tokens: number, ms: number): void => {
        const a = acc.get(m)!;
        a.tok.push(tokens);
        a.ms.push(ms);
        if (hitAt(ranked, g, 1)) a.h1++;
        if (hitAt(ranked, g, 5)) a.h5++;
      };
      const r = tdr.retrieve(sg);
      record('tdr', r.ranked, r.tokens, r.stages.reduce((s, x) => s + x.ms, 0));
      for (const s of r.stages) st[s.stage].push([s.survivors, s.tokens, s.ms]);
      const rs = strict.retrieve(sg);
      sv.tok += rs.tokens;
      sv.s1 += rs.stages[0]!.survivors;
      if (hitAt(rs.ranked, g, 1)) sv.h1++;
      if (hitAt(rs.ranked, g, 5)) sv.h5++;
      const f = flat.retrieve(sg.intent);
      record('flat', f.ranked, f.tokens, f.ms);
      const t = tt.retrieve(sg.intent);
      record('text-tree', t.ranked, t.tokens, t.ms);
      const d = dense.retrieve(sg.intent);
      record('flat-dense', d.ranked, d.tokens, d.ms);
    });
    const tdrTokens = mean(acc.get('tdr')!.tok);
    variants.push({
      n,
      method: 'tdr-known-results',
      tokens: sv.tok / sample.length,
      ratioFlat: sv.tok > 0 ? mean(acc.get('flat')!.tok) / (sv.tok / sample.length) : 0,
      hit1: sv.h1 / sample.length,
      hit5: sv.h5 / sample.length,
      s1: sv.s1 / sample.length,
    });
    const builds: Record<Method, number> = { tdr: tdrBuild, flat: flatBuild, 'text-tree': treeBuild, 'flat-dense': denseBuild };
    for (const m of METHODS) {
      const a = acc.get(m)!;
      const row: RetrievalBenchRow = {
        n,
        method: m,
        tokens: mean(a.tok),
        ratio: tdrTokens > 0 ? mean(a.tok) / tdrTokens : 0,
        hit1: a.h1 / sample.length,
        hit5: a.h5 / sample.length,
        p50Ms: pct(a.ms, 50),
        p99Ms: pct(a.ms, 99),
        buildMs: builds[m],
      };
      if (m === 'tdr') {
        const stat = (xs: number[][]): StageStats => ({
          survivors: mean(xs.map((x) => x[0]!)),
          tokens: mean(xs.map((x) => x[1]!)),
          p50Ms: pct(xs.map((x) => x[2]!), 50),
          p99Ms: pct(xs.map((x) => x[2]!), 99),
        });
        row.stages = { L1: stat(st.L1), L2: stat(st.L2), L3: stat(st.L3), L4: stat(st.L4) };
      }
      rows.push(row);
    }
    const r = rows.slice(-4);
    log(`  n=${n}: ` + r.map((x) => `${x.method} ${Math.round(x.tokens)} tok (×${x.ratio.toFixed(1)}) hit@1 ${x.hit1.toFixed(2)}`).join(' | ') + `  [${Math.round(performance.now() - t0)} ms]`);
  }
  return {
    rows,
    variants,
    ...(throughput ? { throughput } : {}),
    meta: {
      subgoals: sample.length,
      totalSubgoals: all.length,
      goldTools: goldNames.length,
      realPool: pool.length,
      k2,
      tokenizer: counter.name,
      textTree: tree,
      wallMs: performance.now() - t0,
      l1Backend: l1Backend(),
      loadAvg: os.loadavg()[0]!,
      cpus: os.cpus().length,
    },
  };
}

/**
 * Batch throughput on the real pool: the same sub-goals (repeated to 4× the sample) retrieved
 * in-process, then by a BatchRetriever on 1 and on 2 worker threads (after a warm-up that has every
 * worker index the version). Each mode: one untimed pass, then the median of three timed passes.
 */
async function measureThroughput(
  pool: ToolRecord[],
  sample: EvalSubGoal[],
  k2: number,
  log: (l: string) => void,
): Promise<NonNullable<RetrievalBenchResult['throughput']>> {
  const { ToolDag } = await import('../src/library/dag.ts');
  const { BatchRetriever } = await import('../src/retrieval/batch.ts');
  const dag = ToolDag.fromRecords(pool);
  const goals = [...sample, ...sample, ...sample, ...sample].map((g) => ({ signature: g.signature, intent: g.intent }));
  const out: NonNullable<RetrievalBenchResult['throughput']> = [];
  // Each mode: one untimed pass (JIT, caches), then the median of 3 timed passes.
  const median3 = async (pass: () => Promise<void> | void): Promise<number> => {
    await pass();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await pass();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[1]!;
  };
  const corpus = Corpus.fromDag(dag, new CardTokens(qwen3MemoCounter()));
  const seq = new Retriever(corpus, { k2, l1: new UnorderedInputsL1(defaultL1(corpus)) });
  let ms = await median3(() => {
    for (const g of goals) seq.retrieve(g);
  });
  out.push({ mode: 'sequential', threads: 0, subgoals: goals.length, perSec: (goals.length * 1000) / ms, ms });
  for (const threads of [1, 2]) {
    const batch = new BatchRetriever(dag, { threads, k2, unorderedInputs: true });
    try {
      // Warm-up (not timed): every worker loads tsx, the tokenizer and indexes the version.
      const warm = await batch.warmUp(goals[0]!);
      if (warm < threads) log(`  warning: only ${warm} of ${threads} workers warmed up`);
      ms = await median3(async () => {
        await batch.retrieveBatch(goals);
      });
    } finally {
      await batch.close();
    }
    out.push({ mode: 'workers', threads, subgoals: goals.length, perSec: (goals.length * 1000) / ms, ms });
  }
  log('  throughput (sub-goals/s): ' + out.map((x) => `${x.mode === 'sequential' ? 'in-process' : `${x.threads} worker${x.threads > 1 ? 's' : ''}`} ${x.perSec.toFixed(0)}`).join(', '));
  return out;
}

/** The printed table. */
export function formatRetrievalBench(res: RetrievalBenchResult): string {
  const head = '     n  method        tokens/sub-goal   ×TDR   hit@1  hit@5   p50 ms   p99 ms';
  const lines = [head, '-'.repeat(head.length)];
  for (const r of res.rows) {
    lines.push(
      `${String(r.n).padStart(6)}  ${r.method.padEnd(12)} ${r.tokens.toFixed(0).padStart(15)} ${r.ratio.toFixed(1).padStart(7)} ${r.hit1.toFixed(3).padStart(7)} ${r.hit5.toFixed(3).padStart(6)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)}`,
    );
  }
  lines.push('');
  lines.push('TDR per stage (mean survivors / mean tokens / p50 ms / p99 ms):');
  for (const r of res.rows) {
    if (!r.stages) continue;
    const s = r.stages;
    lines.push(
      `${String(r.n).padStart(6)}  ` +
        (['L1', 'L2', 'L3', 'L4'] as const).map((k) => `${k} ${s[k].survivors.toFixed(1)}/${s[k].tokens.toFixed(0)}/${s[k].p50Ms.toFixed(2)}/${s[k].p99Ms.toFixed(2)}`).join('  '),
    );
  }
  if (res.variants.length > 0) {
    lines.push('');
    lines.push('Diagnostic: TDR with L1 dropping gradual `?` outputs (untyped tools) when the output is known:');
    for (const v of res.variants) {
      lines.push(`${String(v.n).padStart(6)}  |S1| ${v.s1.toFixed(1).padStart(8)}  tokens ${v.tokens.toFixed(0).padStart(7)}  flat/this ${v.ratioFlat.toFixed(1).padStart(8)}×  hit@1 ${v.hit1.toFixed(3)}  hit@5 ${v.hit5.toFixed(3)}`);
    }
  }
  if (res.throughput) {
    lines.push('');
    lines.push('Batch throughput on the real pool (n = 4,374): ' + res.throughput.map((x) => `${x.mode === 'sequential' ? 'in-process' : `${x.threads} worker${x.threads > 1 ? 's' : ''}`} ${x.perSec.toFixed(0)}/s`).join(', ') + (res.throughput.length === 3 ? `; 2 workers / 1 worker = ${(res.throughput[2]!.perSec / res.throughput[1]!.perSec).toFixed(2)}×` : ''));
  }
  const m = res.meta;
  lines.push('');
  lines.push(
    `${m.subgoals} of ${m.totalSubgoals} DepthBench sub-goals (evenly sampled), ${m.goldTools} gold tools always in the pool; real pool ${m.realPool}, larger n synthetic; k2=${m.k2}; ${m.tokenizer} tokens; text tree b=${m.textTree.branching} leaf≤${m.textTree.leafSize} beam=${m.textTree.beam}; L1 index ${m.l1Backend}; wall ${(m.wallMs / 1000).toFixed(1)} s; load average ${m.loadAvg.toFixed(1)} on ${m.cpus} cores`,
  );
  return lines.join('\n');
}

/** Tokens vs n, log–log, one line per method (vega-lite, rendered headless to SVG). */
export async function retrievalSvg(res: RetrievalBenchResult): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Retrieval prompt tokens per sub-goal vs library size (Qwen3 tokens, DepthBench)',
    width: 520,
    height: 340,
    data: { values: res.rows.map((r) => ({ n: r.n, method: r.method, tokens: Math.max(1, r.tokens) })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'library size n (tools)' },
      y: { field: 'tokens', type: 'quantitative', scale: { type: 'log' }, title: 'mean prompt tokens per sub-goal' },
      color: { field: 'method', type: 'nominal', sort: [...METHODS] },
    },
  };
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function parseSizes(s: string): number[] {
  return s.split(',').map((x, i) => {
    const n = Number(x.trim().replace(/_/g, ''));
    return checkPositiveInt(`sizes[${i}]`, n);
  });
}

export function registerRetrievalBench(bench: Command): void {
  bench
    .command('retrieval')
    .description('token cost and hit@k of TDR vs flat / text-tree / flat-dense as the library grows (DepthBench, Qwen3 tokens)')
    .option('--sizes <list>', 'library sizes, comma-separated', DEFAULT_SIZES.join(','))
    .option('--subgoals <n>', 'DepthBench sub-goals sampled', '150')
    .option('--out <dir>', 'where retrieval.json and retrieval.svg are written', path.join(packageRoot, 'bench', 'results'))
    .option('--no-write', 'do not write the JSON and SVG files')
    .option('--json', 'print the JSON rows instead of the table')
    .option('--no-workers', 'skip the batch-throughput measurement on 1 and 2 workers')
    .action(async (o: { sizes: string; subgoals: string; out: string; write: boolean; json?: boolean; workers: boolean }) => {
      const res = await runRetrievalBench({
        sizes: parseSizes(o.sizes),
        subgoals: Number(o.subgoals),
        workers: o.workers,
        log: o.json ? undefined : (l) => process.stderr.write(l + '\n'),
      });
      if (o.write) {
        mkdirSync(o.out, { recursive: true });
        writeFileSync(path.join(o.out, 'retrieval.json'), JSON.stringify(res, null, 1) + '\n');
        writeFileSync(path.join(o.out, 'retrieval.svg'), await retrievalSvg(res));
      }
      process.stdout.write((o.json ? JSON.stringify(res.rows) : formatRetrievalBench(res)) + '\n');
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRetrievalBench({ log: (l) => console.error(l) }).then((r) => console.log(formatRetrievalBench(r)));
}
