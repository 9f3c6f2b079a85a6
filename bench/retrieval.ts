/**
 * Retrieval cost scaling (paper §4.3, Fig. 2b), measured with Qwen3 token counts on DepthBench:
 * per library size n and method (tdr, flat, text-tree, flat-dense, bm25) the mean prompt tokens per
 * sub-goal, the ratio to TDR, hit@1 / hit@5 of the gold tool, and p50 / p99 latency (per stage for
 * TDR). TDR is the graded cascade with the bounded pre-ranker (docs/retrieval.md); the variants
 * measure it without the semantic signal (`tdr-lexical`), with the pre-issue hard gate
 * (`tdr-hard`), and on loosely typed sub-goals (`tdr@coarse`); the m sweep measures the L2 card cap. n ≤ 4,374 samples the real pool (163 DepthBench + 4,211 xLAM tools; the gold tools of the
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
import { Bm25Baseline, FlatBaseline, FlatDenseBaseline, TextTree } from '../src/retrieval/baselines.ts';
import { Retriever } from '../src/retrieval/cascade.ts';
import { Corpus } from '../src/retrieval/corpus.ts';
import { coarseForm, depthbenchEvalSet, hitAt, type EvalSubGoal } from '../src/retrieval/depthbench.ts';
import os from 'node:os';
import { l1Backend } from '../src/l1/index.ts';
import { synthesizeTools } from '../src/retrieval/synth.ts';
import { CardTokens, qwen3MemoCounter } from '../src/retrieval/tokens.ts';
import { rng } from '../src/retrieval/vectors.ts';
import { geometricGrid, pickMatched } from '../src/retrieval/matched.ts';
import { argError, checkNonNegativeInt, checkPositiveInt } from '../src/errors.ts';

export const METHODS = ['tdr', 'flat', 'text-tree', 'flat-dense', 'bm25'] as const;
export type Method = (typeof METHODS)[number];
export const DEFAULT_SIZES = [50, 100, 200, 400, 800, 1600, 3200, 4374, 10_000, 100_000];
/**
 * Extra rows of the matched-accuracy mode (not among the four contract methods):
 * `…@matched` = cheapest setting whose hit@5 reaches TDR's at that n; `…@matched-shown` = cheapest
 * setting whose materialised tools contain the gold tool as often as TDR's top 5 do (the reading
 * most generous to the baselines: a perfect reader of the shown cards).
 */
export const MATCHED_METHODS = ['text-tree@matched', 'flat-dense@matched', 'text-tree@matched-shown', 'flat-dense@matched-shown'] as const;
export type MatchedMethod = (typeof MATCHED_METHODS)[number];
/** Variants of TDR measured beside it (see the module comment). */
export const VARIANTS = ['tdr-lexical', 'tdr-hard', 'tdr@coarse'] as const;
export type Variant = (typeof VARIANTS)[number];
/** L2 card caps m swept (TDR at n ≤ `--m-sweep-max-n`, default 4,374). */
export const M_GRID = [8, 16, 32, 64, 128];
/** The matched-accuracy sweep runs for n up to this by default (`--matched-max-n`). */
export const DEFAULT_MATCHED_MAX_N = 4374;

/** One setting of a baseline's cost knob, measured over the sampled sub-goals at one n. */
export interface SweepRow {
  n: number;
  method: 'text-tree' | 'flat-dense';
  /** The knob: beam width of the text-tree walk, or flat-dense's top-k. */
  param: 'beam' | 'k';
  value: number;
  tokens: number;
  hit1: number;
  hit5: number;
  /** Fraction of sub-goals whose gold tool was among the materialised tools. */
  shown: number;
  p50Ms: number;
  p99Ms: number;
}

