/**
 * Inverted-index BM25 over retrieval terms (./text.ts), single- or multi-field (BM25F), in flat
 * typed arrays indexed by corpus id, so a query touches only the postings of its own terms and a
 * caller looks scores up by tool id (no per-card string keys, no whole-index sort).
 *
 * Field-weighted ranking (the cascade's L2): each field of a tool (name, description, tags,
 * parameter names) counts a term at most once (`binary: true`); a term's evidence is
 * `x = Σ_f w_f · [t ∈ f] / (1 − b_f + b_f · len_f / avglen_f)`, saturated as
 * `x (k1 + 1) / (x + k1)` and weighted by the term's idf `ln(1 + (N − df + 0.5) / (df + 0.5))`.
 * So a word found in the name and in a tag is not counted twice at full weight, and one name word
 * cannot outweigh several description words. With one field and `binary: false` this is plain
 * Okapi BM25 (the `bm25` baseline).
 *
 * @example
 * ```ts
 * import { FieldIndex } from 'cocoda';
 * const ix = FieldIndex.build([['weather now', 'Current weather for a city.']], [{ name: 'name', weight: 2, b: 0.3 }, { name: 'description', weight: 1, b: 0.75 }]);
 * ix.search([{ term: 'weather', weight: 1 }]).scores[0] > 0; // true
 * ```
 */
import { argError } from '../errors.ts';
import { terms } from './text.ts';

/** One field of the documents: its weight `w_f` and length normalisation `b_f` ∈ [0, 1]. */
export interface FieldSpec {
  name: string;
  weight: number;
  b: number;
}

/** A query term (already processed: lower-case, stemmed) with its weight (1 for the intent's own words). */
export interface QueryTerm {
  term: string;
  weight: number;
  /**
   * Terms of one group (e.g. the expansions of one intent word) count once per document: only the
   * group's best-scoring term adds to a document's score.
   */
  group?: number;
  /**
   * Dropped when the term is in more than this fraction of the documents (too common to tell tools
   * apart); a term in at most {@link MIN_DF_CAP} documents is always kept.
   */
  maxDf?: number;
}

/** `QueryTerm.maxDf` never drops a term found in this many documents or fewer. */
export const MIN_DF_CAP = 5;

/** Sparse scores: the documents that matched at least one term, in no particular order. */
export interface SparseScores {
  ids: Int32Array;
  scores: Float64Array;
}

export interface FieldIndexOptions {
  /** Count a term once per field (default true). */
  binary?: boolean;
  /** BM25 saturation (default 1.2). */
  k1?: number;
}

/** Plain-data form of an index (for persisting it beside a library version). */
export interface FieldIndexData {
  fields: FieldSpec[];
  binary: boolean;
  k1: number;
  n: number;
  /** Terms joined by `\n`, in term-id order. */
  vocab: string;
  /** CSR postings: `postOffsets[t]..postOffsets[t+1]` index `postDocs` / `postTf`. */
  postOffsets: Int32Array;
  postDocs: Int32Array;
  /** Per posting and field, the term frequency (clamped to 255; 0/1 when binary): `postTf[p * F + f]`. */
  postTf: Uint8Array;
  /** `fieldLen[d * F + f]`: terms in field f of document d (binary: distinct terms). */
  fieldLen: Uint16Array;
}

export class FieldIndex {
  readonly fields: readonly FieldSpec[];
  readonly binary: boolean;
  readonly k1: number;
  /** Number of documents. */
  readonly n: number;
  /** Terms in id order, which is sorted order (ids are found by binary search: no Map to build on load). */
  private readonly words: string[];
  private readonly data: FieldIndexData;
  private readonly avgLen: Float64Array;
  private readonly idf: Float64Array;
  /** Scratch accumulator (one per index; queries are synchronous). */
  private acc: Float64Array;
  private readonly stamp: Int32Array;
  private epoch = 0;

  private constructor(data: FieldIndexData) {
    this.data = data;
    this.fields = data.fields;
    this.binary = data.binary;
    this.k1 = data.k1;
    this.n = data.n;
    const words = data.vocab === '' ? [] : data.vocab.split('\n');
    this.words = words;
    const F = data.fields.length;
    this.avgLen = new Float64Array(F);
    for (let d = 0; d < data.n; d++) for (let f = 0; f < F; f++) this.avgLen[f]! += data.fieldLen[d * F + f]!;
    for (let f = 0; f < F; f++) this.avgLen[f] = data.n > 0 ? Math.max(1e-9, this.avgLen[f]! / data.n) : 1;
    this.idf = new Float64Array(words.length);
    for (let t = 0; t < words.length; t++) {
      const df = data.postOffsets[t + 1]! - data.postOffsets[t]!;
      this.idf[t] = Math.log(1 + (data.n - df + 0.5) / (df + 0.5));
    }
    this.acc = new Float64Array(data.n);
    this.stamp = new Int32Array(data.n);
  }

