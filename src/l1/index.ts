/**
 * The L1 signature index (docs/retrieval.md "L1 index"): built once from a batch of `(id, Signature)`, it
 * answers "which tools unify with this sub-goal?" with exactly the ids a brute-force scan with
 * `unifySignature` would return, sorted ascending, in about O(log n + |S1|) rather than O(n).
 *
 * Two backends with one contract: the native addon (native/l1_index.cc) and the TypeScript twin
 * (./query-ts.ts). Both walk the same tries (./build.ts); `index.backend` says which is live.
 *
 * @example
 * ```ts
 * import { buildL1Index } from 'cocoda';
 * const ix = buildL1Index([10, 11, 12], ['(float, float) -> float', '(word: str, limit?: int) -> ?', "(list['a]) -> 'a"]);
 * ix.query('(int, int) -> float');   // Int32Array [10]
 * ix.query('(word: str) -> any');    // Int32Array [11]
 * ix.query('(list[int]) -> float');  // Int32Array [12]
 * ix.backend;                        // 'native' | 'ts'
 * ```
 */
import type { Signature } from '../types/ast.ts';
import { parseSignature } from '../types/parse.ts';
import type { TypeRegistry } from '../types/registry.ts';
import { unifySignature } from '../types/unify.ts';
import { validateSignature } from '../types/validate.ts';
import { argError, CocodaError } from '../errors.ts';
import { nativeAddon } from '../native/loader.ts';
import { buildL1Data, type BuiltIndex, type L1Data } from './build.ts';
import { encodeSignature, Interner, type InternerData } from './encode.ts';
import { TsL1Query } from './query-ts.ts';
import type { GradeOptions } from './grade.ts';

export type L1Backend = 'native' | 'ts';

export interface L1IndexOptions {
  /** `auto` (default): native when the addon is loaded, else the TypeScript twin. */
  backend?: L1Backend | 'auto';
  /** Registry for nominal types when signatures are given as text. */
  registry?: TypeRegistry;
}

export interface L1Index {
  /** Which implementation answers queries. */
  readonly backend: L1Backend;
  /** Number of indexed tools. */
  readonly size: number;
  /**
   * Ids of the tools that unify with `subgoal`, ascending. `knownResult`: leave out tools whose
   * result is the gradual `?` (graded L1's class 0 when the goal constrains its output).
   */
  query(subgoal: Signature | string, opts?: QueryOptions): Int32Array;
  /** Same as {@link L1Index.query} (the retrieval cascade's L1 stage contract). */
  candidates(subgoal: Signature): Int32Array;
  /** Many sub-goals in one call (one N-API crossing on the native backend). */
  queryBatch(subgoals: ReadonlyArray<Signature | string>, opts?: QueryOptions): Int32Array[];
  /**
   * Graded L1 (src/l1/grade.ts): every indexed tool of class 0 (exact), 1 (coercible) or 2
   * (unknown result) for `subgoal`, ascending by id, with its class and coercion penalty. Tools
   * not listed are class 3 (incompatible).
   */
  grade(subgoal: Signature | string, opts?: GradeOptions): GradedSet;
  /** Grades of the given tool ids (ids not in the index are class 3). */
  gradeIds(subgoal: Signature | string, ids: ArrayLike<number>, opts?: GradeOptions): { cls: Uint8Array; penalty: Float64Array };
  /**
   * Work done so far by the TypeScript twin (trie nodes visited, candidates verified with the
   * full unifier); zeros on the native backend. For benchmarks and the complexity argument.
   */
  work(): { visited: number; verified: number };
}

export interface QueryOptions {
  /** Leave out tools whose result is `?` (default false). */
  knownResult?: boolean;
}

/** Tools of classes 0–2 for one sub-goal (parallel arrays, ascending id). */
export interface GradedSet {
  ids: Int32Array;
  cls: Uint8Array;
  penalty: Float64Array;
}

