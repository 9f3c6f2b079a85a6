/**
 * Pure-TypeScript twins of the DAG kernels in `native/dag_kernels.cc`. Same contracts, same
 * deterministic results (including the cycle witness), same error codes.
 *
 * The graph is given in CSR form: node `v`'s ordered children (with multiplicity) are
 * `targets[offsets[v] .. offsets[v + 1])`. `offsets.length === n + 1`, `offsets[0] === 0`,
 * `offsets` is non-decreasing, `offsets[n] === targets.length` and every target is in `[0, n)`.
 *
 * Traversal order (shared with the native kernels, which is what makes the outputs identical):
 * an iterative depth-first search started from every unvisited node in increasing id order,
 * visiting children in CSR order. No recursion, so a 10⁵-deep chain is fine.
 */
import { CocodaError } from '../errors.ts';

/** Per-node metrics of DESIGN.md §1. */
export interface DagMetrics {
  /** `d(v) = 0` for nodes without children, `1 + max d(child)` otherwise. */
  depth: Int32Array;
  /**
   * `flat(v) = 1` for nodes without children, `Σ flat(child)` with multiplicity otherwise: the
   * number of primitive calls in the full expansion. Float64: exact up to 2⁵³, then rounded to the
   * nearest double, `Infinity` once it exceeds ~1.8e308 (a 1,100-deep chain of doubling calls).
   */
  flat: Float64Array;
  /** `Φ(v) = flat(v) − 1`, the saved-call count. */
  phi: Float64Array;
}

/** The kernel contract shared by both backends. */
export interface DagKernels {
  /**
   * A cycle witness as node ids `[v0, v1, …, vk, v0]` (each an edge of the graph; a self-call is
   * `[v, v]`), or an empty array when the graph is acyclic. The witness is the first back edge the
   * shared DFS order meets.
   */
  findCycle(offsets: Int32Array, targets: Int32Array): Int32Array;
  /** Every node once, each after all of its children (DFS post-order). Throws `ERR_CYCLE` on a cycle. */
  topoOrder(offsets: Int32Array, targets: Int32Array): Int32Array;
  /** depth, flat and Φ of every node in one call. Throws `ERR_CYCLE` on a cycle. */
  metrics(offsets: Int32Array, targets: Int32Array): DagMetrics;
}

/** Validates the CSR arrays; throws `ERR_CSR_INVALID`. Returns the node count. */
export function checkCsr(fn: string, offsets: unknown, targets: unknown): number {
  if (!(offsets instanceof Int32Array)) throw new CocodaError(`${fn}: offsets must be an Int32Array`, 'ERR_CSR_INVALID');
  if (!(targets instanceof Int32Array)) throw new CocodaError(`${fn}: targets must be an Int32Array`, 'ERR_CSR_INVALID');
  if (offsets.length < 1) throw new CocodaError(`${fn}: offsets must have n + 1 >= 1 entries`, 'ERR_CSR_INVALID');
  const n = offsets.length - 1;
  if (offsets[0] !== 0) throw new CocodaError(`${fn}: offsets[0] must be 0`, 'ERR_CSR_INVALID');
  if (offsets[n] !== targets.length) {
    throw new CocodaError(`${fn}: offsets[n] must equal targets.length`, 'ERR_CSR_INVALID');
  }
  for (let v = 0; v < n; v++) {
    if (offsets[v + 1]! < offsets[v]!) throw new CocodaError(`${fn}: offsets must be non-decreasing`, 'ERR_CSR_INVALID');
  }
  for (let e = 0; e < targets.length; e++) {
    const t = targets[e]!;
    if (t < 0 || t >= n) throw new CocodaError(`${fn}: target ${e} is out of range`, 'ERR_CSR_INVALID');
  }
  return n;
}

const WHITE = 0;
const GRAY = 1;
const BLACK = 2;

/**
 * The shared DFS. Returns the post-order when acyclic, or the cycle witness when not.
 * `stack`/`edge` hold the current path and each path node's next edge index.
 */
function dfs(n: number, offsets: Int32Array, targets: Int32Array): { order: Int32Array } | { cycle: Int32Array } {
  const color = new Uint8Array(n);
  const order = new Int32Array(n);
  const stack = new Int32Array(n);
  const edge = new Int32Array(n);
  let emitted = 0;
  for (let root = 0; root < n; root++) {
    if (color[root] !== WHITE) continue;
    let top = 0;
    stack[0] = root;
    edge[0] = offsets[root]!;
    color[root] = GRAY;
    while (top >= 0) {
      const v = stack[top]!;
      const e = edge[top]!;
      if (e < offsets[v + 1]!) {
        edge[top] = e + 1;
        const u = targets[e]!;
        const c = color[u];
        if (c === WHITE) {
          color[u] = GRAY;
          top++;
          stack[top] = u;
          edge[top] = offsets[u]!;
        } else if (c === GRAY) {
          let i = top;
          while (stack[i] !== u) i--;
          const cycle = new Int32Array(top - i + 2);
          for (let k = i; k <= top; k++) cycle[k - i] = stack[k]!;
          cycle[top - i + 1] = u;
          return { cycle };
        }
      } else {
        color[v] = BLACK;
        order[emitted++] = v;
        top--;
      }
    }
  }
  return { order };
}

function cycleError(fn: string, cycle: Int32Array): CocodaError {
  return new CocodaError(`${fn}: the graph has a cycle through node ids ${Array.from(cycle).join(' -> ')}`, 'ERR_CYCLE');
}

/** TypeScript twin of the native DAG kernels. */
export const tsDagKernels: DagKernels = {
  findCycle(offsets, targets) {
    const n = checkCsr('findCycle', offsets, targets);
    const r = dfs(n, offsets, targets);
    return 'cycle' in r ? r.cycle : new Int32Array(0);
  },
  topoOrder(offsets, targets) {
    const n = checkCsr('topoOrder', offsets, targets);
    const r = dfs(n, offsets, targets);
    if ('cycle' in r) throw cycleError('topoOrder', r.cycle);
    return r.order;
  },
  metrics(offsets, targets) {
    const n = checkCsr('metrics', offsets, targets);
    const r = dfs(n, offsets, targets);
    if ('cycle' in r) throw cycleError('metrics', r.cycle);
    const depth = new Int32Array(n);
    const flat = new Float64Array(n);
    const phi = new Float64Array(n);
    const order = r.order;
    for (let k = 0; k < n; k++) {
      const v = order[k]!;
      const lo = offsets[v]!;
      const hi = offsets[v + 1]!;
      if (lo === hi) {
        flat[v] = 1;
      } else {
        let d = 0;
        let f = 0;
        for (let e = lo; e < hi; e++) {
          const u = targets[e]!;
          if (depth[u]! > d) d = depth[u]!;
          f += flat[u]!;
        }
        depth[v] = d + 1;
        flat[v] = f;
      }
      phi[v] = flat[v]! - 1;
    }
    return { depth, flat, phi };
  },
};