  /**
   * Builds an index over `docs[d][f]` (raw text of field f of document d; `undefined` = empty).
   * @throws TypeError / RangeError for bad fields or documents of the wrong width.
   */
  static build(docs: ReadonlyArray<ReadonlyArray<string | readonly string[] | undefined>>, fields: readonly FieldSpec[], opts: FieldIndexOptions = {}): FieldIndex {
    if (!Array.isArray(fields) || fields.length === 0) throw argError('type', 'fields', 'a non-empty array of field specs', fields);
    fields.forEach((f, i) => {
      if (!(f.weight >= 0) || !Number.isFinite(f.weight)) throw argError('range', `fields[${i}].weight`, 'a finite number ≥ 0', f.weight);
      if (!(f.b >= 0 && f.b <= 1)) throw argError('range', `fields[${i}].b`, 'a number in [0, 1]', f.b);
    });
    const binary = opts.binary ?? true;
    const k1 = opts.k1 ?? 1.2;
    if (!(k1 > 0) || !Number.isFinite(k1)) throw argError('range', 'k1', 'a positive finite number', k1);
    const F = fields.length;
    const n = docs.length;
    const ids = new Map<string, number>();
    const vocab: string[] = [];
    // Per document: (term, field, tf) triples, gathered then laid out as CSR by term.
    const fieldLen = new Uint16Array(n * F);
    const tripleDoc: number[] = [];
    const tripleTerm: number[] = [];
    const tripleField: number[] = [];
    const tripleTf: number[] = [];
    for (let d = 0; d < n; d++) {
      const row = docs[d]!;
      if (!Array.isArray(row) || row.length !== F) throw argError('type', `docs[${d}]`, `an array of ${F} field texts`, row);
      for (let f = 0; f < F; f++) {
        const cell = row[f];
        const ts = cell === undefined ? [] : Array.isArray(cell) ? (cell as string[]) : terms(cell as string);
        const counts = new Map<number, number>();
        for (const w of ts) {
          let id = ids.get(w);
          if (id === undefined) {
            id = vocab.length;
            ids.set(w, id);
            vocab.push(w);
          }
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        fieldLen[d * F + f] = Math.min(65535, binary ? counts.size : ts.length);
        for (const [t, c] of counts) {
          tripleDoc.push(d);
          tripleTerm.push(t);
          tripleField.push(f);
          tripleTf.push(binary ? 1 : Math.min(255, c));
        }
      }
    }
    // Term ids in sorted order (lookups are binary searches).
    const T = vocab.length;
    const sorted = Array.from(vocab.keys()).sort((a, b) => (vocab[a]! < vocab[b]! ? -1 : vocab[a]! > vocab[b]! ? 1 : 0));
    const rank = new Int32Array(T);
    sorted.forEach((old, i) => (rank[old] = i));
    for (let i = 0; i < tripleTerm.length; i++) tripleTerm[i] = rank[tripleTerm[i]!]!;
    const sortedVocab = sorted.map((old) => vocab[old]!);
    // Postings: one per (term, doc); fields folded into postTf rows.
    const lastDoc = new Int32Array(T).fill(-1);
    const count = new Int32Array(T + 1);
    for (let i = 0; i < tripleDoc.length; i++) {
      const t = tripleTerm[i]!;
      if (lastDoc[t] !== tripleDoc[i]) {
        lastDoc[t] = tripleDoc[i]!;
        count[t + 1]!++;
      }
    }
    for (let t = 0; t < T; t++) count[t + 1]! += count[t]!;
    const postOffsets = Int32Array.from(count);
    const P = postOffsets[T]!;
    const postDocs = new Int32Array(P);
    const postTf = new Uint8Array(P * F);
    const fill = postOffsets.slice(0, T);
    lastDoc.fill(-1);
    const lastSlot = new Int32Array(T);
    for (let i = 0; i < tripleDoc.length; i++) {
      const t = tripleTerm[i]!;
      const d = tripleDoc[i]!;
      let p: number;
      if (lastDoc[t] === d) p = lastSlot[t]!;
      else {
        p = fill[t]!++;
        lastDoc[t] = d;
        lastSlot[t] = p;
        postDocs[p] = d;
      }
      postTf[p * F + tripleField[i]!] = tripleTf[i]!;
    }
    return new FieldIndex({ fields: fields.map((f) => ({ ...f })), binary, k1, n, vocab: sortedVocab.join('\n'), postOffsets, postDocs, postTf, fieldLen });
  }

  /** Restores an index from {@link FieldIndex.toData} (e.g. a persisted per-version cache). */
  static fromData(data: FieldIndexData): FieldIndex {
    const F = data.fields.length;
    const T = data.vocab === '' ? 0 : data.vocab.split('\n').length;
    if (data.postOffsets.length !== T + 1 || data.postTf.length !== data.postDocs.length * F || data.fieldLen.length !== data.n * F) {
      throw argError('type', 'data', 'a consistent FieldIndex (array lengths disagree)');
    }
    return new FieldIndex(data);
  }

  /** The plain-data form (shares the arrays). */
  toData(): FieldIndexData {
    return this.data;
  }

  /** Number of distinct terms. */
  get vocabularySize(): number {
    return this.words.length;
  }

  /** Term id of a processed term, or -1. */
  termId(term: string): number {
    let lo = 0;
    let hi = this.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const w = this.words[mid]!;
      if (w < term) lo = mid + 1;
      else if (w > term) hi = mid;
      else return mid;
    }
    return -1;
  }

