/**
 * The embedded L2 ranker: BM25 (MiniSearch's BM25+) over each tool's name (identifiers split at
 * camelCase / snake_case), description and tags, with stop words dropped and Porter stemming.
 */
import MiniSearch from 'minisearch';
import type { ToolRecord } from '../library/record.ts';
import { processWord, splitWords, terms } from './text.ts';
import { FieldIndex, type FieldSpec, type QueryTerm } from './bm25.ts';
import type { L2Ranker, RankContext, Ranked } from './rankers.ts';

export type { L2Ranker, Ranked } from './rankers.ts';

interface Doc {
  id: number;
  name: string;
  description: string;
  tags: string;
}

/**
 * BM25 ranker over records (built once per library version).
 *
 * @example
 * ```ts
 * import { LexicalRanker } from 'cocoda';
 * const ranker = new LexicalRanker(records);
 * const top = ranker.rank('price of a cryptocurrency', Int32Array.from([0, 1, 2]), 2);
 * top.ids; // best two ids, best first
 * ```
 */
export class LexicalRanker implements L2Ranker {
  private readonly ms: MiniSearch<Doc>;
  readonly size: number;

  constructor(records: readonly ToolRecord[], texts?: (r: ToolRecord) => { name: string; description: string; tags: string }) {
    this.size = records.length;
    this.ms = new MiniSearch<Doc>({
      fields: ['name', 'description', 'tags'],
      idField: 'id',
      tokenize: (text) => splitWords(text),
      processTerm: (w) => processWord(w),
      searchOptions: { boost: { name: 2, tags: 1.5 }, combineWith: 'OR' },
    });
    const docs: Doc[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const t = texts ? texts(r) : { name: r.name, description: r.description, tags: r.tags.join(' ') };
      docs[i] = { id: i, ...t };
    }
    this.ms.addAll(docs);
  }

  /** Raw BM25 scores of every matching document for `text` (id → score). */
  scoreAll(text: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const hit of this.ms.search(text)) out.set(hit.id as number, hit.score);
    return out;
  }

  rank(intent: string, candidates: Int32Array, k: number): Ranked {
    return topK(this.scoreAll(intent), candidates, k);
  }
}

/** Picks the best `k` of `candidates` by `scores` (missing = 0), ties by lower id. */
export function topK(scores: Map<number, number>, candidates: Int32Array, k: number): Ranked {
  const m = Math.min(k, candidates.length);
  const order = Array.from(candidates);
  order.sort((a, b) => (scores.get(b) ?? 0) - (scores.get(a) ?? 0) || a - b);
  const ids = Int32Array.from(order.slice(0, m));
  const sc = new Float64Array(m);
  for (let i = 0; i < m; i++) sc[i] = scores.get(ids[i]!) ?? 0;
  return { ids, scores: sc };
}

/**
 * The fields of the embedded L2 ranker and their weights: the tool's name (identifier split),
 * description, tags (words already in the name dropped, so an auto-added namespace tag does not
 * count the name twice), the parameter / record-field names of its signature, and the adjacent word
 * pairs of its name and description (a phrase of the intent found in order counts again, as in a
 * sequential-dependence model: `air quality` in both beats `air` and `quality` far apart).
 */
export const L2_FIELDS: readonly FieldSpec[] = [
  { name: 'name', weight: 2, b: 0.3 },
  { name: 'description', weight: 1, b: 0.75 },
  { name: 'tags', weight: 1, b: 0.3 },
  { name: 'params', weight: 0.5, b: 0.3 },
  { name: 'pairs', weight: 1, b: 0.5 },
];

/** Marks a word pair term (two adjacent retrieval terms) so it cannot collide with a word. */
const PAIR = '\u0001';

/** Adjacent term pairs of a term sequence (`[a, b, c]` → `a␁b`, `b␁c`). */
export function termPairs(ts: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < ts.length; i++) if (ts[i - 1] !== ts[i]) out.push(ts[i - 1]! + PAIR + ts[i]!);
  return out;
}

/** Names in a signature text: parameter names and record field names (`(word: str, "max-len"?: int) -> {a: int}` → word, max-len, a). */
export function signatureNames(signature: string): string[] {
  const out: string[] = [];
  const re = /[({,]\s*(?:"((?:[^"\\]|\\.)*)"|([\p{ID_Start}_][\p{ID_Continue}]*))\s*\??\s*:/gu;
  for (const m of signature.matchAll(re)) {
    if (m[1] !== undefined) {
      try {
        out.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        out.push(m[1]);
      }
    } else out.push(m[2]!);
  }
  return out;
}

/** Processed terms of each {@link L2_FIELDS} field of a record. */
export function recordFields(r: ToolRecord): string[][] {
  const name = terms(r.name);
  const inName = new Set(name);
  const tags = terms(r.tags.join(' ')).filter((t) => !inName.has(t));
  const desc = terms(r.description);
  return [name, desc, tags, terms(signatureNames(r.signature).join(' ')), [...termPairs(name), ...termPairs(desc)]];
}

