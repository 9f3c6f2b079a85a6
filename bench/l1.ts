/**
 * L1 lookup benchmark: builds indices of 10², 10³, 10⁴, 10⁵ realistic signatures and measures
 * single-query latency (p50, p99) and batched throughput for the native index and its TypeScript
 * twin, plus the brute-force scan at each size for reference. Plain data out (`benchL1`), so
 * `cocoda bench core` can merge these rows with the DAG-kernel rows; `npx tsx bench/l1.ts` prints
 * the table alone. Timing uses `performance.now()` around each call (no benchmark library needed
 * for per-call latency percentiles).
 *
 * The synthetic library mimics an imported tool collection: a fixed core of ~40 primitive and
 * generic tools, plus domains of ~100 tools each that work on their own nominal and record types
 * (every domain tool takes at least one domain-typed parameter); 10% of results are `?` (schemas
 * without `returns`), most parameters are named, some optional. Queries are sub-goals derived from
 * random tools (required parameters, vars made concrete, result kept or `any`), so |S1| stays
 * bounded as the library grows, as it does when a bigger library covers more domains.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Param, Signature, Type } from '../src/types/ast.ts';
import { buildL1Index, l1Backend, scanL1 } from '../src/l1/index.ts';
import { parseSignature } from '../src/types/parse.ts';
import { rng } from '../src/retrieval/vectors.ts';

export interface L1BenchRow {
  suite: 'l1';
  backend: 'native' | 'ts' | 'scan';
  n: number;
  queries: number;
  /** Single-query latency, microseconds. */
  p50Us: number;
  p99Us: number;
  /** Mean time per query inside one `queryBatch` call, microseconds (NaN for scan). */
  batchUsPerQuery: number;
  /** Mean |S1|. */
  meanHits: number;
  /** TS twin only: mean trie nodes visited and candidates verified per query (NaN otherwise). */
  meanVisited: number;
  meanVerified: number;
  buildMs: number;
}

export interface L1BenchOptions {
  sizes?: number[];
  /** Timed queries per size (default 2,000). */
  queries?: number;
  seed?: number;
  /** Which index backends to time (default: both available). */
  backends?: Array<'native' | 'ts'>;
  /** Also time the brute-force scan on a few queries (default true). */
  scan?: boolean;
  /** Timing rounds per (backend, size); the best round is reported (default 3). */
  rounds?: number;
}

const B = (name: string): Type => ({ kind: 'base', name }) as Type;
const PRIMS = ['int', 'float', 'bool', 'str', 'str', 'float', 'int', 'bytes', 'DataFrame', 'Predicate'].map(B);
const NAMES = ['query', 'id', 'limit', 'page', 'text', 'value', 'name', 'url', 'start', 'end', 'lang', 'format', 'key', 'count'];

const CORE: string[] = [
  'add:(float, float) -> float', 'sub:(float, float) -> float', 'mul:(float, float) -> float', 'div:(float, float) -> float',
  'pow_int:(float, int) -> float', 'neg:(float) -> float', 'abs:(float) -> float', 'round:(float, int?) -> float',
  'floor:(float) -> int', 'ceil:(float) -> int', 'mod:(int, int) -> int', 'gcd:(int, int) -> int', 'is_even:(int) -> bool',
  'not:(bool) -> bool', 'and:(bool, bool) -> bool', 'concat:(str, str) -> str', 'upper:(str) -> str', 'lower:(str) -> str',
  'len_str:(str) -> int', 'split:(str, str?) -> list[str]', 'join:(list[str], str) -> str', 'parse_int:(str) -> optional[int]',
  'parse_float:(str) -> optional[float]', 'to_str:(float) -> str', 'sum:(list[float]) -> float', 'mean:(list[float]) -> float',
  'max:(list[float]) -> float', 'min:(list[float]) -> float', 'range:(int, int) -> list[int]', "head:(list['a]) -> 'a",
  "last:(list['a]) -> 'a", "len:(list['a]) -> int", "reverse:(list['a]) -> list['a]", "filter:(list['a], callable[('a) -> bool]) -> list['a]",
  "map:(list['a], callable[('a) -> 'b]) -> list['b]", "get:(dict[str, 'a], str) -> optional['a]", 'keys:(dict[str, any]) -> list[str]',
  'col:(DataFrame, str) -> list[float]', 'rows:(DataFrame, Predicate) -> DataFrame', 'count_rows:(DataFrame) -> int',
];

interface Domain {
  types: Type[];
}