export interface StageStats {
  survivors: number;
  tokens: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RetrievalBenchRow {
  n: number;
  method: Method | MatchedMethod;
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
  /** Matched rows only: whether the target was reached (else: the most accurate setting swept). */
  matched?: boolean;
  /** Matched rows only: what was matched — TDR's hit@5 by hit@5, or by the gold being shown. */
  criterion?: 'hit5' | 'shown';
  /** Matched rows only: TDR's hit@5 at this n. */
  target?: number;
  /** Matched text-tree rows: the beam chosen. */
  beam?: number;
  /** Matched flat-dense rows: the top-k chosen. */
  k?: number;
  /** Matched rows only: fraction of sub-goals whose gold tool was among the materialised tools. */
  shown?: number;
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
    /** Largest n with a matched-accuracy sweep (0: none). */
    matchedMaxN: number;
    wallMs: number;
    /** Backend of the L1 index (native addon or TS twin). */
    l1Backend: string;
    /** 1-minute load average at the end (this machine's 2 cores are shared). */
    loadAvg: number;
    cpus: number;
  };
  /**
   * TDR variants (not contract methods): `tdr-lexical` without the WordNet expansion (the semantic
   * signal measured against lexical only), `tdr-hard` the pre-issue cascade (hard L1 gate, every
   * frontier card shown), `tdr@coarse` TDR on the loosely typed form of the same sub-goals.
   */
  variants: Array<{ n: number; method: Variant; tokens: number; ratioFlat: number; hit1: number; hit5: number; s1: number; p50Ms: number }>;
  /** TDR at each L2 card cap m (the measurement behind the default m). */
  mSweep: Array<{ n: number; m: number; tokens: number; hit1: number; hit5: number; p50Ms: number }>;
  /** Matched-accuracy sweeps (every setting measured), n ≤ `meta.matchedMaxN`. */
  sweeps: SweepRow[];
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
  /** Run the matched-accuracy sweep for n up to this (default 4,374; 0 turns it off). */
  matchedMaxN?: number;
  /** Run the m sweep for n up to this (default 4,374; 0 turns it off). */
  mSweepMaxN?: number;
  /** L2 card cap of TDR (default: the cascade's). */
  m?: number;
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
  const matchedMaxN = checkNonNegativeInt('matchedMaxN', opts.matchedMaxN ?? DEFAULT_MATCHED_MAX_N);
  const mSweepMaxN = checkNonNegativeInt('mSweepMaxN', opts.mSweepMaxN ?? DEFAULT_MATCHED_MAX_N);
  const m = opts.m === undefined ? undefined : checkPositiveInt('m', opts.m);
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
  const sweeps: SweepRow[] = [];
  const mSweep: RetrievalBenchResult['mSweep'] = [];
  const coarse = sample.map(coarseForm);
  log(`retrieval bench: ${sample.length} of ${all.length} DepthBench sub-goals, ${goldNames.length} gold tools, sizes ${sizes.join(', ')}`);
  // Throughput first, while the process holds nothing large (the 10⁵ sweep leaves a big heap).
  let throughput: RetrievalBenchResult['throughput'];
  if (opts.workers ?? true) throughput = await measureThroughput(pool, sample, k2, log);

