import { describe, expect, it } from 'vitest';
import { normalizeRecord, type ToolRecord } from '../../src/library/record.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever } from '../../src/retrieval/cascade.ts';
import { CardTokens, type TokenCounter } from '../../src/retrieval/tokens.ts';
import { FieldIndex } from '../../src/retrieval/bm25.ts';
import { FieldRanker, intentQuery, recordFields, signatureNames, topIndices } from '../../src/retrieval/lexical.ts';
import { rng } from '../../src/retrieval/vectors.ts';
import type { Type } from '../../src/types/ast.ts';

const chars: TokenCounter = { name: 'chars', count: (t) => Math.ceil(t.length / 4) };
const R = (r: Partial<ToolRecord> & Pick<ToolRecord, 'name' | 'signature'>) => normalizeRecord({ origin: 'imported', ...r });

function lib(): ToolRecord[] {
  return [
    R({ name: 'GetWeather', signature: '(city: str, unit?: enum["celsius", "fahrenheit"]) -> {temperature: float}', description: 'Current temperature of a city in celsius or fahrenheit.' }),
    R({ name: 'Convert_units', signature: '(unit: enum["kg", "lb"]) -> ?', description: 'Convert a weight between kilograms and pounds.' }),
    R({ name: 'Echo', signature: '(text: str) -> str', description: 'Return the text unchanged.' }),
    R({ name: 'Book_search', signature: '(title: str, author?: str) -> ?', description: 'Search books by title and author.' }),
    R({ name: 'Dictionary.define', signature: '(word: str) -> ?', description: 'Definition and example sentence of an English word.', tags: ['Dictionary'] }),
    R({ name: 'Stock_price', signature: '(ticker: enum["AAPL", "MSFT"], limit?: int) -> {price: float}', description: 'Latest stock price of a ticker.' }),
    R({ name: 'List_sum', signature: '(xs: list[float]) -> float', description: 'Sum of a list of numbers.' }),
  ];
}

describe('graded cascade (default L1 index)', () => {
  const corpus = new Corpus({ records: lib(), version: 'g1' }, new CardTokens(chars));
  const ret = new Retriever(corpus, { semantic: false });

  it('a str value reaches an enum parameter (coercible), ranked by the intent', () => {
    const r = ret.retrieve({ signature: '(str) -> ?', intent: 'latest stock price of apple' });
    expect(r.winner?.name).toBe('Stock_price');
    expect(r.winner?.typeMatch).toBe('coercible');
    expect(r.l1.classes[1]).toBeGreaterThan(0);
  });

  it('an explicit none for an optional parameter, list[any] for list[float], any for a record', () => {
    expect(ret.retrieve({ signature: '(str, none) -> ?', intent: 'weather temperature in a city' }).winner?.name).toBe('GetWeather');
    expect(ret.retrieve({ signature: '(list[any]) -> ?', intent: 'sum of numbers' }).winner?.name).toBe('List_sum');
  });

  it('a known output that matches beats an unknown `?` output with more words in common', () => {
    const r = ret.retrieve({ signature: '(str) -> {price: float}', intent: 'search a book price' });
    expect(r.winner?.name).toBe('Stock_price');
    expect(r.ranked).toContain(corpus.id('Book_search'));
  });

  it('types that contradict every tool: the intent decides, and the answer says it is a fallback', () => {
    const r = ret.retrieve({ signature: '(bool, bool, bool) -> DataFrame', intent: 'definition of an english word' });
    expect(r.winner?.name).toBe('Dictionary.define');
    expect(r.winner?.typeClass).toBe(3);
    expect(r.l1.fallback).toBe('incompatible');
  });

  it('no type-compatible tool and no word in common: no winner (nothing to go on)', () => {
    const r = ret.retrieve({ signature: '(bool, bool, bool) -> DataFrame', intent: 'zzz qqq' });
    expect(r.winner).toBeNull();
    expect(r.tokens).toBe(0);
  });

  it('a namespace tag does not count the name twice', () => {
    const f = recordFields(corpus.records[corpus.id('Dictionary.define')!]!);
    expect(f[0]).toEqual(['dictionari', 'defin']);
    expect(f[2]).toEqual([]); // the tag "Dictionary" is already in the name
    expect(signatureNames('(word: str, "max-len"?: int) -> {a: int}')).toEqual(['word', 'max-len', 'a']);
  });

  it('bad input: empty intent, 100 KB intent, deep signatures', () => {
    expect(() => ret.retrieve({ signature: '(str) -> ?', intent: '' })).toThrow(/Expected "intent" to be a non-empty string/);
    const long = 'find the stock price of a ticker '.repeat(3200); // ~100 KB
    const t0 = performance.now();
    expect(ret.retrieve({ signature: '(str) -> ?', intent: long }).winner?.name).toBe('Stock_price');
    expect(performance.now() - t0).toBeLessThan(5_000); // bounded (a generous bound: shared CI cores)
    const deep = 'list['.repeat(2000) + 'int' + ']'.repeat(2000);
    expect(() => ret.retrieve({ signature: `(${deep}) -> ?`, intent: 'sum' })).toThrow(/Expected "signature" to be a valid signature \(Type nested deeper than 64/);
    const deeper = 'list['.repeat(10_000) + 'int' + ']'.repeat(10_000);
    expect(() => ret.retrieve({ signature: `(${deeper}) -> ?`, intent: 'sum' })).toThrow(/signature/);
    // a Signature object built in code is bounded too
    let t: Type = { kind: 'base', name: 'int' };
    for (let i = 0; i < 10_000; i++) t = { kind: 'list', elem: t };
    expect(() => ret.retrieve({ signature: { params: [{ type: t, optional: false }], result: { kind: 'unknown' } }, intent: 'sum' })).toThrow(/Expected "signature" to be types nested at most 64 deep/);
  });
});

describe('bounded cost: the pre-ranker caps the L2 cards at m', () => {
  it('L2 shows at most m cards however many tools are compatible, and tokens do not grow with n', () => {
    const rand = rng(5);
    const words = 'alpha beta gamma delta omega sigma kappa theta lambda zeta'.split(' ');
    const make = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        R({ name: `tool_${i}`, signature: '(q: str) -> ?', description: `${words[Math.floor(rand() * 10)]} ${words[Math.floor(rand() * 10)]} lookup number ${i}` }),
      );
    const at = (n: number, m: number) => {
      const corpus = new Corpus({ records: make(n), version: `b${n}` }, new CardTokens(chars));
      const r = new Retriever(corpus, { m, semantic: false }).retrieve({ signature: '(str) -> ?', intent: 'alpha lookup' });
      return r;
    };
    const small = at(200, 16);
    const big = at(5_000, 16);
    expect(small.stages[1]!.survivors).toBeLessThanOrEqual(16);
    expect(big.stages[0]!.survivors).toBeGreaterThan(100); // many compatible tools…
    expect(big.stages[1]!.survivors).toBeLessThanOrEqual(16); // …but m cards
    expect(big.tokens).toBeLessThan(small.tokens * 1.5);
    expect(big.winner).not.toBeNull();
  });
});