interface NativeL1Addon {
  l1Build(...arrays: Array<Int32Array | Float64Array>): unknown;
  /** Grades: tools = internal positions (or null: every tool of the goal's buckets, classes ≤ 2 only). */
  l1Grade(handle: unknown, goal: Int32Array, tools: Int32Array | null, unordered: number, maxInputs: number, extraFold: Int32Array, extraNum: Float64Array): [Int32Array, Int32Array, Float64Array];
  /** `[offsets (nq + 1)..., ids...]` in one array. */
  l1Query(handle: unknown, data: Int32Array, offsets: Int32Array, flags?: Int32Array): Int32Array;
  l1Unify(goal: Int32Array, tool: Int32Array): boolean;
}

function nativeL1(): NativeL1Addon | null {
  const a = nativeAddon() as (Partial<NativeL1Addon> & object) | null;
  return a && typeof a.l1Build === 'function' && typeof a.l1Query === 'function' ? (a as NativeL1Addon) : null;
}

/** The backend `buildL1Index` picks by default. */
export function l1Backend(): L1Backend {
  return nativeL1() ? 'native' : 'ts';
}

function toSignature(s: unknown, name: string, registry: TypeRegistry | undefined): Signature {
  if (typeof s === 'string') return registry ? parseSignature(s, { registry }) : parseSignature(s);
  if (!s || typeof s !== 'object') throw argError('type', name, 'a Signature or signature text', s);
  validateSignature(s, name);
  return s;
}

function checkIds(ids: ArrayLike<number>, n: number): Int32Array {
  if (!ids || typeof ids.length !== 'number') throw argError('type', 'ids', 'an array of integer ids', ids);
  if (ids.length !== n) throw argError('range', 'ids', `as long as signatures (${n})`, ids.length);
  const out = new Int32Array(n);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw argError('type', `ids[${i}]`, 'an int32', v);
    if (seen.has(v)) throw argError('range', `ids[${i}]`, 'unique', v);
    seen.add(v);
    out[i] = v;
  }
  return out;
}

function checkGradeOptions(o: GradeOptions): Required<GradeOptions> {
  if (typeof o !== 'object' || o === null) throw argError('type', 'opts', 'an object', o);
  const maxInputs = o.maxInputs ?? 6;
  if (!Number.isInteger(maxInputs) || maxInputs < 1 || maxInputs > 16) throw argError('range', 'maxInputs', 'an integer in [1, 16]', maxInputs);
  return { unordered: o.unordered === true, maxInputs };
}

const DATA_ORDER: Array<keyof L1Data> = [
  'toolIds', 'sigOffsets', 'sigData', 'nodeChildStart', 'childKeys', 'childNodes', 'nodeLeafStart',
  'nodeExactEnd', 'leafTools', 'bucketKind', 'bucketArity', 'bucketNameStart', 'bucketNames', 'bucketRoot',
];

class Index implements L1Index {
  readonly size: number;
  private readonly ts: TsL1Query;
  private readonly handle: unknown;

  constructor(
    readonly backend: L1Backend,
    private readonly built: BuiltIndex,
    sig: (t: number) => Signature,
    private readonly interner: Interner,
    private readonly registry: TypeRegistry | undefined,
    private readonly addon: NativeL1Addon | null,
  ) {
    this.size = built.data.toolIds.length;
    this.ts = new TsL1Query(built, sig, interner);
    if (addon) {
      const facts = interner.literalFacts();
      this.handle = addon.l1Build(...DATA_ORDER.map((k) => built.data[k]), facts.fold, facts.num);
    } else this.handle = null;
  }

  query(subgoal: Signature | string, opts?: QueryOptions): Int32Array {
    return this.queryBatch([subgoal], opts)[0]!;
  }

  candidates(subgoal: Signature): Int32Array {
    return this.query(subgoal);
  }

  work(): { visited: number; verified: number } {
    return { visited: this.ts.visited, verified: this.ts.verified };
  }

  exportData(): L1IndexData {
    return { data: this.built.data, buckets: [...this.built.buckets], exact: this.built.exact, interner: this.interner.toData() };
  }