function makeDomain(d: number, rnd: () => number): Domain {
  const types: Type[] = [];
  for (let k = 0; k < 3; k++) types.push({ kind: 'nominal', name: `D${d}_T${k}` });
  for (let k = 0; k < 2; k++) {
    const fields = [];
    const nf = 2 + Math.floor(rnd() * 3);
    for (let f = 0; f < nf; f++) {
      fields.push({ name: `f${d}_${k}_${f}`, type: PRIMS[Math.floor(rnd() * 4)]!, optional: f > 0 && rnd() < 0.3 });
    }
    types.push({ kind: 'record', fields });
  }
  return { types };
}

function pick<T>(xs: readonly T[], rnd: () => number): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function domainType(dom: Domain, rnd: () => number): Type {
  const t = pick(dom.types, rnd);
  const r = rnd();
  if (r < 0.15) return { kind: 'list', elem: t };
  if (r < 0.2) return { kind: 'optional', inner: t };
  return t;
}

function domainTool(dom: Domain, rnd: () => number): Signature {
  const arity = 1 + Math.floor(rnd() * 3);
  const named = rnd() < 0.7;
  const names = [...NAMES].sort(() => rnd() - 0.5);
  const params: Param[] = [];
  const domainAt = Math.floor(rnd() * arity);
  for (let i = 0; i < arity; i++) {
    const type = i === domainAt || rnd() < 0.4 ? domainType(dom, rnd) : pick(PRIMS, rnd);
    const optional = i > 0 && i !== domainAt && rnd() < 0.3;
    params.push(named ? { name: names[i]!, type, optional } : { type, optional: optional && i === arity - 1 });
  }
  const r = rnd();
  const result: Type = r < 0.1 ? { kind: 'unknown' } : r < 0.75 ? domainType(dom, rnd) : pick(PRIMS, rnd);
  return { params, result };
}

function concretize(t: Type, dom: Domain): Type {
  switch (t.kind) {
    case 'var':
      return dom.types[0]!;
    case 'list':
      return { kind: 'list', elem: concretize(t.elem, dom) };
    case 'optional':
      return { kind: 'optional', inner: concretize(t.inner, dom) };
    case 'dict':
      return { kind: 'dict', key: t.key, value: concretize(t.value, dom) };
    case 'callable':
      return { kind: 'callable', params: t.params.map((p) => concretize(p, dom)), result: concretize(t.result, dom) };
    default:
      return t;
  }
}

/** A realistic library of n tools and `q` sub-goals derived from it. */
export function makeL1Workload(n: number, q: number, seed = 42): { ids: Int32Array; sigs: Signature[]; queries: Signature[] } {
  const rnd = rng(seed ^ n);
  // Parsing the core needs no registry: it only uses base types.
  const core = CORE.map((s) => s.slice(s.indexOf(':') + 1));
  const coreSigs = core.map((s) => parseCore(s));
  const sigs: Signature[] = [];
  const toolDomain: number[] = [];
  const domains: Domain[] = [];
  const nCore = Math.min(coreSigs.length, Math.max(1, Math.floor(n / 2)));
  for (let i = 0; i < nCore; i++) {
    sigs.push(coreSigs[i]!);
    toolDomain.push(-1);
  }
  const nDomains = Math.max(1, Math.round((n - nCore) / 100));
  for (let d = 0; d < nDomains; d++) domains.push(makeDomain(d, rnd));
  while (sigs.length < n) {
    const d = Math.floor(rnd() * nDomains);
    sigs.push(domainTool(domains[d]!, rnd));
    toolDomain.push(d);
  }
  const ids = Int32Array.from(sigs.map((_, i) => i));
  const queries: Signature[] = [];
  for (let k = 0; k < q; k++) {
    const i = Math.floor(rnd() * n);
    const t = sigs[i]!;
    const dom = domains[Math.max(0, toolDomain[i]!)]!;
    const positional = rnd() < 0.3 || t.params.some((p) => p.name === undefined);
    const params: Param[] = t.params
      .filter((p) => !p.optional)
      .map((p) => (positional ? { type: concretize(p.type, dom), optional: false } : { name: p.name!, type: concretize(p.type, dom), optional: false }));
    const result: Type = rnd() < 0.3 || t.result.kind === 'unknown' ? B('any') : concretize(t.result, dom);
    queries.push({ params, result });
  }
  return { ids, sigs, queries };
}

