/**
 * TypeScript twin of the native L1 query (native/l1_index.cc): walks the flat tries built by
 * ./build.ts over the key sets of each sub-goal position and verifies candidates with the
 * reference `unifySignature` wherever the key abstraction is coarse.
 */
import type { Signature } from '../types/ast.ts';
import { unifySignature } from '../types/unify.ts';
import { BUCKET_NAMED, BUCKET_NAMED_POSITIONAL, BUCKET_POSITIONAL, bucketName, type BuiltIndex } from './build.ts';
import type { Interner } from './encode.ts';
import { isExactKey, keyOf, subKeys, superKeys, type KeySet } from './keys.ts';
import { gradeSignature, type GradeOptions } from './grade.ts';

/** A key set without the key of `?` (K_UNK = 0). */
function withoutUnknown(ks: KeySet): KeySet {
  return { keys: ks.keys.filter((k) => k !== 0), ranges: ks.ranges.map(([lo, hi]): [number, number] => [Math.max(lo, 1), hi]).filter(([lo, hi]) => lo < hi) };
}

function lowerBound(a: Int32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class TsL1Query {
  private readonly numNamed: number;
  /** Candidates checked with the full unifier so far (instrumentation for the bench). */
  verified = 0;
  /** Trie nodes visited so far. */
  visited = 0;
  constructor(
    private readonly built: BuiltIndex,
    /** Tool signature at internal position t (parsed on demand when the index was restored). */
    private readonly sig: (t: number) => Signature,
    private readonly interner: Interner,
  ) {
    this.numNamed = built.data.bucketKind.reduce((acc, k) => acc + (k === BUCKET_NAMED ? 1 : 0), 0);
  }

  /** `knownResult`: leave out tools whose result is the gradual `?` (graded L1's class 0 only). */
  query(goal: Signature, knownResult = false): Int32Array {
    const d = this.built.data;
    const view = this.interner.queryView();
    const nominal = (s: string) => view.name(s);
    const pk = goal.params.map((p) => keyOf(p.type, nominal, true));
    const rk = keyOf(goal.result, nominal, true);
    const qExact = pk.every(isExactKey) && isExactKey(rk) && goal.params.every((p) => !p.optional);
    const named = goal.params.length > 0 && goal.params.every((p) => p.name !== undefined);
    const out: number[] = [];
    const resultSet = knownResult ? withoutUnknown(subKeys(goal.result, nominal)) : subKeys(goal.result, nominal);

    const walk = (node: number, levels: KeySet[], depth: number, verify: boolean): void => {
      this.visited++;
      if (depth === levels.length) {
        const ls = d.nodeLeafStart[node]!;
        const le = d.nodeLeafStart[node + 1]!;
        const ee = d.nodeExactEnd[node]!;
        for (let j = ls; j < le; j++) {
          const t = d.leafTools[j]!;
          if (!verify && j < ee) out.push(d.toolIds[t]!);
          else {
            this.verified++;
            if (unifySignature(goal, this.sig(t)) !== null) out.push(d.toolIds[t]!);
          }
        }
        return;
      }
      const ks = levels[depth]!;
      const cs = d.nodeChildStart[node]!;
      const ce = d.nodeChildStart[node + 1]!;
      for (const k of ks.keys) {
        const j = lowerBound(d.childKeys, cs, ce, k);
        if (j < ce && d.childKeys[j] === k) walk(d.childNodes[j]!, levels, depth + 1, verify);
      }
      for (const [lo, hi] of ks.ranges) {
        for (let j = lowerBound(d.childKeys, cs, ce, lo); j < ce && d.childKeys[j]! < hi; j++) walk(d.childNodes[j]!, levels, depth + 1, verify);
      }
    };
    const run = (bucket: string, levels: KeySet[], verify: boolean): void => {
      const b = this.built.buckets.get(bucket);
      if (b !== undefined) walk(d.bucketRoot[b]!, levels, 0, verify);
    };

    const n = goal.params.length;
    const positional = [...goal.params.map((p) => superKeys(p.type, nominal)), resultSet];
    run(bucketName(BUCKET_POSITIONAL, n), positional, !qExact);
    if (!named) {
      run(bucketName(BUCKET_NAMED_POSITIONAL, n), positional, !qExact);
    } else {
      const req = goal.params
        .map((p) => ({ id: view.name(p.name!), type: p.type, optional: p.optional }))
        .filter((x) => !x.optional)
        .sort((a, b) => a.id - b.id);
      const m = req.length;
      const numNamed = this.numNamed;
      const visitSubset = (sel: typeof req): void => {
        run(
          bucketName(BUCKET_NAMED, sel.map((x) => x.id)),
          [...sel.map((x) => superKeys(x.type, nominal)), resultSet],
          !qExact || sel.length !== n,
        );
      };
      if (m < 31 && 2 ** m <= numNamed) {
        for (let mask = 0; mask < 2 ** m; mask++) visitSubset(req.filter((_, i) => (mask >> i) & 1));
      } else {
        // Fewer named buckets than subsets: test each bucket's required names against the goal's.
        const byId = new Map(req.map((x) => [x.id, x]));
        for (let b = 0; b < d.bucketKind.length; b++) {
          if (d.bucketKind[b] !== BUCKET_NAMED) continue;
          const sel: typeof req = [];
          let ok = true;
          for (let j = d.bucketNameStart[b]!; j < d.bucketNameStart[b + 1]! && ok; j++) {
            const x = byId.get(d.bucketNames[j]!);
            if (x) sel.push(x);
            else ok = false;
          }
          if (ok) visitSubset(sel);
        }
      }
    }
    const res = Int32Array.from(out);
    res.sort();
    return res;
  }

  /**
   * Graded L1: every tool whose class is exact, coercible or unknown-result (≤ 2), with its
   * grade. Walks the tries of the goal's arity / name buckets without key pruning (coercions cross
   * every key) and grades each tool with the reference {@link gradeSignature}.
   */
  gradeAll(goal: Signature, opts: GradeOptions): { tools: Int32Array; cls: Uint8Array; penalty: Float64Array } {
    const d = this.built.data;
    const view = this.interner.queryView();
    const named = goal.params.length > 0 && goal.params.every((p) => p.name !== undefined);
    const seen = new Set<number>();
    const order: number[] = [];
    const collect = (node: number, depth: number, levels: number): void => {
      this.visited++;
      if (depth === levels) {
        for (let j = d.nodeLeafStart[node]!; j < d.nodeLeafStart[node + 1]!; j++) {
          const t = d.leafTools[j]!;
          if (!seen.has(t)) {
            seen.add(t);
            order.push(t);
          }
        }
        return;
      }
      for (let j = d.nodeChildStart[node]!; j < d.nodeChildStart[node + 1]!; j++) collect(d.childNodes[j]!, depth + 1, levels);
    };
    const run = (bucket: string, levels: number): void => {
      const b = this.built.buckets.get(bucket);
      if (b !== undefined) collect(d.bucketRoot[b]!, 0, levels);
    };
    const n = goal.params.length;
    // Order-free matching may skip optional parameters anywhere: every tool with ≥ n parameters
    // is a candidate (each is filed under its full arity); in order, the arity-n buckets hold them all.
    const maxK = opts.unordered && !named && n > 0 && n <= (opts.maxInputs ?? 6) ? this.maxArity() : n;
    for (let k = n; k <= maxK; k++) run(bucketName(BUCKET_POSITIONAL, k), k + 1);
    if (!named) for (let k = n; k <= maxK; k++) run(bucketName(BUCKET_NAMED_POSITIONAL, k), k + 1);
    else {
      const ids = new Set(goal.params.map((p) => view.name(p.name!)));
      for (let b = 0; b < d.bucketKind.length; b++) {
        if (d.bucketKind[b] !== BUCKET_NAMED) continue;
        let ok = true;
        for (let j = d.bucketNameStart[b]!; j < d.bucketNameStart[b + 1]! && ok; j++) if (!ids.has(d.bucketNames[j]!)) ok = false;
        if (ok) collect(d.bucketRoot[b]!, 0, d.bucketNameStart[b + 1]! - d.bucketNameStart[b]! + 1);
      }
    }
    order.sort((a, b) => d.toolIds[a]! - d.toolIds[b]!);
    const tools: number[] = [];
    const cls: number[] = [];
    const pen: number[] = [];
    for (const t of order) {
      this.verified++;
      const g = gradeSignature(goal, this.sig(t), opts);
      if (g.cls > 2) continue;
      tools.push(t);
      cls.push(g.cls);
      pen.push(g.penalty);
    }
    return { tools: Int32Array.from(tools), cls: Uint8Array.from(cls), penalty: Float64Array.from(pen) };
  }

  /** Largest positional bucket arity. */
  private maxArity(): number {
    let m = 0;
    const d = this.built.data;
    for (let b = 0; b < d.bucketKind.length; b++) if (d.bucketKind[b] !== BUCKET_NAMED && d.bucketArity[b]! > m) m = d.bucketArity[b]!;
    return m;
  }

  /** Grades of the tools at internal positions `tools` (reference {@link gradeSignature}). */
  gradeTools(goal: Signature, tools: Int32Array, opts: GradeOptions): { cls: Uint8Array; penalty: Float64Array } {
    const cls = new Uint8Array(tools.length);
    const penalty = new Float64Array(tools.length);
    for (let i = 0; i < tools.length; i++) {
      this.verified++;
      const g = gradeSignature(goal, this.sig(tools[i]!), opts);
      cls[i] = g.cls;
      penalty[i] = g.penalty;
    }
    return { cls, penalty };
  }
}