  /** Internal position of each id (built on first use). */
  private posOf: Map<number, number> | null = null;

  grade(subgoal: Signature | string, opts: GradeOptions = {}): GradedSet {
    const goal = toSignature(subgoal, 'subgoal', this.registry);
    const o = checkGradeOptions(opts);
    const d = this.built.data;
    if (!this.addon) {
      const r = this.ts.gradeAll(goal, o);
      return { ids: r.tools.map((t) => d.toolIds[t]!), cls: r.cls, penalty: r.penalty };
    }
    const view = this.interner.queryView();
    const g: number[] = [];
    encodeSignature(goal, view, false, g);
    const ex = view.extraLiterals();
    const [tools, cls, penalty] = this.addon.l1Grade(this.handle, Int32Array.from(g), null, o.unordered ? 1 : 0, o.maxInputs, ex.fold, ex.num);
    return { ids: tools.map((t) => d.toolIds[t]!), cls: Uint8Array.from(cls), penalty };
  }

  gradeIds(subgoal: Signature | string, ids: ArrayLike<number>, opts: GradeOptions = {}): { cls: Uint8Array; penalty: Float64Array } {
    const goal = toSignature(subgoal, 'subgoal', this.registry);
    const o = checkGradeOptions(opts);
    if (!this.posOf) {
      this.posOf = new Map();
      const d = this.built.data;
      for (let t = 0; t < d.toolIds.length; t++) this.posOf.set(d.toolIds[t]!, t);
    }
    const m = ids.length;
    const known: number[] = [];
    const where: number[] = [];
    for (let i = 0; i < m; i++) {
      const t = this.posOf.get(ids[i]!);
      if (t !== undefined) {
        known.push(t);
        where.push(i);
      }
    }
    const cls = new Uint8Array(m).fill(3);
    const penalty = new Float64Array(m);
    let r: { cls: ArrayLike<number>; penalty: ArrayLike<number> };
    if (!this.addon) r = this.ts.gradeTools(goal, Int32Array.from(known), o);
    else {
      const view = this.interner.queryView();
      const g: number[] = [];
      encodeSignature(goal, view, false, g);
      const ex = view.extraLiterals();
      const [, c, p] = this.addon.l1Grade(this.handle, Int32Array.from(g), Int32Array.from(known), o.unordered ? 1 : 0, o.maxInputs, ex.fold, ex.num);
      r = { cls: c, penalty: p };
    }
    for (let j = 0; j < where.length; j++) {
      cls[where[j]!] = r.cls[j]!;
      penalty[where[j]!] = r.penalty[j]!;
    }
    return { cls, penalty };
  }

  queryBatch(subgoals: ReadonlyArray<Signature | string>, opts: QueryOptions = {}): Int32Array[] {
    if (!Array.isArray(subgoals)) throw argError('type', 'subgoals', 'an array of sub-goal signatures', subgoals);
    const goals = subgoals.map((g, i) => toSignature(g, `subgoals[${i}]`, this.registry));
    const known = opts.knownResult === true;
    if (!this.addon) return goals.map((g) => this.ts.query(g, known));
    const view = this.interner.queryView();
    const data: number[] = [];
    const offsets = new Int32Array(goals.length + 1);
    goals.forEach((g, i) => {
      offsets[i] = data.length;
      encodeSignature(g, view, false, data);
    });
    offsets[goals.length] = data.length;
    const r = this.addon.l1Query(this.handle, Int32Array.from(data), offsets, new Int32Array(goals.length).fill(known ? 1 : 0));
    const base = goals.length + 1;
    const out: Int32Array[] = [];
    for (let i = 0; i < goals.length; i++) out.push(r.subarray(base + r[i]!, base + r[i + 1]!));
    return out;
  }
}

