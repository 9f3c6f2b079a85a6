/**
 * L1 stages for the cascade. The default is the library's L1 index (src/l1, built once per
 * version); {@link ScanL1} is the reference linear scan with `unifySignature` (used to cross-check
 * the index); {@link UnorderedInputsL1} treats a sub-goal's inputs as an unordered product.
 */
import type { Param, Signature } from '../types/ast.ts';
import { printType } from '../types/print.ts';
import { unifySignature } from '../types/unify.ts';
import { buildL1Index, type GradedSet, type L1Index } from '../l1/index.ts';
import { resultConstrained } from '../l1/grade.ts';
import type { Corpus } from './corpus.ts';
import type { L1Stage } from './cascade.ts';

/**
 * Reference L1: scans every tool with `unifySignature` (O(n) per query).
 *
 * @example
 * ```ts
 * import { Corpus, ScanL1 } from 'cocoda';
 * new ScanL1(corpus).candidates(parseSignature('(float, float) -> float')); // Int32Array of ids
 * ```
 */
export class ScanL1 implements L1Stage {
  constructor(private readonly corpus: Corpus) {}

  candidates(goal: Signature): Int32Array {
    const out: number[] = [];
    for (let v = 0; v < this.corpus.n; v++) {
      const s = this.corpus.signature(v);
      if (s && unifySignature(goal, s) !== null) out.push(v);
    }
    return Int32Array.from(out);
  }
}

/** Graded L1 answers of a stage (src/l1/grade.ts): class 0 exact, 1 coercible, 2 unknown result, 3 incompatible. */
export interface GradedL1Stage extends L1Stage {
  /**
   * Class-0 tools: exact unification, and (when the goal constrains its output) a known result.
   * A subset of {@link L1Stage.candidates}.
   */
  exact(goal: Signature): Int32Array;
  /** Class and coercion penalty of each of `ids`. */
  gradeIds(goal: Signature, ids: Int32Array): { cls: Uint8Array; penalty: Float64Array };
  /** Every tool of class ≤ 2, ascending by id (the fallback when the cheaper answers are too few). */
  grade(goal: Signature): GradedSet;
}

/** Whether an L1 stage answers graded queries. */
export function isGraded(l1: L1Stage): l1 is GradedL1Stage {
  const g = l1 as Partial<GradedL1Stage>;
  return typeof g.exact === 'function' && typeof g.gradeIds === 'function' && typeof g.grade === 'function';
}

/**
 * The graded L1 stage over a library's L1 index (native or TS twin). `unordered`: positional
 * inputs match the tool's parameters in any order (order-free matching).
 *
 * @example
 * ```ts
 * import { GradedL1, defaultL1 } from 'cocoda';
 * const l1 = new GradedL1(defaultL1(corpus), { unordered: true });
 * l1.gradeIds(parseSignature('(str) -> ?'), Int32Array.of(0, 1)); // { cls: Uint8Array [0, 1], penalty: … }
 * ```
 */
export class GradedL1 implements GradedL1Stage {
  readonly unordered: boolean;
  private readonly perms: UnorderedInputsL1 | null;

  constructor(
    readonly index: L1Index,
    opts: { unordered?: boolean } = {},
  ) {
    this.unordered = opts.unordered === true;
    this.perms = this.unordered ? new UnorderedInputsL1(index) : null;
  }

  candidates(goal: Signature): Int32Array {
    return this.perms ? this.perms.candidates(goal) : this.index.query(goal);
  }

  exact(goal: Signature): Int32Array {
    const knownResult = resultConstrained(goal);
    if (this.perms) return this.perms.candidatesWith(goal, (g) => this.index.query(g, { knownResult }));
    return this.index.query(goal, { knownResult });
  }

  gradeIds(goal: Signature, ids: Int32Array): { cls: Uint8Array; penalty: Float64Array } {
    return this.index.gradeIds(goal, ids, { unordered: this.unordered });
  }

  grade(goal: Signature): GradedSet {
    return this.index.grade(goal, { unordered: this.unordered });
  }
}

/**
 * Wraps an L1 stage so that the sub-goal's positional inputs are unordered: a sub-goal knows which
 * values it holds, not the order a tool's parameters take them in. Every distinct ordering of up
 * to `maxInputs` (default 4, i.e. ≤ 24 lookups) inputs is looked up and the results are unioned;
 * named sub-goals and longer input lists go through unchanged.
 */