  for (const n of sizes) {
    if (n < goldRecs.length) throw argError('range', 'sizes', `at least the number of gold tools (${goldRecs.length})`, n);
    const records = n <= pool.length ? [...goldRecs, ...others.slice(0, n - goldRecs.length)] : [...pool, ...synth.slice(0, n - pool.length)];
    const corpus = new Corpus({ records, version: `bench-${n}` }, new CardTokens(counter));
    const goldId = sample.map((s) => corpus.id(s.gold)!);
    corpus.flatTotal();
    let b = performance.now();
    const tdr = new Retriever(corpus, { unorderedInputs: true, k2, ...(m ? { m } : {}) });
    tdr.retrieve({ signature: '() -> ?', intent: 'warm up' });
    const tdrBuild = performance.now() - b;
    const variantRet: Record<Variant, Retriever> = {
      'tdr-lexical': new Retriever(corpus, { unorderedInputs: true, k2, semantic: false, ...(m ? { m } : {}) }),
      'tdr-hard': new Retriever(corpus, { unorderedInputs: true, k2, graded: false }),
      'tdr@coarse': tdr,
    };
    const vacc = new Map<Variant, { tok: number[]; ms: number[]; h1: number; h5: number; s1: number }>();
    for (const v of VARIANTS) vacc.set(v, { tok: [], ms: [], h1: 0, h5: 0, s1: 0 });
    b = performance.now();
    const flat = new FlatBaseline(corpus);
    const flatBuild = performance.now() - b;
    b = performance.now();
    const dense = new FlatDenseBaseline(corpus);
    const denseBuild = performance.now() - b;
    b = performance.now();
    const tt = new TextTree(corpus, tree);
    const treeBuild = performance.now() - b;
    b = performance.now();
    const bm25 = new Bm25Baseline(corpus);
    const bm25Build = performance.now() - b;

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
      for (const v of VARIANTS) {
        const rv = variantRet[v].retrieve(v === 'tdr@coarse' ? coarse[i]! : sg);
        const a = vacc.get(v)!;
        a.tok.push(rv.tokens);
        a.ms.push(rv.stages.reduce((s, x) => s + x.ms, 0));
        a.s1 += rv.stages[0]!.survivors;
        if (hitAt(rv.ranked, g, 1)) a.h1++;
        if (hitAt(rv.ranked, g, 5)) a.h5++;
      }
      const f = flat.retrieve(sg.intent);
      record('flat', f.ranked, f.tokens, f.ms);
      const t = tt.retrieve(sg.intent);
      record('text-tree', t.ranked, t.tokens, t.ms);
      const d = dense.retrieve(sg.intent);
      record('flat-dense', d.ranked, d.tokens, d.ms);
      const bm = bm25.retrieve(sg.intent);
      record('bm25', bm.ranked, bm.tokens, bm.ms);
    });
    const tdrTokens = mean(acc.get('tdr')!.tok);
    for (const v of VARIANTS) {
      const a = vacc.get(v)!;
      variants.push({
        n,
        method: v,
        tokens: mean(a.tok),
        ratioFlat: mean(a.tok) > 0 ? mean(acc.get('flat')!.tok) / mean(a.tok) : 0,
        hit1: a.h1 / sample.length,
        hit5: a.h5 / sample.length,
        s1: a.s1 / sample.length,
        p50Ms: pct(a.ms, 50),
      });
    }
    if (n <= mSweepMaxN) {
      for (const mm of M_GRID) {
        const r = new Retriever(corpus, { unorderedInputs: true, k2, m: mm });
        const a = { tok: [] as number[], ms: [] as number[], h1: 0, h5: 0 };
        sample.forEach((sg, i) => {
          const x = r.retrieve(sg);
          a.tok.push(x.tokens);
          a.ms.push(x.stages.reduce((s, y) => s + y.ms, 0));
          if (hitAt(x.ranked, goldId[i]!, 1)) a.h1++;
          if (hitAt(x.ranked, goldId[i]!, 5)) a.h5++;
        });
        mSweep.push({ n, m: mm, tokens: mean(a.tok), hit1: a.h1 / sample.length, hit5: a.h5 / sample.length, p50Ms: pct(a.ms, 50) });
      }
    }
    const builds: Record<Method, number> = { tdr: tdrBuild, flat: flatBuild, 'text-tree': treeBuild, 'flat-dense': denseBuild, bm25: bm25Build };
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
    const r = rows.slice(-METHODS.length);
    log(`  n=${n}: ` + r.map((x) => `${x.method} ${Math.round(x.tokens)} tok (×${x.ratio.toFixed(1)}) hit@1 ${x.hit1.toFixed(2)}`).join(' | ') + `  [${Math.round(performance.now() - t0)} ms]`);
    if (n <= matchedMaxN) {
      const tdrHit5 = acc.get('tdr')!.h5 / sample.length;
      const sw = sweepBaselines(n, sample, goldId, tt, dense, corpus);
      sweeps.push(...sw);
      for (const method of ['text-tree', 'flat-dense'] as const) {
        const pts = sw.filter((x) => x.method === method);
        for (const criterion of ['hit5', 'shown'] as const) {
          const pick = pickMatched(pts.map((x) => ({ ...x, score: criterion === 'hit5' ? x.hit5 : x.shown })), tdrHit5);
          const p = pick.point;
          rows.push({
            n,
            method: `${method}@${criterion === 'hit5' ? 'matched' : 'matched-shown'}`,
            tokens: p.tokens,
            ratio: tdrTokens > 0 ? p.tokens / tdrTokens : 0,
            hit1: p.hit1,
            hit5: p.hit5,
            p50Ms: p.p50Ms,
            p99Ms: p.p99Ms,
            buildMs: method === 'text-tree' ? treeBuild : denseBuild,
            matched: pick.matched,
            criterion,
            target: tdrHit5,
            ...(method === 'text-tree' ? { beam: p.value } : { k: p.value }),
            shown: p.shown,
          });
        }
      }
      const m = rows.slice(-4);
      log(`    matched to TDR hit@5 ${tdrHit5.toFixed(2)}: ` + m.map((x) => `${x.method} ${x.beam !== undefined ? `beam ${x.beam}` : `k ${x.k}`} ${Math.round(x.tokens)} tok (×${x.ratio.toFixed(1)})${x.matched ? '' : ' UNMATCHED'} hit@5 ${x.hit5.toFixed(2)} shown ${x.shown!.toFixed(2)}`).join(' | ') + `  [${Math.round(performance.now() - t0)} ms]`);
    }
  }
  return {
    rows,
    variants,
    mSweep,
    sweeps,
    ...(throughput ? { throughput } : {}),
    meta: {
      subgoals: sample.length,
      totalSubgoals: all.length,
      goldTools: goldNames.length,
      realPool: pool.length,
      k2,
      tokenizer: counter.name,
      textTree: tree,
      matchedMaxN,
      wallMs: performance.now() - t0,
      l1Backend: l1Backend(),
      loadAvg: os.loadavg()[0]!,
      cpus: os.cpus().length,
    },
  };
}

