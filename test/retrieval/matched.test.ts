import { describe, expect, it } from 'vitest';
import { chars, topicRecords } from './fixture.ts';
import type { ToolRecord } from '../../src/library/record.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { FlatDenseBaseline, TextTree } from '../../src/retrieval/baselines.ts';
import { geometricGrid, pickMatched } from '../../src/retrieval/matched.ts';
import { CardTokens } from '../../src/retrieval/tokens.ts';
import { sweepBaselines } from '../../bench/retrieval.ts';

const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
// a per-tool word pair makes tools within a topic distinguishable (and the tree deeper)
const records = (n: number): ToolRecord[] =>
  topicRecords(n, (i) => `${words[i % words.length]} ${words[(i * 7 + 3) % words.length]}`);

const intents = ['historical rainfall precipitation', 'price of bitcoin cryptocurrency', 'hotel room booking city', 'car dealership nearby', 'book author biography golf'];

describe('matched selection (pickMatched)', () => {
  const pts = [
    { value: 1, tokens: 10, score: 0.2 },
    { value: 2, tokens: 20, score: 0.6 },
    { value: 4, tokens: 40, score: 0.9 },
    { value: 8, tokens: 80, score: 0.7 }, // accuracy is not monotone in cost
    { value: 16, tokens: 35, score: 0.8 }, // cheaper than value 4 and meets 0.75
  ];
  it('picks the cheapest setting whose score reaches the target, whatever the order', () => {
    expect(pickMatched(pts, 0.75)).toEqual({ point: pts[4], matched: true });
    expect(pickMatched([...pts].reverse(), 0.75)).toEqual({ point: pts[4], matched: true });
    expect(pickMatched(pts, 0.85)).toEqual({ point: pts[2], matched: true });
    expect(pickMatched(pts, 0.6)).toEqual({ point: pts[1], matched: true }); // reaching = equal counts
    expect(pickMatched(pts, 0)).toEqual({ point: pts[0], matched: true });
  });
  it('without a setting reaching the target: the most accurate, cheapest among equals, unmatched', () => {
    expect(pickMatched(pts, 0.95)).toEqual({ point: pts[2], matched: false });
    const tie = [{ value: 64, tokens: 900, score: 0.5 }, { value: 16, tokens: 300, score: 0.5 }, { value: 8, tokens: 100, score: 0.49 }];
    expect(pickMatched(tie, 0.9)).toEqual({ point: tie[1], matched: false });
    // equal tokens: the smaller knob wins
    const same = [{ value: 4, tokens: 50, score: 1 }, { value: 2, tokens: 50, score: 1 }];
    expect(pickMatched(same, 1).point.value).toBe(2);
  });
  it('rejects an empty sweep and a non-finite target', () => {
    expect(() => pickMatched([], 0.5)).toThrow(/Expected "points" to be a non-empty sweep/);
    expect(() => pickMatched(pts, Number.NaN)).toThrow(/Expected "target" to be a finite number/);
  });
  it('geometric grid reaches the setting that shows everything', () => {
    expect(geometricGrid(20)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(geometricGrid(20, true)).toEqual([1, 2, 4, 8, 16, 20]);
    expect(geometricGrid(16)).toEqual([1, 2, 4, 8, 16]);
    expect(geometricGrid(1)).toEqual([1]);
    expect(() => geometricGrid(0)).toThrow(RangeError);
  });
});

describe('baseline cost knobs', () => {
  const recs = records(240);
  const corpus = new Corpus({ records: recs, version: 'm' }, new CardTokens(chars));
  const tree = new TextTree(corpus, { branching: 4, leafSize: 6, beam: 2 });
  const dense = new FlatDenseBaseline(corpus);

  it('text tree: a per-walk beam equals a tree built with that beam', () => {
    const wide = new TextTree(corpus, { branching: 4, leafSize: 6, beam: 5 });
    for (const q of intents) {
      const a = tree.retrieve(q, { beam: 5 });
      const b = wide.retrieve(q);
      expect(Array.from(a.ranked)).toEqual(Array.from(b.ranked));
      expect(a.tokens).toBe(b.tokens);
    }
    expect(() => tree.retrieve('x', { beam: 0 })).toThrow(/Expected "beam" to be a positive integer/);
  });

  it('text tree: on this fixture a wider beam never costs fewer tokens nor shows fewer tools, and the widest shows all', () => {
    const beams = geometricGrid(tree.leafCount());
    expect(tree.height()).toBeGreaterThanOrEqual(2);
    for (const q of intents) {
      let prev = { tokens: 0, shown: new Set<number>() };
      for (const beam of beams) {
        const r = tree.retrieve(q, { beam });
        const shown = new Set(r.ranked);
        expect(r.tokens).toBeGreaterThanOrEqual(prev.tokens);
        for (const v of prev.shown) expect(shown.has(v)).toBe(true);
        prev = { tokens: r.tokens, shown };
      }
      // beam ≥ number of leaves: every tool materialised, plus every summary below the root
      const all = tree.retrieve(q, { beam: beams.at(-1)! });
      expect(all.ranked.length).toBe(corpus.n);
      expect(all.leaves).toBe(tree.leafCount());
      const summaries = tree.nodes.reduce((s, n, i) => s + (i === tree.root ? 0 : n.summaryTokens), 0);
      expect(all.tokens).toBe(corpus.flatTotal() + summaries);
    }
  });

  it('flat dense: top-k is a prefix of top-2k and costs the full records it shows', () => {
    for (const q of intents) {
      const a = dense.retrieve(q, 4);
      const b = dense.retrieve(q, 8);
      expect(Array.from(b.ranked.subarray(0, 4))).toEqual(Array.from(a.ranked));
      expect(b.tokens).toBe(Array.from(b.ranked).reduce((s, v) => s + corpus.flatTokens(v), 0));
      expect(b.tokens).toBeGreaterThanOrEqual(a.tokens);
    }
    expect(dense.retrieve(intents[0]!).ranked.length).toBe(8); // default k unchanged
    expect(() => dense.retrieve('x', 0)).toThrow(/Expected "k" to be a positive integer/);
  });

  it('sweep: one row per setting, matching direct retrievals', () => {
    const gold = intents.map((q) => tree.retrieve(q, { beam: 1 }).ranked[0]!);
    const sample = intents.map((intent) => ({ intent }));
    const sw = sweepBaselines(corpus.n, sample, gold, tree, dense, corpus);
    const tt = sw.filter((r) => r.method === 'text-tree');
    const fd = sw.filter((r) => r.method === 'flat-dense');
    expect(tt.map((r) => r.value)).toEqual(geometricGrid(tree.leafCount()));
    expect(fd.map((r) => r.value)).toEqual(geometricGrid(corpus.n, true));
    // the gold is beam 1's top tool: hit@1 = shown = 1 at beam 1
    expect(tt[0]!.hit1).toBe(1);
    expect(tt[0]!.shown).toBe(1);
    for (const r of tt) {
      const mean = intents.reduce((s, q) => s + tree.retrieve(q, { beam: r.value }).tokens, 0) / intents.length;
      expect(r.tokens).toBeCloseTo(mean, 9);
      expect(r.hit5).toBeGreaterThanOrEqual(r.hit1);
      expect(r.shown).toBeGreaterThanOrEqual(r.hit5);
    }
    for (const r of fd) {
      const mean = intents.reduce((s, q) => s + dense.retrieve(q, r.value).tokens, 0) / intents.length;
      expect(r.tokens).toBeCloseTo(mean, 9);
    }
  });
});
