/**
 * Embedded dense-ish text vectors for the baselines: TF-IDF over retrieval terms (text.ts), L2
 * normalised, stored sparse; an inverted index for top-k cosine search; spherical k-means for the
 * RAPTOR-style text tree. Deterministic (seeded) so benchmark runs repeat exactly.
 */
import { processWord, splitWords, terms } from './text.ts';

/** A sparse, L2-normalised vector: parallel arrays of term ids (ascending) and weights. */
export interface SparseVec {
  idx: Int32Array;
  val: Float64Array;
}

/** Term vocabulary with document frequencies, fitted on a corpus of documents. */
export class TfIdf {
  private readonly ids = new Map<string, number>();
  private df: number[] = [];
  private docs = 0;
  /** The first surface word seen for each term (for readable summaries). */
  readonly surface: string[] = [];

  /** Fits document frequencies on `docs` (raw texts). */
  static fit(docs: readonly string[]): TfIdf {
    const t = new TfIdf();
    for (const d of docs) t.add(d);
    return t;
  }

  private add(doc: string): void {
    this.docs++;
    const seen = new Set<number>();
    for (const word of splitWords(doc)) {
      const w = processWord(word);
      if (w === null) continue;
      let id = this.ids.get(w);
      if (id === undefined) {
        id = this.df.length;
        this.ids.set(w, id);
        this.df.push(0);
        this.surface.push(word);
      }
      if (!seen.has(id)) {
        seen.add(id);
        this.df[id]!++;
      }
    }
  }

  get dim(): number {
    return this.df.length;
  }

  /** Inverse document frequency of term id `i` (smoothed, always > 0). */
  idf(i: number): number {
    return Math.log((1 + this.docs) / (1 + (this.df[i] ?? 0))) + 1;
  }

  /** TF-IDF vector of `text` (sublinear tf); terms unseen at fit time are ignored. */
  vector(text: string): SparseVec {
    const tf = new Map<number, number>();
    for (const w of terms(text)) {
      const id = this.ids.get(w);
      if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const idx = Int32Array.from([...tf.keys()].sort((a, b) => a - b));
    const val = new Float64Array(idx.length);
    let norm = 0;
    for (let i = 0; i < idx.length; i++) {
      const w = (1 + Math.log(tf.get(idx[i]!)!)) * this.idf(idx[i]!);
      val[i] = w;
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < val.length; i++) val[i]! /= norm;
    return { idx, val };
  }

  /** Term id → surface word. */
  word(i: number): string {
    return this.surface[i] ?? '';
  }
}

/** Cosine of two normalised sparse vectors. */
export function cosine(a: SparseVec, b: SparseVec): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.idx.length && j < b.idx.length) {
    const x = a.idx[i]!;
    const y = b.idx[j]!;
    if (x === y) s += a.val[i++]! * b.val[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}

/** Dot product of a sparse vector with a dense one. */
export function dotDense(a: SparseVec, d: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.idx.length; i++) s += a.val[i]! * d[a.idx[i]!]!;
  return s;
}

/** Inverted index over sparse vectors for exact top-k cosine search. */
export class VectorIndex {
  private readonly postings: Array<{ docs: number[]; w: number[] }> = [];

  constructor(readonly vecs: readonly SparseVec[]) {
    for (let d = 0; d < vecs.length; d++) {
      const v = vecs[d]!;
      for (let i = 0; i < v.idx.length; i++) {
        const t = v.idx[i]!;
        let p = this.postings[t];
        if (!p) this.postings[t] = p = { docs: [], w: [] };
        p.docs.push(d);
        p.w.push(v.val[i]!);
      }
    }
  }

  /** The `k` documents most similar to `q`, best first (ties by lower id); only scores > 0. */
  top(q: SparseVec, k: number): { ids: Int32Array; scores: Float64Array } {
    const acc = new Map<number, number>();
    for (let i = 0; i < q.idx.length; i++) {
      const p = this.postings[q.idx[i]!];
      if (!p) continue;
      const qw = q.val[i]!;
      for (let j = 0; j < p.docs.length; j++) acc.set(p.docs[j]!, (acc.get(p.docs[j]!) ?? 0) + qw * p.w[j]!);
    }
    const all = [...acc.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k);
    return { ids: Int32Array.from(all.map((e) => e[0])), scores: Float64Array.from(all.map((e) => e[1])) };
  }
}