/**
 * Matched-accuracy sweep at one n: the text-tree walk at beams 1, 2, 4, … up to the first power of
 * two ≥ its number of leaves (that beam materialises every tool), and flat-dense at k = 1, 2, 4, …, n
 * (one ranking per sub-goal, cut at each k: the order does not depend on k; latency is that of the
 * full ranking, an upper bound for small k).
 */
export function sweepBaselines(
  n: number,
  sample: ReadonlyArray<{ intent: string }>,
  goldId: ReadonlyArray<number>,
  tt: TextTree,
  dense: FlatDenseBaseline,
  corpus: Corpus,
): SweepRow[] {
  const beams = geometricGrid(tt.leafCount());
  const ks = geometricGrid(n, true);
  type Acc = { tok: number[]; ms: number[]; h1: number; h5: number; shown: number };
  const fresh = (): Acc => ({ tok: [], ms: [], h1: 0, h5: 0, shown: 0 });
  const treeAcc = beams.map(fresh);
  const denseAcc = ks.map(fresh);
  const add = (a: Acc, ranked: ArrayLike<number>, g: number, tokens: number, ms: number): void => {
    a.tok.push(tokens);
    a.ms.push(ms);
    if (hitAt(ranked, g, 1)) a.h1++;
    if (hitAt(ranked, g, 5)) a.h5++;
    if (hitAt(ranked, g, ranked.length)) a.shown++;
  };
  sample.forEach((sg, i) => {
    const g = goldId[i]!;
    beams.forEach((beam, j) => {
      const t = tt.retrieve(sg.intent, { beam });
      add(treeAcc[j]!, t.ranked, g, t.tokens, t.ms);
    });
    const d = dense.retrieve(sg.intent, n);
    let tokens = 0;
    let cut = 0;
    ks.forEach((k, j) => {
      const upTo = Math.min(k, d.ranked.length);
      for (; cut < upTo; cut++) tokens += corpus.flatTokens(d.ranked[cut]!);
      add(denseAcc[j]!, d.ranked.subarray(0, upTo), g, tokens, d.ms);
    });
  });
  const row = (method: SweepRow['method'], param: SweepRow['param'], value: number, a: Acc): SweepRow => ({
    n,
    method,
    param,
    value,
    tokens: mean(a.tok),
    hit1: a.h1 / sample.length,
    hit5: a.h5 / sample.length,
    shown: a.shown / sample.length,
    p50Ms: pct(a.ms, 50),
    p99Ms: pct(a.ms, 99),
  });
  return [...beams.map((b, j) => row('text-tree', 'beam', b, treeAcc[j]!)), ...ks.map((k, j) => row('flat-dense', 'k', k, denseAcc[j]!))];
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
  const seq = new Retriever(corpus, { k2, unorderedInputs: true });
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
  const head = '     n  method                    tokens/sub-goal   ×TDR   hit@1  hit@5   p50 ms   p99 ms  setting';
  const lines = [head, '-'.repeat(head.length)];
  for (const r of res.rows) {
    const setting = r.criterion === undefined ? '' : `  ${r.beam !== undefined ? `beam ${r.beam}` : `k ${r.k}`}, shown ${r.shown!.toFixed(3)}${r.matched ? '' : `, UNMATCHED (target ${r.target!.toFixed(3)})`}`;
    lines.push(
      `${String(r.n).padStart(6)}  ${r.method.padEnd(24)} ${r.tokens.toFixed(0).padStart(15)} ${r.ratio.toFixed(1).padStart(7)} ${r.hit1.toFixed(3).padStart(7)} ${r.hit5.toFixed(3).padStart(6)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)}${setting}`,
    );
  }
  if (res.sweeps.length > 0) {
    lines.push('');
    lines.push('Matched accuracy (×TDR tokens; target = TDR hit@5 at that n; * = target not reached, the most accurate setting swept):');
    lines.push('     n  TDR tok  TDR hit@5 │ tree(beam 2) × hit@5 │ tree@matched: beam × hit@5 │ dense@matched: k × hit@5 │ tree@shown: beam × │ dense@shown: k ×');
    const at = (n: number, m: string): RetrievalBenchRow | undefined => res.rows.find((r) => r.n === n && r.method === m);
    for (const n of [...new Set(res.sweeps.map((x) => x.n))]) {
      const tdr = at(n, 'tdr')!;
      const tree = at(n, 'text-tree')!;
      const cell = (r: RetrievalBenchRow | undefined, withHit: boolean): string =>
        r === undefined ? '-' : `${r.beam ?? r.k} ${r.ratio.toFixed(2)}${withHit ? ` ${r.hit5.toFixed(2)}` : ''}${r.matched ? '' : '*'}`;
      lines.push(
        `${String(n).padStart(6)} ${tdr.tokens.toFixed(0).padStart(8)} ${tdr.hit5.toFixed(3).padStart(10)} │ ${(tree.ratio.toFixed(2) + ' ' + tree.hit5.toFixed(2)).padStart(20)} │ ${cell(at(n, 'text-tree@matched'), true).padStart(26)} │ ${cell(at(n, 'flat-dense@matched'), true).padStart(24)} │ ${cell(at(n, 'text-tree@matched-shown'), false).padStart(18)} │ ${cell(at(n, 'flat-dense@matched-shown'), false).padStart(16)}`,
      );
    }
    lines.push('');
    lines.push('Sweeps (setting: tokens / hit@5 / shown):');
    for (const n of [...new Set(res.sweeps.map((x) => x.n))]) {
      for (const method of ['text-tree', 'flat-dense'] as const) {
        const pts = res.sweeps.filter((x) => x.n === n && x.method === method);
        lines.push(`${String(n).padStart(6)}  ${method.padEnd(10)} ` + pts.map((x) => `${x.param} ${x.value}: ${x.tokens.toFixed(0)}/${x.hit5.toFixed(2)}/${x.shown.toFixed(2)}`).join('  '));
      }
    }
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
    lines.push('TDR variants: tdr-lexical = no WordNet expansion; tdr-hard = the pre-issue hard L1 gate (every frontier card shown); tdr@coarse = loosely typed sub-goals:');
    for (const v of res.variants) {
      lines.push(`${String(v.n).padStart(6)}  ${v.method.padEnd(12)} |S1| ${v.s1.toFixed(1).padStart(8)}  tokens ${v.tokens.toFixed(0).padStart(7)}  flat/this ${v.ratioFlat.toFixed(1).padStart(8)}×  hit@1 ${v.hit1.toFixed(3)}  hit@5 ${v.hit5.toFixed(3)}  p50 ${v.p50Ms.toFixed(2)} ms`);
    }
  }
  if (res.mSweep.length > 0) {
    lines.push('');
    lines.push('L2 card cap m (TDR): tokens / hit@1 / hit@5 / p50 ms');
    for (const n of [...new Set(res.mSweep.map((x) => x.n))]) {
      lines.push(`${String(n).padStart(6)}  ` + res.mSweep.filter((x) => x.n === n).map((x) => `m=${x.m}: ${x.tokens.toFixed(0)} / ${x.hit1.toFixed(3)} / ${x.hit5.toFixed(3)} / ${x.p50Ms.toFixed(2)}`).join('   '));
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
    title: {
      text: 'Retrieval prompt tokens per sub-goal vs library size (Qwen3 tokens, DepthBench)',
      subtitle: [
        'solid: default settings; long dashes: matched hit@5 = cheapest swept beam / k whose hit@5 reaches TDR\'s',
        '(else the most accurate one: cross); short dashes: matched shown = … whose materialised tools contain the gold as often as TDR\'s top 5',
      ],
    },
    width: 520,
    height: 340,
    data: {
      values: res.rows.map((r) => ({
        n: r.n,
        method: r.method,
        base: r.method.split('@')[0],
        series: r.criterion === undefined ? 'default' : r.criterion === 'hit5' ? 'matched hit@5' : 'matched shown',
        target: r.matched === undefined ? 'n/a (default)' : r.matched ? 'reached' : 'not reached',
        tokens: Math.max(1, r.tokens),
      })),
    },
    mark: { type: 'line', point: { filled: true, size: 40 } },
    encoding: {
      x: { field: 'n', type: 'quantitative', scale: { type: 'log' }, title: 'library size n (tools)' },
      y: { field: 'tokens', type: 'quantitative', scale: { type: 'log' }, title: 'mean prompt tokens per sub-goal' },
      color: { field: 'base', type: 'nominal', sort: [...METHODS], title: 'method' },
      strokeDash: { field: 'series', type: 'nominal', sort: ['default', 'matched hit@5', 'matched shown'], scale: { range: [[1, 0], [6, 3], [2, 2]] }, legend: null },
      shape: { field: 'target', type: 'nominal', sort: ['n/a (default)', 'reached', 'not reached'], scale: { range: ['circle', 'square', 'cross'] }, title: 'TDR hit@5' },
      detail: { field: 'method', type: 'nominal' },
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
    .option('--matched-max-n <n>', 'sweep text-tree beam / flat-dense k for matched accuracy up to this n (0: off)', String(DEFAULT_MATCHED_MAX_N))
    .option('--m-sweep-max-n <n>', `sweep TDR's L2 card cap m over ${M_GRID.join(', ')} up to this n (0: off)`, String(DEFAULT_MATCHED_MAX_N))
    .option('--m <n>', "TDR's L2 card cap (default: the cascade's)")
    .action(async (o: { sizes: string; subgoals: string; out: string; write: boolean; json?: boolean; workers: boolean; matchedMaxN: string; mSweepMaxN: string; m?: string }) => {
      const res = await runRetrievalBench({
        sizes: parseSizes(o.sizes),
        subgoals: Number(o.subgoals),
        workers: o.workers,
        matchedMaxN: Number(o.matchedMaxN),
        mSweepMaxN: Number(o.mSweepMaxN),
        ...(o.m !== undefined ? { m: Number(o.m) } : {}),
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