function parseCore(s: string): Signature {
  return parseSignature(s);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs the benchmark; returns one row per (backend, size). */
export async function benchL1(opts: L1BenchOptions = {}): Promise<L1BenchRow[]> {
  const sizes = opts.sizes ?? [100, 1_000, 10_000, 100_000];
  const nq = opts.queries ?? 2_000;
  const rounds = opts.rounds ?? 3;
  const backends = opts.backends ?? (l1Backend() === 'native' ? (['native', 'ts'] as const) : (['ts'] as const));
  const rows: L1BenchRow[] = [];
  for (const n of sizes) {
    const { ids, sigs, queries } = makeL1Workload(n, nq, opts.seed ?? 42);
    for (const backend of backends) {
      const t0 = performance.now();
      const ix = buildL1Index(ids, sigs, { backend });
      const buildMs = performance.now() - t0;
      for (let k = 0; k < Math.min(200, nq); k++) ix.query(queries[k]!); // warm-up
      // Best of `rounds` rounds: the percentiles of a shared machine are noisy upwards only.
      let p50 = Infinity;
      let p99 = Infinity;
      let batchUs = Infinity;
      let hits = 0;
      for (let round = 0; round < rounds; round++) {
        const lat = new Float64Array(nq);
        hits = 0;
        for (let k = 0; k < nq; k++) {
          const s = performance.now();
          const r = ix.query(queries[k]!);
          lat[k] = (performance.now() - s) * 1000;
          hits += r.length;
        }
        lat.sort();
        p50 = Math.min(p50, percentile(lat, 50));
        p99 = Math.min(p99, percentile(lat, 99));
        const b0 = performance.now();
        ix.queryBatch(queries);
        batchUs = Math.min(batchUs, ((performance.now() - b0) * 1000) / nq);
      }
      const w = ix.work();
      const per = (x: number) => (backend === 'ts' ? x / (nq * (2 * rounds) + Math.min(200, nq)) : NaN);
      rows.push({
        suite: 'l1', backend, n, queries: nq, p50Us: p50, p99Us: p99, batchUsPerQuery: batchUs, meanHits: hits / nq, buildMs,
        meanVisited: per(w.visited), meanVerified: per(w.verified),
      });
      await new Promise((r) => setImmediate(r));
    }
    if (opts.scan ?? true) {
      const k = Math.max(5, Math.min(nq, Math.floor(2_000_000 / n)));
      const lat = new Float64Array(k);
      let hits = 0;
      for (let j = 0; j < k; j++) {
        const s = performance.now();
        hits += scanL1(ids, sigs, queries[j]!).length;
        lat[j] = (performance.now() - s) * 1000;
      }
      lat.sort();
      rows.push({
        suite: 'l1', backend: 'scan', n, queries: k, p50Us: percentile(lat, 50), p99Us: percentile(lat, 99), batchUsPerQuery: NaN, meanHits: hits / k, buildMs: 0,
        meanVisited: NaN, meanVerified: n,
      });
    }
  }
  return rows;
}

export interface L1BenchSummary {
  /** ts p50 / native p50 per size. */
  nativeSpeedup: Record<number, number>;
  /** p50 at the largest size / p50 at the smallest, per backend (target ≤ 2). */
  flatness: Partial<Record<'native' | 'ts', number>>;
}

export function summarizeL1(rows: readonly L1BenchRow[]): L1BenchSummary {
  const get = (b: string, n: number) => rows.find((r) => r.backend === b && r.n === n);
  const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
  const nativeSpeedup: Record<number, number> = {};
  for (const n of sizes) {
    const a = get('native', n);
    const b = get('ts', n);
    if (a && b) nativeSpeedup[n] = b.p50Us / a.p50Us;
  }
  const flatness: L1BenchSummary['flatness'] = {};
  for (const b of ['native', 'ts'] as const) {
    const lo = get(b, sizes[0]!);
    const hi = get(b, sizes[sizes.length - 1]!);
    if (lo && hi) flatness[b] = hi.p50Us / lo.p50Us;
  }
  return { nativeSpeedup, flatness };
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function formatL1Table(rows: readonly L1BenchRow[]): string {
  const head = ['backend', 'n', 'queries', 'p50 µs', 'p99 µs', 'batch µs/q', 'mean |S1|', 'nodes/q', 'verified/q', 'build ms'];
  const body = rows.map((r) => [
    r.backend, String(r.n), String(r.queries), f(r.p50Us, 2), f(r.p99Us, 2), f(r.batchUsPerQuery, 2), f(r.meanHits), f(r.meanVisited), f(r.meanVerified), f(r.buildMs),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  const s = summarizeL1(rows);
  const out = [line(head), line(w.map((x) => '-'.repeat(x))), ...body.map(line), ''];
  for (const [n, r] of Object.entries(s.nativeSpeedup)) out.push(`native/ts p50 speed-up at n=${n}: ${f(r, 2)}x`);
  for (const [b, r] of Object.entries(s.flatness)) out.push(`${b} p50 ${rows[0]?.n}→${rows[rows.length - 1]?.n}: ${f(r, 2)}x (target ≤ 2x)`);
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void benchL1().then((rows) => console.log(formatL1Table(rows)));
}
