/**
 * A library version as retrieval sees it: the records (ids = array positions), the call edges
 * (children, with multiplicity, and the reverse parent lists), and lazily built per-version
 * indexes and token counts. Built once per version and reused by every retrieval on it.
 */
import type { ToolRecord } from '../library/record.ts';
import { CardTokens } from './tokens.ts';
import type { Layer } from './cards.ts';
import { argError } from '../errors.ts';
import type { ToolDag } from '../library/dag.ts';
import type { Signature } from '../types/ast.ts';
import { parseSignature } from '../types/parse.ts';
import { defaultTypeRegistry, type TypeRegistry } from '../types/registry.ts';

export interface CorpusSource {
  records: readonly ToolRecord[];
  /** Version key for token caches; defaults to a fresh unique key. */
  version?: string | number;
  /** `children[i]`: ids that tool i calls, in call order, with multiplicity (Ch(v)). */
  children?: ReadonlyArray<readonly number[]>;
  /** The same as CSR (`offsets` of length n + 1 into `targets`); takes precedence over `children`. */
  csr?: { offsets: Int32Array; targets: Int32Array };
  /** Precomputed d(v) and flat(v) (from the library's DAG kernels); computed here otherwise. */
  depth?: ArrayLike<number>;
  flat?: ArrayLike<number>;
  /** Where nominal types in signatures are looked up (a library's own registry). */
  registry?: TypeRegistry;
  /** The ToolDag version number this corpus views, when it views one. */
  dagVersion?: number;
}

let fresh = 0;

export class Corpus {
  readonly records: readonly ToolRecord[];
  readonly version: string | number;
  readonly n: number;
  /** CSR of Ch(v) and of the callers of each tool (deduplicated). */
  readonly childOffsets: Int32Array;
  readonly childTargets: Int32Array;
  readonly parentOffsets: Int32Array;
  readonly parentTargets: Int32Array;
  readonly depth: Int32Array;
  readonly flat: Float64Array;
  readonly cards: CardTokens;
  readonly registry: TypeRegistry;
  /** The ToolDag version number (from {@link Corpus.fromDag}), else -1. */
  readonly dagVersion: number;
  private sigs: Array<Signature | null | undefined> = [];
  private readonly byName = new Map<string, number>();
  private flatTotalCache = -1;
  /** Card tokens by id: `tok[4v + layer - 1]`, -1 until counted. */
  private tok: Int32Array;
  /** Per-version lazily built structures (indexes), keyed by their builder. */
  private readonly memo = new Map<string, unknown>();

  constructor(src: CorpusSource, cards?: CardTokens) {
    this.records = src.records;
    this.n = src.records.length;
    this.version = src.version ?? `corpus-${++fresh}`;
    this.cards = cards ?? new CardTokens();
    this.registry = src.registry ?? defaultTypeRegistry;
    this.dagVersion = src.dagVersion ?? -1;
    this.tok = new Int32Array(this.n * 4).fill(-1);
    for (let i = 0; i < this.n; i++) {
      const name = src.records[i]!.name;
      if (this.byName.has(name)) throw argError('type', `records[${i}].name`, 'unique within a library version', name);
      this.byName.set(name, i);
    }
    if (src.csr) {
      const { offsets, targets } = src.csr;
      if (offsets.length !== this.n + 1 || offsets[0] !== 0 || offsets[this.n] !== targets.length) throw argError('type', 'csr', `a CSR of ${this.n} rows`, offsets.length);
      this.childOffsets = Int32Array.from(offsets);
      this.childTargets = Int32Array.from(targets);
    } else {
      const ch = src.children ?? [];
      this.childOffsets = new Int32Array(this.n + 1);
      for (let i = 0; i < this.n; i++) this.childOffsets[i + 1] = this.childOffsets[i]! + (ch[i]?.length ?? 0);
      this.childTargets = new Int32Array(this.childOffsets[this.n]!);
      for (let i = 0; i < this.n; i++) {
        const c = ch[i] ?? [];
        for (let j = 0; j < c.length; j++) this.childTargets[this.childOffsets[i]! + j] = c[j]!;
      }
    }
    // Callers of each tool (deduplicated), as CSR.
    const pc = new Int32Array(this.n + 1);
    const lastSeen = new Int32Array(this.n).fill(-1);
    for (let i = 0; i < this.n; i++) {
      for (let j = this.childOffsets[i]!; j < this.childOffsets[i + 1]!; j++) {
        const u = this.childTargets[j]!;
        if (!Number.isInteger(u) || u < 0 || u >= this.n) throw argError('range', `children[${i}][${j - this.childOffsets[i]!}]`, `a tool id in [0, ${this.n})`, u);
        if (lastSeen[u] !== i) {
          lastSeen[u] = i;
          pc[u + 1]!++;
        }
      }
    }
    for (let i = 0; i < this.n; i++) pc[i + 1]! += pc[i]!;
    this.parentOffsets = pc;
    this.parentTargets = new Int32Array(pc[this.n]!);
    const fill = pc.slice(0, this.n);
    lastSeen.fill(-1);
    for (let i = 0; i < this.n; i++) {
      for (let j = this.childOffsets[i]!; j < this.childOffsets[i + 1]!; j++) {
        const u = this.childTargets[j]!;
        if (lastSeen[u] !== i) {
          lastSeen[u] = i;
          this.parentTargets[fill[u]!++] = i;
        }
      }
    }
    if (src.depth && src.flat) {
      this.depth = Int32Array.from(src.depth);
      this.flat = Float64Array.from(src.flat);
    } else {
      [this.depth, this.flat] = this.metrics();
    }
  }

