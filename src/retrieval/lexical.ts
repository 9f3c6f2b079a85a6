/**
 * The embedded L2 ranker: BM25 (MiniSearch's BM25+) over each tool's name (identifiers split at
 * camelCase / snake_case), description and tags, with stop words dropped and Porter stemming.
 */
import MiniSearch from 'minisearch';
import type { ToolRecord } from '../library/record.ts';
import { processWord, splitWords, terms } from './text.ts';
import { FieldIndex, type FieldSpec, type QueryTerm } from './bm25.ts';
import type { L2Ranker, Ranked } from './rankers.ts';

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
 * count the name twice) and the parameter / record-field names of its signature.
 */
export const L2_FIELDS: readonly FieldSpec[] = [
  { name: 'name', weight: 2, b: 0.3 },
  { name: 'description', weight: 1, b: 0.75 },
  { name: 'tags', weight: 1, b: 0.3 },
  { name: 'params', weight: 0.5, b: 0.3 },
];

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
  return [name, terms(r.description), tags, terms(signatureNames(r.signature).join(' '))];
}

/** The intent's query: its distinct terms, weight 1 each. */
export function intentQuery(intent: string): QueryTerm[] {
  return [...new Set(terms(intent))].map((term) => ({ term, weight: 1 }));
}

/**
 * The embedded L2 ranker: field-weighted BM25 ({@link FieldIndex}, each word counted once per
 * field) over {@link L2_FIELDS}, built once per library version. An optional `expand` hook adds
 * weighted terms to the intent's own (the semantic signal, e.g. WordNet synonyms).
 *
 * @example
 * ```ts
 * import { FieldRanker } from 'cocoda';
 * const ranker = FieldRanker.forCorpus(corpus);
 * ranker.rank('price of a cryptocurrency', Int32Array.from([0, 1, 2]), 2).ids; // best two, best first
 * ```
 */
export class FieldRanker implements L2Ranker {
  readonly name = 'lexical';
  private last: { intent: string; scores: Map<number, number> } | null = null;

  constructor(
    readonly index: FieldIndex,
    private readonly expand?: (intent: string, query: QueryTerm[]) => QueryTerm[],
  ) {}

  /** Builds the index over `records` ({@link recordFields}). */
  static build(records: readonly ToolRecord[], expand?: (intent: string, query: QueryTerm[]) => QueryTerm[]): FieldRanker {
    return new FieldRanker(FieldIndex.build(records.map(recordFields), L2_FIELDS), expand);
  }

  /** The query the ranker scores for `intent` (own terms, then expansions). */
  query(intent: string): QueryTerm[] {
    const q = intentQuery(intent);
    return this.expand ? this.expand(intent, q) : q;
  }

  /** Scores of every tool matching the intent (id → score); the last intent's scores are reused. */
  scoreAll(intent: string): Map<number, number> {
    if (this.last?.intent === intent) return this.last.scores;
    const s = this.index.search(this.query(intent));
    const m = new Map<number, number>();
    for (let i = 0; i < s.ids.length; i++) m.set(s.ids[i]!, s.scores[i]!);
    this.last = { intent, scores: m };
    return m;
  }

  rank(intent: string, candidates: Int32Array, k: number): Ranked {
    return topK(this.scoreAll(intent), candidates, k);
  }
}
