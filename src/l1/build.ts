/**
 * Builds the flat (CSR) tries of the L1 index from a batch of tool signatures. One build serves
 * both backends: the TypeScript twin walks these arrays directly and the native index receives
 * them in one call (README "L1 index").
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

interface BNode {
  children: Map<number, BNode>;
  tools: number[];
}
const newNode = (): BNode => ({ children: new Map(), tools: [] });

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
  const roots: BNode[] = [];
  const bucketMeta: Array<{ kind: number; arity: number; names: number[] }> = [];
  const buckets = new Map<string, number>();
  const root = (kind: number, arity: number, names: number[]): BNode => {
    const key = kind === BUCKET_NAMED ? bucketName(kind, names) : bucketName(kind, arity);
    let b = buckets.get(key);
    if (b === undefined) {
      b = roots.length;
      buckets.set(key, b);
      roots.push(newNode());
      bucketMeta.push({ kind, arity, names });
    }
    return roots[b]!;
  };
  const insert = (r: BNode, path: number[], tool: number): void => {
    let node = r;
    for (const k of path) {
      let c = node.children.get(k);
      if (!c) node.children.set(k, (c = newNode()));
      node = c;
    }
    node.tools.push(tool);
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
    for (let m = r; m <= s.params.length; m++) insert(root(kind, m, []), [...pk.slice(0, m), rk], i);
    if (named) {
      const req = s.params
        .map((p, j) => ({ id: interner.name(p.name!), key: pk[j]!, optional: p.optional }))
        .filter((x) => !x.optional)
        .sort((a, b) => a.id - b.id);
      const names = req.map((x) => x.id);
      insert(root(BUCKET_NAMED, names.length, names), [...req.map((x) => x.key), rk], i);
    }
  }
  sigOffsets[n] = sigData.length;

  // Flatten: number nodes in preorder (children by ascending key), then emit CSR ranges.
  const order: BNode[] = [];
  const idOf = new Map<BNode, number>();
  const sortedKids = new Map<BNode, Array<[number, BNode]>>();
  const number = (node: BNode): number => {
    const id = order.length;
    order.push(node);
    idOf.set(node, id);
    const kids = [...node.children.entries()].sort((a, b) => a[0] - b[0]);
    sortedKids.set(node, kids);
    for (const [, c] of kids) number(c);
    return id;
  };
  const bucketRoot = roots.map(number);
  const numNodes = order.length;
  const nodeChildStart = new Int32Array(numNodes + 1);
  const nodeLeafStart = new Int32Array(numNodes + 1);
  const nodeExactEnd = new Int32Array(numNodes);
  const childKeys: number[] = [];
  const childNodes: number[] = [];
  const leafTools: number[] = [];
  for (let id = 0; id < numNodes; id++) {
    const node = order[id]!;
    nodeChildStart[id] = childKeys.length;
    for (const [k, c] of sortedKids.get(node)!) {
      childKeys.push(k);
      childNodes.push(idOf.get(c)!);
    }
    nodeLeafStart[id] = leafTools.length;
    const tools = node.tools.slice().sort((a, b) => exact[b]! - exact[a]! || a - b);
    let ee = leafTools.length;
    for (const t of tools) {
      leafTools.push(t);
      if (exact[t]) ee = leafTools.length;
    }
    nodeExactEnd[id] = ee;
  }
  nodeChildStart[numNodes] = childKeys.length;
  nodeLeafStart[numNodes] = leafTools.length;

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
      childKeys: Int32Array.from(childKeys),
      childNodes: Int32Array.from(childNodes),
      nodeLeafStart,
      nodeExactEnd,
      leafTools: Int32Array.from(leafTools),
      bucketKind: Int32Array.from(bucketMeta.map((b) => b.kind)),
      bucketArity: Int32Array.from(bucketMeta.map((b) => b.arity)),
      bucketNameStart,
      bucketNames: Int32Array.from(bucketNames),
      bucketRoot: Int32Array.from(bucketRoot),
    },
    buckets,
    exact,
  };
}