/**
 * Builds an L1 index over `signatures[i]` with id `ids[i]` (unique int32s).
 * @throws TypeError / RangeError for mismatched lengths, non-integer or duplicate ids, or a
 *   non-signature; CocodaError `ERR_TYPE_PARSE`/`ERR_TYPE_UNKNOWN`/`ERR_TYPE_ARITY` for bad text;
 *   CocodaError `ERR_NO_NATIVE` when `backend: 'native'` is asked for without the addon.
 */
export function buildL1Index(
  ids: ArrayLike<number>,
  signatures: ReadonlyArray<Signature | string>,
  opts: L1IndexOptions = {},
): L1Index {
  if (!Array.isArray(signatures)) throw argError('type', 'signatures', 'an array of signatures', signatures);
  const sigs = signatures.map((s, i) => toSignature(s, `signatures[${i}]`, opts.registry));
  const idArr = checkIds(ids, sigs.length);
  const want = opts.backend ?? 'auto';
  if (want !== 'auto' && want !== 'native' && want !== 'ts') throw argError('range', 'backend', "'auto', 'native' or 'ts'", want);
  const addon = want === 'ts' ? null : nativeL1();
  if (want === 'native' && !addon) throw new CocodaError('The native L1 index is not available (addon not built or COCODA_NO_NATIVE=1)', 'ERR_NO_NATIVE');
  const interner = new Interner();
  const built = buildL1Data(idArr, sigs, interner);
  return new Index(addon ? 'native' : 'ts', built, (t) => sigs[t]!, interner, opts.registry, addon);
}

/** An L1 index as plain data (typed arrays and strings), to persist beside a library version. */
export interface L1IndexData {
  data: L1Data;
  buckets: Array<[string, number]>;
  exact: Uint8Array;
  interner: InternerData;
}

/** The plain-data form of an index built by {@link buildL1Index}. */
export function exportL1Index(index: L1Index): L1IndexData {
  if (!(index instanceof Index)) throw argError('type', 'index', 'an index built by buildL1Index', index);
  return index.exportData();
}

/**
 * Restores an index from {@link exportL1Index}; `signatureAt(t)` gives the signature of the tool at
 * internal position t (the TS twin parses only the tools it must verify).
 * @throws CocodaError `ERR_NATIVE_ARG` when the native side finds the arrays inconsistent.
 */
export function restoreL1Index(d: L1IndexData, signatureAt: (t: number) => Signature, opts: L1IndexOptions = {}): L1Index {
  const want = opts.backend ?? 'auto';
  const addon = want === 'ts' ? null : nativeL1();
  if (want === 'native' && !addon) throw new CocodaError('The native L1 index is not available (addon not built or COCODA_NO_NATIVE=1)', 'ERR_NO_NATIVE');
  const built: BuiltIndex = { data: d.data, buckets: new Map(d.buckets), exact: d.exact };
  return new Index(addon ? 'native' : 'ts', built, signatureAt, Interner.fromData(d.interner), opts.registry, addon);
}

/** Reference: the brute-force scan the index must equal. */
export function scanL1(ids: ArrayLike<number>, signatures: readonly Signature[], subgoal: Signature): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < signatures.length; i++) if (unifySignature(subgoal, signatures[i]!) !== null) out.push(ids[i]!);
  return Int32Array.from(out).sort();
}

/** Native unifier on one pair (differential testing of native/l1_index.cc); null without the addon. */
export function nativeL1Unify(subgoal: Signature, tool: Signature): boolean | null {
  const a = nativeL1();
  if (!a) return null;
  const it = new Interner();
  const g: number[] = [];
  const t: number[] = [];
  encodeSignature(tool, it, true, t);
  encodeSignature(subgoal, it, false, g);
  return a.l1Unify(Int32Array.from(g), Int32Array.from(t));
}

export { gradeSignature, coercePenalty, coerceResultPenalty, resultConstrained, foldLiteral, CLASS_EXACT, CLASS_COERCIBLE, CLASS_UNKNOWN, CLASS_INCOMPATIBLE, CLASS_NAMES } from './grade.ts';
export type { Grade, GradeOptions, TypeClass } from './grade.ts';
