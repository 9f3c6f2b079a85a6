/**
 * Builds the flat (CSR) tries of the L1 index from a batch of tool signatures. One build serves
 * both backends: the TypeScript twin walks these arrays directly and the native index receives
 * them in one call (docs/retrieval.md "L1 index").
 *
 * Buckets (one trie each):
 *   kind 0 `p{n}`  unnamed tools, by position: levels key(P1)…key(Pn), key(R)
 *   kind 1 `q{n}`  named tools seen by position (positional sub-goals): same levels
 *   kind 2 `N{S}`  named tools whose required-name set is S: levels key(P_s) for s ∈ S by name id, key(R)
 * A tool with m parameters of which the last required one is at position r-1 is filed under
 * `p{n}`/`q{n}` for every n in r..m (a positional sub-goal may stop after the required prefix).
 */
import type { Signature } from '../types/ast.ts';
import { hasTypeVars } from '../types/subtype.ts';
import { encodeSignature, type Interner } from './encode.ts';
import { isExactKey, keyOf } from './keys.ts';

export const BUCKET_POSITIONAL = 0;
export const BUCKET_NAMED_POSITIONAL = 1;
export const BUCKET_NAMED = 2;

export interface L1Data {
  toolIds: Int32Array;
  sigOffsets: Int32Array;
  sigData: Int32Array;
  nodeChildStart: Int32Array;
  childKeys: Int32Array;
  childNodes: Int32Array;
  nodeLeafStart: Int32Array;
  /** End (exclusive) of the exact tools at the start of each node's leaf range. */
  nodeExactEnd: Int32Array;
  leafTools: Int32Array;
  bucketKind: Int32Array;
  bucketArity: Int32Array;
  bucketNameStart: Int32Array;
  bucketNames: Int32Array;
  bucketRoot: Int32Array;
}

export function bucketName(kind: number, arityOrNames: number | readonly number[]): string {
  if (kind === BUCKET_NAMED) return `N${(arityOrNames as number[]).join(',')}`;
  return `${kind === BUCKET_POSITIONAL ? 'p' : 'q'}${arityOrNames as number}`;
}

export interface BuiltIndex {
  data: L1Data;
  /** Bucket name (see {@link bucketName}) → bucket index. */
  buckets: Map<string, number>;
  /** Per tool: exact (no variables, exact keys). */
  exact: Uint8Array;
}