  /** Document frequency of a processed term (0 when unknown). */
  df(term: string): number {
    const t = this.termId(term);
    return t < 0 ? 0 : this.data.postOffsets[t + 1]! - this.data.postOffsets[t]!;
  }

  /** idf of a processed term (0 when unknown). */
  idfOf(term: string): number {
    const t = this.termId(term);
    return t < 0 ? 0 : this.idf[t]!;
  }

  /**
   * Scores every document that holds at least one query term. Duplicate query terms count once
   * (at their largest weight).
   */
  search(query: readonly QueryTerm[]): SparseScores {
    const F = this.fields.length;
    const { postOffsets, postDocs, postTf, fieldLen } = this.data;
    const k1 = this.k1;
    const want = new Map<number, number>();
    const groupOf = new Map<number, number>();
    for (const q of query) {
      const t = this.termId(q.term);
      if (t < 0 || !(q.weight > 0)) continue;
      if (q.maxDf !== undefined && postOffsets[t + 1]! - postOffsets[t]! > Math.max(q.maxDf * this.n, MIN_DF_CAP)) continue;
      if ((want.get(t) ?? 0) >= q.weight) continue;
      want.set(t, q.weight);
      if (q.group !== undefined) groupOf.set(t, q.group);
      else groupOf.delete(t);
    }
    this.epoch++;
    if (this.epoch === 0x7fffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
    const ep = this.epoch;
    const acc = this.acc;
    const stamp = this.stamp;
    const touched: number[] = [];
    const w = new Float64Array(F);
    const b = new Float64Array(F);
    for (let f = 0; f < F; f++) {
      w[f] = this.fields[f]!.weight;
      b[f] = this.fields[f]!.b;
    }
    // Grouped terms: the best term of a group per document (kept in `gbest`, stamped per group).
    const groups = new Map<number, number[]>();
    const plain: number[] = [];
    for (const t of want.keys()) {
      const g = groupOf.get(t);
      if (g === undefined) plain.push(t);
      else {
        let l = groups.get(g);
        if (!l) groups.set(g, (l = []));
        l.push(t);
      }
    }
    const addDoc = (d: number, sc: number): void => {
      if (stamp[d] !== ep) {
        stamp[d] = ep;
        acc[d] = sc;
        touched.push(d);
      } else acc[d]! += sc;
    };
    const termScore = (t: number, p: number, d: number, idf: number): number => {
      let x = 0;
      for (let f = 0; f < F; f++) {
        const tf = postTf[p * F + f]!;
        if (tf === 0) continue;
        x += (w[f]! * tf) / (1 - b[f]! + (b[f]! * fieldLen[d * F + f]!) / this.avgLen[f]!);
      }
      return x <= 0 ? 0 : (idf * x * (k1 + 1)) / (x + k1);
    };
    for (const ts of groups.values()) {
      const best = new Map<number, number>();
      for (const t of ts) {
        const idf = this.idf[t]! * want.get(t)!;
        for (let p = postOffsets[t]!; p < postOffsets[t + 1]!; p++) {
          const d = postDocs[p]!;
          const sc = termScore(t, p, d, idf);
          if (sc > (best.get(d) ?? 0)) best.set(d, sc);
        }
      }
      for (const [d, sc] of best) addDoc(d, sc);
    }
    for (const t of plain) {
      const qw = want.get(t)!;
      const idf = this.idf[t]! * qw;
      for (let p = postOffsets[t]!; p < postOffsets[t + 1]!; p++) {
        const d = postDocs[p]!;
        let x = 0;
        for (let f = 0; f < F; f++) {
          const tf = postTf[p * F + f]!;
          if (tf === 0) continue;
          x += (w[f]! * tf) / (1 - b[f]! + (b[f]! * fieldLen[d * F + f]!) / this.avgLen[f]!);
        }
        if (x <= 0) continue;
        const s = (idf * x * (k1 + 1)) / (x + k1);
        if (stamp[d] !== ep) {
          stamp[d] = ep;
          acc[d] = s;
          touched.push(d);
        } else acc[d]! += s;
      }
    }
    const ids = Int32Array.from(touched);
    const scores = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) scores[i] = acc[ids[i]!]!;
    return { ids, scores };
  }
}

/** The `k` best of a sparse score set (ties by lower id), best first. */
export function topSparse(s: SparseScores, k: number): SparseScores {
  const order = Array.from(s.ids.keys());
  order.sort((a, b) => s.scores[b]! - s.scores[a]! || s.ids[a]! - s.ids[b]!);
  const m = Math.min(k, order.length);
  const ids = new Int32Array(m);
  const scores = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    ids[i] = s.ids[order[i]!]!;
    scores[i] = s.scores[order[i]!]!;
  }
  return { ids, scores };
}