/** The intent's query: its distinct terms and adjacent term pairs, weight 1 each. */
export function intentQuery(intent: string): QueryTerm[] {
  const ts = terms(intent);
  return [...new Set([...ts, ...termPairs(ts)])].map((term) => ({ term, weight: 1 }));
}

/** Lexical scores of one intent over a whole version: dense by id (0 where no term matched). */
export interface LexicalScores {
  intent: string;
  /** Ids with a score > 0. */
  touched: Int32Array;
  /** `dense[v]`: score of tool v (valid until the ranker scores another intent). */
  dense: Float64Array;
  /** Largest score (0 when nothing matched). */
  max: number;
}

/**
 * The embedded L2 ranker: field-weighted BM25 ({@link FieldIndex}, each word counted once per
 * field) over {@link L2_FIELDS}, built once per library version. An optional `expand` hook adds
 * weighted terms to the intent's own (the semantic signal, e.g. WordNet synonyms). Given the
 * cascade's pre-ranker scores (`ctx.prior`, which already hold this lexical evidence plus the type
 * class), it ranks by them (`foldsPrior`).
 *
 * @example
 * ```ts
 * import { FieldRanker } from 'cocoda';
 * const ranker = FieldRanker.build(records);
 * ranker.rank('price of a cryptocurrency', Int32Array.from([0, 1, 2]), 2).ids; // best two, best first
 * ```
 */
export class FieldRanker implements L2Ranker {
  readonly name: string;
  /** Ranks by `ctx.prior` when the cascade passes it: the cascade does not add the type prior again. */
  readonly foldsPrior = true;
  private readonly dense: Float64Array;
  private last: LexicalScores | null = null;

  constructor(
    readonly index: FieldIndex,
    private readonly expand?: (intent: string, query: QueryTerm[]) => QueryTerm[],
    name?: string,
  ) {
    this.dense = new Float64Array(index.n);
    this.name = name ?? (expand ? 'lexical+semantic' : 'lexical');
  }

  /** Builds the index over `records` ({@link recordFields}). */
  static build(records: readonly ToolRecord[], expand?: (intent: string, query: QueryTerm[]) => QueryTerm[], fields: readonly FieldSpec[] = L2_FIELDS): FieldRanker {
    return new FieldRanker(FieldIndex.build(records.map(recordFields), fields), expand);
  }

  /** The query the ranker scores for `intent` (own terms, then expansions). */
  query(intent: string): QueryTerm[] {
    const q = intentQuery(intent);
    return this.expand ? this.expand(intent, q) : q;
  }

  /** Scores of every tool for `intent` (the last intent's are reused). */
  scores(intent: string): LexicalScores {
    if (this.last?.intent === intent) return this.last;
    if (this.last) for (const v of this.last.touched) this.dense[v] = 0;
    const s = this.index.search(this.query(intent));
    let max = 0;
    for (let i = 0; i < s.ids.length; i++) {
      this.dense[s.ids[i]!] = s.scores[i]!;
      if (s.scores[i]! > max) max = s.scores[i]!;
    }
    this.last = { intent, touched: s.ids, dense: this.dense, max };
    return this.last;
  }

  /** Scores of every matching tool as a map (id → score). */
  scoreAll(intent: string): Map<number, number> {
    const s = this.scores(intent);
    return new Map(Array.from(s.touched, (v) => [v, s.dense[v]!]));
  }

  rank(intent: string, candidates: Int32Array, k: number, ctx?: RankContext): Ranked {
    const m = Math.min(k, candidates.length);
    const prior = ctx?.prior;
    let key: (i: number) => number;
    if (prior && prior.length === candidates.length) key = (i) => prior[i]!;
    else {
      const s = this.scores(intent);
      key = (i) => s.dense[candidates[i]!]!;
    }
    const order = Array.from(candidates.keys());
    order.sort((a, b) => key(b) - key(a) || candidates[a]! - candidates[b]!);
    const ids = new Int32Array(m);
    const scores = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      ids[i] = candidates[order[i]!]!;
      scores[i] = key(order[i]!);
    }
    return { ids, scores };
  }
}

/**
 * Indices of the `k` largest `scores` (ties by lower index), best first; O(n + k log k) by
 * quickselect on a copy.
 */
export function topIndices(scores: ArrayLike<number>, k: number, ids?: ArrayLike<number>): Int32Array {
  const n = scores.length;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const id = (i: number) => (ids ? ids[i]! : i);
  const worse = (a: number, b: number) => scores[a]! < scores[b]! || (scores[a] === scores[b] && id(a) > id(b));
  if (k < n) {
    let lo = 0;
    let hi = n - 1;
    const kth = k - 1;
    while (lo < hi) {
      const pivot = idx[(lo + hi) >>> 1]!;
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (worse(pivot, idx[i]!)) i++;
        while (worse(idx[j]!, pivot)) j--;
        if (i <= j) {
          const t = idx[i]!;
          idx[i] = idx[j]!;
          idx[j] = t;
          i++;
          j--;
        }
      }
      if (kth <= j) hi = j;
      else if (kth >= i) lo = i;
      else break;
    }
  }
  const top = Array.from(idx.subarray(0, Math.min(k, n)));
  top.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return Int32Array.from(top);
}
