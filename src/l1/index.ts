/**
 * The L1 signature index (README "L1 index"): built once from a batch of `(id, Signature)`, it
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
import { encodeSignature, Interner } from './encode.ts';
import { TsL1Query } from './query-ts.ts';

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
  /** Ids of the tools that unify with `subgoal`, ascending. */
  query(subgoal: Signature | string): Int32Array;
  /** Same as {@link L1Index.query} (the retrieval cascade's L1 stage contract). */
  candidates(subgoal: Signature): Int32Array;
  /** Many sub-goals in one call (one N-API crossing on the native backend). */
  queryBatch(subgoals: ReadonlyArray<Signature | string>): Int32Array[];
  /**
   * Work done so far by the TypeScript twin (trie nodes visited, candidates verified with the
   * full unifier); zeros on the native backend. For benchmarks and the complexity argument.
   */
  work(): { visited: number; verified: number };
}

interface NativeL1Addon {
  l1Build(...arrays: Int32Array[]): unknown;
  /** `[offsets (nq + 1)..., ids...]` in one array. */
  l1Query(handle: unknown, data: Int32Array, offsets: Int32Array): Int32Array;
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
    sigs: readonly Signature[],
    private readonly interner: Interner,
    private readonly registry: TypeRegistry | undefined,
    private readonly addon: NativeL1Addon | null,
  ) {
    this.size = sigs.length;
    this.ts = new TsL1Query(built, sigs, interner);
    this.handle = addon ? addon.l1Build(...DATA_ORDER.map((k) => built.data[k])) : null;
  }

  query(subgoal: Signature | string): Int32Array {
    return this.queryBatch([subgoal])[0]!;
  }

  candidates(subgoal: Signature): Int32Array {
    return this.query(subgoal);
  }

  work(): { visited: number; verified: number } {
    return { visited: this.ts.visited, verified: this.ts.verified };
  }

  queryBatch(subgoals: ReadonlyArray<Signature | string>): Int32Array[] {
    if (!Array.isArray(subgoals)) throw argError('type', 'subgoals', 'an array of sub-goal signatures', subgoals);
    const goals = subgoals.map((g, i) => toSignature(g, `subgoals[${i}]`, this.registry));
    if (!this.addon) return goals.map((g) => this.ts.query(g));
    const view = this.interner.queryView();
    const data: number[] = [];
    const offsets = new Int32Array(goals.length + 1);
    goals.forEach((g, i) => {
      offsets[i] = data.length;
      encodeSignature(g, view, false, data);
    });
    offsets[goals.length] = data.length;
    const r = this.addon.l1Query(this.handle, Int32Array.from(data), offsets);
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
  return new Index(addon ? 'native' : 'ts', built, sigs, interner, opts.registry, addon);
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