export class UnorderedInputsL1 implements L1Stage {
  constructor(
    private readonly inner: L1Stage,
    private readonly maxInputs = 4,
  ) {}

  candidates(goal: Signature): Int32Array {
    return this.candidatesWith(goal, (g) => this.inner.candidates(g));
  }

  /** Graded L1 through the wrapped stage, when it is an L1 index (order-free). */
  private index(): L1Index | null {
    const ix = this.inner as Partial<L1Index>;
    return typeof ix.grade === 'function' && typeof ix.gradeIds === 'function' && typeof ix.query === 'function' ? (ix as L1Index) : null;
  }

  /** See {@link GradedL1.exact} (needs an L1 index inside; else the plain candidates). */
  exact(goal: Signature): Int32Array {
    const ix = this.index();
    if (!ix) return this.candidates(goal);
    const knownResult = resultConstrained(goal);
    return this.candidatesWith(goal, (g) => ix.query(g, { knownResult }));
  }

  /** See {@link GradedL1.gradeIds}. */
  gradeIds(goal: Signature, ids: Int32Array): { cls: Uint8Array; penalty: Float64Array } {
    const ix = this.index();
    if (ix) return ix.gradeIds(goal, ids, { unordered: true });
    const inS1 = new Set(this.candidates(goal));
    return { cls: Uint8Array.from(ids, (v) => (inS1.has(v) ? 0 : 3)), penalty: new Float64Array(ids.length) };
  }

  /** See {@link GradedL1.grade}. */
  grade(goal: Signature): GradedSet {
    const ix = this.index();
    if (ix) return ix.grade(goal, { unordered: true });
    const ids = this.candidates(goal);
    return { ids, cls: new Uint8Array(ids.length), penalty: new Float64Array(ids.length) };
  }

  /** The union of `lookup` over every distinct ordering of the goal's inputs, ascending. */
  candidatesWith(goal: Signature, lookup: (g: Signature) => Int32Array): Int32Array {
    const ps = goal.params;
    const named = ps.length > 0 && ps.every((p) => p.name !== undefined);
    if (named || ps.length < 2 || ps.length > this.maxInputs) return lookup(goal);
    const seen = new Set<string>();
    const hits = new Set<number>();
    for (const perm of permutations(ps)) {
      const key = perm.map((p) => (p.optional ? '?' : '') + printType(p.type)).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      for (const v of lookup({ params: perm, result: goal.result })) hits.add(v);
    }
    return Int32Array.from([...hits].sort((a, b) => a - b));
  }
}

function permutations(xs: readonly Param[]): Param[][] {
  if (xs.length <= 1) return [xs.slice()];
  const out: Param[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}

/**
 * The L1 stage the cascade uses by default on a version: built once per version (Corpus memo).
 * This is the library's L1 index (src/l1: typed tries, native or TS twin, `O(log n + |S1|)`), which
 * returns exactly what {@link ScanL1} returns. Tools whose signature does not parse are left out.
 */
export function defaultL1(corpus: Corpus): L1Index {
  return corpus.memoize('l1-index', () => {
    const ids: number[] = [];
    const sigs: Signature[] = [];
    for (let v = 0; v < corpus.n; v++) {
      const s = corpus.signature(v);
      if (s) {
        ids.push(v);
        sigs.push(s);
      }
    }
    return buildL1Index(ids, sigs, { registry: corpus.registry });
  });
}

/**
 * Wraps an L1 stage to drop gradual output matches: when the sub-goal's output type is known, a
 * tool whose result type is `?` (e.g. a JSON-Schema import without `returns`) is not admitted.
 * Not the default (it drops tools that might serve); the scaling benchmark uses it to measure how
 * much of TDR's cost comes from the gradual `?` results of untyped tools.
 */
export class KnownResultL1 implements L1Stage {
  constructor(
    private readonly inner: L1Stage,
    private readonly corpus: Corpus,
  ) {}

  candidates(goal: Signature): Int32Array {
    const all = this.inner.candidates(goal);
    if (goal.result.kind === 'unknown') return all;
    return all.filter((v) => this.corpus.signature(v)?.result.kind !== 'unknown');
  }
}