/** Small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Spherical k-means over `members` (ids into `vecs`), k-means++ seeding, at most `iters` rounds.
 * Returns the non-empty clusters (member id lists) and their normalised centroids (sparse).
 */
export function kmeans(
  vecs: readonly SparseVec[],
  members: readonly number[],
  k: number,
  seed = 1,
  iters = 8,
): { clusters: number[][]; centroids: SparseVec[] } {
  const rand = rng(seed);
  const n = members.length;
  k = Math.max(1, Math.min(k, n));
  // Work in the sub-space of terms these members use, so a small cluster deep in the tree costs
  // O(its own terms), not O(vocabulary).
  const local = new Map<number, number>();
  const lv: SparseVec[] = members.map((m) => {
    const v = vecs[m]!;
    const idx = new Int32Array(v.idx.length);
    for (let i = 0; i < v.idx.length; i++) {
      let l = local.get(v.idx[i]!);
      if (l === undefined) local.set(v.idx[i]!, (l = local.size));
      idx[i] = l;
    }
    return { idx, val: v.val };
  });
  const dim = local.size;
  const toDense = (v: SparseVec): Float64Array => {
    const d = new Float64Array(dim);
    for (let i = 0; i < v.idx.length; i++) d[v.idx[i]!] = v.val[i]!;
    return d;
  };
  // k-means++ seeding on cosine distance.
  const centroids: Float64Array[] = [toDense(lv[Math.floor(rand() * n)]!)];
  const best = new Float64Array(n).fill(Infinity);
  while (centroids.length < k) {
    const c = centroids[centroids.length - 1]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const dist = 1 - dotDense(lv[i]!, c);
      if (dist < best[i]!) best[i] = dist;
      total += Math.max(0, best[i]!);
    }
    let r = rand() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= Math.max(0, best[i]!);
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centroids.push(toDense(lv[pick]!));
  }
  const assign = new Int32Array(n).fill(-1);
  for (let it = 0; it < iters; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = lv[i]!;
      let bc = 0;
      let bs = -Infinity;
      for (let c = 0; c < k; c++) {
        const s = dotDense(v, centroids[c]!);
        if (s > bs) {
          bs = s;
          bc = c;
        }
      }
      if (assign[i] !== bc) {
        assign[i] = bc;
        changed++;
      }
    }
    for (let c = 0; c < k; c++) centroids[c]!.fill(0);
    for (let i = 0; i < n; i++) {
      const v = lv[i]!;
      const d = centroids[assign[i]!]!;
      for (let j = 0; j < v.idx.length; j++) d[v.idx[j]!]! += v.val[j]!;
    }
    for (const d of centroids) {
      let s = 0;
      for (let j = 0; j < d.length; j++) s += d[j]! * d[j]!;
      s = Math.sqrt(s);
      if (s > 0) for (let j = 0; j < d.length; j++) d[j]! /= s;
    }
    if (changed === 0) break;
  }
  const global = new Int32Array(dim);
  for (const [g, l] of local) global[l] = g;
  const clusters: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) clusters[assign[i]!]!.push(members[i]!);
  const out: { clusters: number[][]; centroids: SparseVec[] } = { clusters: [], centroids: [] };
  for (let c = 0; c < k; c++) {
    if (clusters[c]!.length === 0) continue;
    const d = centroids[c]!;
    const pairs: Array<[number, number]> = [];
    for (let j = 0; j < dim; j++) if (d[j]! > 0) pairs.push([global[j]!, d[j]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    out.clusters.push(clusters[c]!);
    out.centroids.push({ idx: Int32Array.from(pairs.map((p) => p[0])), val: Float64Array.from(pairs.map((p) => p[1])) });
  }
  return out;
}
