import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eachBackend } from '../helpers/backends.ts';
import { needNative } from '../helpers/skip.ts';
import { nativeDagKernels, tsDagKernels, dagKernels, type DagKernels } from '../../src/library/kernels.ts';
import { CocodaError } from '../../src/errors.ts';

const backends = eachBackend<DagKernels>(tsDagKernels, nativeDagKernels());

function csr(n: number, edges: Array<[number, number]>): { offsets: Int32Array; targets: Int32Array } {
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [v, u] of edges) lists[v]!.push(u);
  const offsets = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) offsets[v + 1] = offsets[v]! + lists[v]!.length;
  return { offsets, targets: Int32Array.from(lists.flat()) };
}

/** Random graphs: mostly DAGs (edges from a higher to a lower rank of a random permutation), sometimes with back edges. */
const arbGraph = fc
  .integer({ min: 0, max: 40 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      perm: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
      edges: n === 0 ? fc.constant([] as Array<[number, number]>) : fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 3 * n }),
      backEdges: n === 0 ? fc.constant([] as Array<[number, number]>) : fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 }),
    }),
  )
  .map(({ n, perm, edges, backEdges }) => {
    const rank = new Int32Array(n);
    perm.forEach((v, i) => (rank[v] = i));
    // keep only "downhill" edges (parallel edges = multiplicity), then add a few arbitrary ones
    const dag = edges.filter(([a, b]) => rank[a]! > rank[b]!);
    return { n, ...csr(n, [...dag, ...backEdges]) };
  });

function outcome(fn: () => unknown): unknown {
  try {
    const r = fn() as Int32Array | { depth: Int32Array; flat: Float64Array; phi: Float64Array };
    if (r instanceof Int32Array) return { ok: Array.from(r) };
    return { ok: { depth: Array.from(r.depth), flat: Array.from(r.flat), phi: Array.from(r.phi) } };
  } catch (e) {
    return { err: (e as CocodaError).code, message: (e as Error).message };
  }
}

describe.each(backends)('DAG kernels (%s)', (_name, k) => {
  it('metrics on the quadratic_expr example: depth, flat with multiplicity, phi', () => {
    // 0 add, 1 mul, 2 pow_int, 3 quadratic_expr = [add, add, mul, pow_int, mul], 4 = [3, 3, 1]
    const g = csr(5, [[3, 0], [3, 0], [3, 1], [3, 2], [3, 1], [4, 3], [4, 3], [4, 1]]);
    const m = k.metrics(g.offsets, g.targets);
    expect(Array.from(m.depth)).toEqual([0, 0, 0, 1, 2]);
    expect(Array.from(m.flat)).toEqual([1, 1, 1, 5, 11]);
    expect(Array.from(m.phi)).toEqual([0, 0, 0, 4, 10]);
    const order = Array.from(k.topoOrder(g.offsets, g.targets));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(k.findCycle(g.offsets, g.targets).length).toBe(0);
  });

  it('cycle witnesses, self-loops, and ERR_CYCLE from topoOrder/metrics', () => {
    const self = csr(2, [[1, 1]]);
    expect(Array.from(k.findCycle(self.offsets, self.targets))).toEqual([1, 1]);
    const tri = csr(4, [[0, 1], [1, 2], [2, 3], [3, 1]]);
    expect(Array.from(k.findCycle(tri.offsets, tri.targets))).toEqual([1, 2, 3, 1]);
    expect(() => k.topoOrder(tri.offsets, tri.targets)).toThrow(/topoOrder: the graph has a cycle through node ids 1 -> 2 -> 3 -> 1/);
    try {
      k.metrics(tri.offsets, tri.targets);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CocodaError);
      expect((e as CocodaError).code).toBe('ERR_CYCLE');
    }
  });

  it('10^5-deep chains need no recursion; flat saturates to Infinity instead of wrapping', () => {
    const n = 100_000;
    const edges: Array<[number, number]> = [];
    for (let v = 1; v < n; v++) edges.push([v, v - 1], [v, v - 1]);
    const g = csr(n, edges);
    const m = k.metrics(g.offsets, g.targets);
    expect(m.depth[n - 1]).toBe(n - 1);
    expect(m.flat[52]).toBe(2 ** 52);
    expect(m.flat[n - 1]).toBe(Infinity);
    expect(k.findCycle(g.offsets, g.targets).length).toBe(0);
    const order = k.topoOrder(g.offsets, g.targets);
    expect(order[0]).toBe(0);
    expect(order[n - 1]).toBe(n - 1);
    // closing the chain into one huge cycle
    const c = csr(n, [...edges.filter((_, i) => i % 2 === 0), [0, n - 1]]);
    expect(k.findCycle(c.offsets, c.targets).length).toBe(n + 1);
  });

  it('rejects malformed CSR with ERR_CSR_INVALID', () => {
    const bad: Array<[unknown, unknown]> = [
      [new Int32Array(0), new Int32Array(0)],
      [Int32Array.from([1, 1]), new Int32Array(0)],
      [Int32Array.from([0, 2]), Int32Array.from([0])],
      [Int32Array.from([0, 1, 0]), Int32Array.from([0])],
      [Int32Array.from([0, 1]), Int32Array.from([5])],
      [Int32Array.from([0, 1]), Int32Array.from([-1])],
      [[0, 0], new Int32Array(0)],
      [Int32Array.from([0]), new Float64Array(0)],
    ];
    for (const [o, t] of bad) {
      for (const fn of ['findCycle', 'topoOrder', 'metrics'] as const) {
        expect(outcome(() => k[fn](o as Int32Array, t as Int32Array))).toMatchObject({ err: 'ERR_CSR_INVALID' });
      }
    }
  });

  it('topoOrder puts every node after its children', () => {
    fc.assert(
      fc.property(arbGraph, ({ n, offsets, targets }) => {
        if (k.findCycle(offsets, targets).length > 0) return;
        const order = k.topoOrder(offsets, targets);
        const pos = new Int32Array(n);
        order.forEach((v, i) => (pos[v] = i));
        expect(new Set(order).size).toBe(n);
        for (let v = 0; v < n; v++) for (let e = offsets[v]!; e < offsets[v + 1]!; e++) expect(pos[targets[e]!]).toBeLessThan(pos[v]!);
      }),
    );
  });

  it('a reported cycle is a real cycle', () => {
    fc.assert(
      fc.property(arbGraph, ({ offsets, targets }) => {
        const c = Array.from(k.findCycle(offsets, targets));
        if (c.length === 0) return;
        expect(c[0]).toBe(c[c.length - 1]);
        for (let i = 0; i + 1 < c.length; i++) {
          const kids = Array.from(targets.subarray(offsets[c[i]!]!, offsets[c[i]! + 1]!));
          expect(kids).toContain(c[i + 1]);
        }
      }),
    );
  });
});

describe('native = TS twin (differential)', () => {
  const native = nativeDagKernels();
  it('identical results, witnesses and errors on random graphs, cyclic or not', (ctx) => {
    needNative(ctx);
    fc.assert(
      fc.property(arbGraph, ({ offsets, targets }) => {
        for (const fn of ['findCycle', 'topoOrder', 'metrics'] as const) {
          expect(outcome(() => native![fn](offsets, targets))).toStrictEqual(outcome(() => tsDagKernels[fn](offsets, targets)));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the live backend is native exactly when the addon has the DAG kernels', () => {
    expect(dagKernels() === tsDagKernels).toBe(native === null);
  });
});
