/**
 * L1 stages for the cascade. The default is the library's L1 index (src/l1, built once per
 * version); {@link ScanL1} is the reference linear scan with `unifySignature` (used to cross-check
 * the index); {@link UnorderedInputsL1} treats a sub-goal's inputs as an unordered product.
 */
import type { Param, Signature } from '../types/ast.ts';
import { printType } from '../types/print.ts';
import { unifySignature } from '../types/unify.ts';
import { buildL1Index } from '../l1/index.ts';
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
    const ps = goal.params;
    const named = ps.length > 0 && ps.every((p) => p.name !== undefined);
    if (named || ps.length < 2 || ps.length > this.maxInputs) return this.inner.candidates(goal);
    const seen = new Set<string>();
    const hits = new Set<number>();
    for (const perm of permutations(ps)) {
      const key = perm.map((p) => (p.optional ? '?' : '') + printType(p.type)).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      for (const v of this.inner.candidates({ params: perm, result: goal.result })) hits.add(v);
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
export function defaultL1(corpus: Corpus): L1Stage {
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
