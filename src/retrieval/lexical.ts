/**
 * The embedded L2 ranker: BM25 (MiniSearch's BM25+) over each tool's name (identifiers split at
 * camelCase / snake_case), description and tags, with stop words dropped and Porter stemming.
 */
import MiniSearch from 'minisearch';
import type { ToolRecord } from '../library/record.ts';
import { processWord, splitWords } from './text.ts';
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
