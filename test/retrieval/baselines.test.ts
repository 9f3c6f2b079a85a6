import { describe, expect, it } from 'vitest';
import { chars, topicRecords } from './fixture.ts';
import type { ToolRecord } from '../../src/library/record.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { FlatBaseline, FlatDenseBaseline, TextTree } from '../../src/retrieval/baselines.ts';
import { LexicalRanker } from '../../src/retrieval/lexical.ts';
import { splitWords, terms } from '../../src/retrieval/text.ts';
import { CardTokens } from '../../src/retrieval/tokens.ts';
import { kmeans, TfIdf } from '../../src/retrieval/vectors.ts';

const records = (n: number): ToolRecord[] => topicRecords(n, (i) => `(variant ${i})`);

describe('text normalisation', () => {
  it('splits camelCase, snake_case and digits, drops stop words, stems', () => {
    expect(splitWords('GetCarListingByDealerships')).toEqual(['get', 'car', 'listing', 'by', 'dealerships']);
    expect(splitWords('book_search_API2')).toEqual(['book', 'search', 'api', '2']);
    expect(terms('Listing the dealerships')).toEqual(['list', 'dealership']);
  });
});

describe('lexical L2 ranker (BM25)', () => {
  const recs = records(10);
  const ranker = new LexicalRanker(recs);
  const all = Int32Array.from(recs.keys());
  it('ranks by intent, restricted to the candidates', () => {
    expect(recs[ranker.rank('price of bitcoin cryptocurrency', all, 3).ids[0]!]!.name).toBe('CryptoPrice0');
    // candidates exclude the best match: the next best comes from the candidates only
    const r = ranker.rank('search books by author', Int32Array.from([0, 1, 6]), 2);
    expect(recs[r.ids[0]!]!.name).toBe('AuthorBio6');
    expect(r.ids.length).toBe(2);
    // names are split: "car dealerships" matches CarDealerships9 by name
    expect(recs[ranker.rank('car dealerships', all, 1).ids[0]!]!.name).toBe('CarDealerships9');
  });
  it('orders zero-score candidates after scored ones, by id', () => {
    const r = ranker.rank('rainfall', Int32Array.from([8, 2, 4]), 3);
    expect(Array.from(r.ids)).toEqual([4, 2, 8]);
    expect(r.scores[1]).toBe(0);
  });
});

describe('baselines', () => {
  const recs = records(200);
  const corpus = new Corpus({ records: recs, version: 't' }, new CardTokens(chars));

  it('flat pays every card of every tool', () => {
    const flat = new FlatBaseline(corpus);
    const r = flat.retrieve('weather forecast for Paris');
    let total = 0;
    for (let v = 0; v < corpus.n; v++) total += corpus.flatTokens(v);
    expect(r.tokens).toBe(total);
    expect(recs[r.ranked[0]!]!.name.startsWith('WeatherForecast')).toBe(true);
    expect(() => flat.retrieve('  ')).toThrow(RangeError);
  });

  it('flat dense pays the full records of its top 8 only', () => {
    const dense = new FlatDenseBaseline(corpus);
    const r = dense.retrieve('convert currency exchange money');
    expect(r.ranked.length).toBe(8);
    expect(recs[r.ranked[0]!]!.name.startsWith('CurrencyExchange')).toBe(true);
    expect(r.tokens).toBe(Array.from(r.ranked).reduce((s, v) => s + corpus.flatTokens(v), 0));
  });

  it('text tree: clusters by topic, walks down paying summaries and leaf records', () => {
    const tree = new TextTree(corpus, { branching: 4, leafSize: 8, beam: 1 });
    expect(tree.height()).toBeGreaterThanOrEqual(2);
    // every tool sits in exactly one leaf
    const seen = new Set<number>();
    for (const n of tree.nodes) for (const t of n.tools) {
      expect(seen.has(t)).toBe(false);
      seen.add(t);
    }
    expect(seen.size).toBe(200);
    const r = tree.retrieve('historical rainfall precipitation');
    expect(recs[r.ranked[0]!]!.name.startsWith('RainfallHistory')).toBe(true);
    const leafCost = Array.from(r.ranked).reduce((s, v) => s + corpus.flatTokens(v), 0);
    expect(r.tokens).toBeGreaterThan(leafCost); // plus summaries
    expect(r.summariesShown).toBeGreaterThan(0);
    expect(r.tokens).toBeLessThan(corpus.flatTotal() / 4);
    // a wider beam shows more and costs more
    const wide = new TextTree(corpus, { branching: 4, leafSize: 8, beam: 3 }).retrieve('historical rainfall precipitation');
    expect(wide.tokens).toBeGreaterThan(r.tokens);
  });

  it('k-means separates disjoint topics', () => {
    const texts = ['apple banana fruit', 'banana fruit smoothie', 'car engine wheel', 'engine wheel tyre'];
    const tf = TfIdf.fit(texts);
    const vecs = texts.map((t) => tf.vector(t));
    const { clusters } = kmeans(vecs, [0, 1, 2, 3], 2, 3);
    const sorted = clusters.map((c) => [...c].sort()).sort((a, b) => a[0]! - b[0]!);
    expect(sorted).toEqual([[0, 1], [2, 3]]);
  });
});