describe('field index and helpers', () => {
  it('counts a word once per field; pairs reward phrases', () => {
    const ix = FieldIndex.build(
      [
        [['air', 'qualiti'], ['air', 'qualiti', 'index'], [], [], ['air\u0001qualiti']],
        [['air'], ['qualiti', 'of', 'the', 'air', 'air', 'air'], [], [], []],
      ],
      [
        { name: 'name', weight: 2, b: 0.3 },
        { name: 'description', weight: 1, b: 0.75 },
        { name: 'tags', weight: 1, b: 0.3 },
        { name: 'params', weight: 0.5, b: 0.3 },
        { name: 'pairs', weight: 1, b: 0.5 },
      ],
    );
    const s = ix.search(intentQuery('air quality'));
    const score = (d: number) => s.scores[Array.from(s.ids).indexOf(d)]!;
    expect(score(0)).toBeGreaterThan(score(1));
    expect(ix.df('air')).toBe(2);
    const restored = FieldIndex.fromData(ix.toData());
    expect(Array.from(restored.search(intentQuery('air quality')).scores)).toEqual(Array.from(s.scores));
  });

  it('topIndices equals a full sort (ties by lower id)', () => {
    const rand = rng(9);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rand() * 300);
      const xs = Array.from({ length: n }, () => Math.floor(rand() * 20));
      const k = 1 + Math.floor(rand() * n);
      const want = Array.from(xs.keys()).sort((a, b) => xs[b]! - xs[a]! || a - b).slice(0, k);
      expect(Array.from(topIndices(xs, k))).toEqual(want);
    }
  });

  it('FieldRanker ranks by the prior it is given, else by its own scores', () => {
    const recs = lib();
    const fr = FieldRanker.build(recs);
    const all = Int32Array.from(recs.keys());
    expect(recs[fr.rank('stock price', all, 1).ids[0]!]!.name).toBe('Stock_price');
    const prior = Float64Array.from(all, (v) => (v === 2 ? 5 : 0));
    expect(fr.rank('stock price', all, 1, { corpus: undefined as never, goal: undefined as never, prior }).ids[0]).toBe(2);
  });
});