export function buildL1Data(ids: Int32Array, sigs: readonly Signature[], interner: Interner): BuiltIndex {
  const n = sigs.length;
  const nominal = (s: string) => interner.name(s);
  const bucketMeta: Array<{ kind: number; arity: number; names: number[] }> = [];
  const buckets = new Map<string, number>();
  const bucketOf = (kind: number, arity: number, names: number[]): number => {
    const key = kind === BUCKET_NAMED ? bucketName(kind, names) : bucketName(kind, arity);
    let b = buckets.get(key);
    if (b === undefined) {
      b = bucketMeta.length;
      buckets.set(key, b);
      bucketMeta.push({ kind, arity, names });
    }
    return b;
  };

  // Entries (bucket, path, tool); paths live in one pool. Sorting them lexicographically gives
  // the tries in preorder with children by ascending key (no per-node maps).
  const entBucket: number[] = [];
  const entTool: number[] = [];
  const entPath: number[] = [];
  const pool: number[] = [];
  const add = (bucket: number, path: number[], tool: number): void => {
    entBucket.push(bucket);
    entTool.push(tool);
    entPath.push(pool.length);
    for (const k of path) pool.push(k);
  };

  const sigData: number[] = [];
  const sigOffsets = new Int32Array(n + 1);
  const exact = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = sigs[i]!;
    sigOffsets[i] = sigData.length;
    encodeSignature(s, interner, true, sigData);
    const pk = s.params.map((p) => keyOf(p.type, nominal, false));
    const rk = keyOf(s.result, nominal, false);
    const vars = s.params.some((p) => hasTypeVars(p.type)) || hasTypeVars(s.result);
    exact[i] = !vars && pk.every(isExactKey) && isExactKey(rk) ? 1 : 0;
    const named = s.params.length > 0 && s.params.every((p) => p.name !== undefined);
    let r = 0;
    s.params.forEach((p, j) => {
      if (!p.optional) r = j + 1;
    });
    const kind = named ? BUCKET_NAMED_POSITIONAL : BUCKET_POSITIONAL;
    for (let m = r; m <= s.params.length; m++) add(bucketOf(kind, m, []), [...pk.slice(0, m), rk], i);
    if (named) {
      const req = s.params
        .map((p, j) => ({ id: interner.name(p.name!), key: pk[j]!, optional: p.optional }))
        .filter((x) => !x.optional)
        .sort((a, b) => a.id - b.id);
      const names = req.map((x) => x.id);
      add(bucketOf(BUCKET_NAMED, names.length, names), [...req.map((x) => x.key), rk], i);
    }
  }
  sigOffsets[n] = sigData.length;

  const depthOf = (b: number): number => bucketMeta[b]!.arity + 1;
  const E = entBucket.length;
  const order = new Int32Array(E);
  for (let e = 0; e < E; e++) order[e] = e;
  order.sort((x, y) => {
    const bx = entBucket[x]!;
    const by = entBucket[y]!;
    if (bx !== by) return bx - by;
    const d = depthOf(bx);
    const px = entPath[x]!;
    const py = entPath[y]!;
    for (let j = 0; j < d; j++) {
      const c = pool[px + j]! - pool[py + j]!;
      if (c !== 0) return c;
    }
    return exact[entTool[y]!]! - exact[entTool[x]!]! || entTool[x]! - entTool[y]!;
  });

  // Sweep: create nodes in preorder; remember each node's parent and key for the CSR children.
  const parent: number[] = [];
  const nodeKey: number[] = [];
  const leafStartArr: number[] = [];
  const exactEndArr: number[] = [];
  const leafTools: number[] = [];
  const bucketRoot = new Int32Array(bucketMeta.length).fill(-1);
  const newNode = (par: number, key: number): number => {
    const id = parent.length;
    parent.push(par);
    nodeKey.push(key);
    leafStartArr.push(leafTools.length);
    exactEndArr.push(leafTools.length);
    return id;
  };
  const stack: number[] = [];
  let prev = -1;
  for (let oi = 0; oi < E; oi++) {
    const e = order[oi]!;
    const b = entBucket[e]!;
    const d = depthOf(b);
    let common = 0;
    if (prev < 0 || entBucket[prev] !== b) {
      stack.length = 0;
      stack.push(newNode(-1, -1));
      bucketRoot[b] = stack[0]!;
    } else {
      const pp = entPath[prev]!;
      const pe = entPath[e]!;
      while (common < d && pool[pp + common] === pool[pe + common]) common++;
      stack.length = common + 1;
    }
    for (let j = common; j < d; j++) stack.push(newNode(stack[j]!, pool[entPath[e]! + j]!));
    const leaf = stack[d]!;
    const t = entTool[e]!;
    leafTools.push(t);
    if (exact[t]) exactEndArr[leaf] = leafTools.length;
    prev = e;
  }
  // Buckets without entries cannot exist (a bucket is created by its first entry).
  const numNodes = parent.length;
  const nodeChildStart = new Int32Array(numNodes + 1);
  for (let id = 0; id < numNodes; id++) if (parent[id]! >= 0) nodeChildStart[parent[id]! + 1]!++;
  for (let id = 0; id < numNodes; id++) nodeChildStart[id + 1]! += nodeChildStart[id]!;
  const childKeys = new Int32Array(nodeChildStart[numNodes]!);
  const childNodes = new Int32Array(nodeChildStart[numNodes]!);
  const fill = nodeChildStart.slice(0, numNodes);
  for (let id = 0; id < numNodes; id++) {
    const p = parent[id]!;
    if (p < 0) continue;
    const at = fill[p]!++;
    childKeys[at] = nodeKey[id]!;
    childNodes[at] = id;
  }
  const nodeLeafStart = new Int32Array(numNodes + 1);
  nodeLeafStart.set(leafStartArr);
  nodeLeafStart[numNodes] = leafTools.length;
  const nodeExactEnd = Int32Array.from(exactEndArr);

  const bucketNameStart = new Int32Array(bucketMeta.length + 1);
  const bucketNames: number[] = [];
  bucketMeta.forEach((b, i) => {
    bucketNameStart[i] = bucketNames.length;
    bucketNames.push(...b.names);
  });
  bucketNameStart[bucketMeta.length] = bucketNames.length;

  return {
    data: {
      toolIds: Int32Array.from(ids),
      sigOffsets,
      sigData: Int32Array.from(sigData),
      nodeChildStart,
      childKeys,
      childNodes,
      nodeLeafStart,
      nodeExactEnd,
      leafTools: Int32Array.from(leafTools),
      bucketKind: Int32Array.from(bucketMeta.map((b) => b.kind)),
      bucketArity: Int32Array.from(bucketMeta.map((b) => b.arity)),
      bucketNameStart,
      bucketNames: Int32Array.from(bucketNames),
      bucketRoot,
    },
    buckets,
    exact,
  };
}