  /**
   * The retrieval view of a library version: records, call edges, d(v) and flat(v) from the DAG.
   * Share one `cards` cache only across versions of the same library (it is keyed by version).
   *
   * @example
   * ```ts
   * import { Corpus, ToolDag } from 'cocoda';
   * const corpus = Corpus.fromDag(ToolDag.fromRecords(records));
   * corpus.flatTotal(); // tokens of every card of every tool
   * ```
   */
  static fromDag(dag: ToolDag, cards?: CardTokens): Corpus {
    const { offsets, targets } = dag.csr();
    return new Corpus({ records: dag.records(), version: `dag-${dag.version}`, csr: { offsets, targets }, depth: dag.depthArray(), flat: dag.flatArray(), registry: dag.typeRegistry(), dagVersion: dag.version }, cards);
  }

  /** d(v) and flat(v) by memoised DFS (the DAG is acyclic by construction of a library version). */
  private metrics(): [Int32Array, Float64Array] {
    const depth = new Int32Array(this.n).fill(-1);
    const flat = new Float64Array(this.n);
    const visit = (v: number, guard: number): void => {
      if (depth[v]! >= 0) return;
      if (guard > this.n) throw argError('type', 'children', 'acyclic', v);
      const a = this.childOffsets[v]!;
      const b = this.childOffsets[v + 1]!;
      if (a === b) {
        depth[v] = 0;
        flat[v] = 1;
        return;
      }
      let d = 0;
      let f = 0;
      for (let j = a; j < b; j++) {
        const u = this.childTargets[j]!;
        visit(u, guard + 1);
        d = Math.max(d, depth[u]! + 1);
        f += flat[u]!;
      }
      depth[v] = d;
      flat[v] = f;
    };
    for (let v = 0; v < this.n; v++) visit(v, 0);
    return [depth, flat];
  }

  /** Parsed L1 signature of tool `v` (cached), or `null` when it does not parse. */
  signature(v: number): Signature | null {
    let s = this.sigs[v];
    if (s === undefined) {
      try {
        s = parseSignature(this.records[v]!.signature, { registry: this.registry });
      } catch {
        s = null;
      }
      this.sigs[v] = s;
    }
    return s;
  }

  id(name: string): number | undefined {
    return this.byName.get(name);
  }

  children(v: number): Int32Array {
    return this.childTargets.subarray(this.childOffsets[v]!, this.childOffsets[v + 1]!);
  }

  parents(v: number): Int32Array {
    return this.parentTargets.subarray(this.parentOffsets[v]!, this.parentOffsets[v + 1]!);
  }

  /** Tokens of the layer card of tool `v` in this version (counted once, then looked up by id). */
  tokens(v: number, layer: Layer): number {
    const i = v * 4 + layer - 1;
    let t = this.tok[i]!;
    if (t < 0) {
      t = this.cards.tokens(this.records[v]!, layer, this.version);
      this.tok[i] = t;
    }
    return t;
  }

  /** Tokens of all four cards of tool `v`. */
  flatTokens(v: number): number {
    return this.tokens(v, 1) + this.tokens(v, 2) + this.tokens(v, 3) + this.tokens(v, 4);
  }

  /**
   * The whole token table, `Int32Array(4n)`: row v = layers 1..4 of tool v (counts every card not
   * counted yet). Persisted per version so a later process need not load the tokenizer.
   */
  tokenTable(): Int32Array {
    for (let v = 0; v < this.n; v++) this.flatTokens(v);
    return this.tok;
  }

  /**
   * Installs a token table counted earlier for this same version (e.g. read back from the
   * per-version cache): `Int32Array(4n)` of non-negative counts.
   * @throws TypeError when the table has the wrong length or a negative / non-integer entry.
   */
  setTokenTable(table: Int32Array): void {
    if (!(table instanceof Int32Array) || table.length !== this.n * 4) throw argError('type', 'table', `an Int32Array of ${this.n * 4} token counts`, table);
    for (let i = 0; i < table.length; i++) if (table[i]! < 0) throw argError('range', `table[${i}]`, 'a non-negative token count', table[i]);
    this.tok = table;
    this.flatTotalCache = -1;
  }

  /** Flat-baseline cost of the whole version: every layer of every tool (counted once, cached). */
  flatTotal(): number {
    if (this.flatTotalCache < 0) {
      let s = 0;
      for (let v = 0; v < this.n; v++) s += this.flatTokens(v);
      this.flatTotalCache = s;
    }
    return this.flatTotalCache;
  }

  /**
   * Installs a structure derived elsewhere for this same version (e.g. read back from its
   * persisted cache) under a memo key; later {@link Corpus.memoize} calls return it.
   */
  prime(key: string, value: unknown): void {
    this.memo.set(key, value);
  }

  /** Per-version memo for indexes built from this corpus (built once, on first use). */
  memoize<T>(key: string, build: () => T): T {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = build();
    this.memo.set(key, v);
    return v;
  }
}
