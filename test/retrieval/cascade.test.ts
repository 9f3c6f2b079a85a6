import { describe, expect, it } from 'vitest';
import { normalizeRecord, type ToolRecord } from '../../src/library/record.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever, type L1Stage } from '../../src/retrieval/cascade.ts';
import { valueFits } from '../../src/retrieval/stages.ts';
import type { L2Ranker, L3Checker, L4Reranker } from '../../src/retrieval/rankers.ts';
import { CardTokens, type TokenCounter } from '../../src/retrieval/tokens.ts';
import { parseSignature, printSignature } from '../../src/types/index.ts';

const chars: TokenCounter = { name: 'chars', count: (t) => t.length };

/** Test L1: tools whose printed signature equals the goal's, ignoring parameter names. */
function exactL1(corpus: Corpus): L1Stage {
  const strip = (s: string) => s.replace(/\w+\??: /g, '');
  return {
    candidates(goal) {
      const want = strip(printSignature(goal));
      const out: number[] = [];
      for (let v = 0; v < corpus.n; v++) if (strip(printSignature(corpus.signature(v)!)) === want) out.push(v);
      return Int32Array.from(out);
    },
  };
}

const R = (r: Partial<ToolRecord> & Pick<ToolRecord, 'name' | 'signature'>) => normalizeRecord(r);

function lib(): { records: ToolRecord[]; children: number[][] } {
  const records = [
    R({ name: 'add', signature: '(a: float, b: float) -> float', description: 'Add two numbers.', examples: [{ args: [1, 2], result: 3 }] }), // 0
    R({ name: 'mul', signature: '(a: float, b: float) -> float', description: 'Multiply two numbers.', examples: [{ args: [2, 3], result: 6 }] }), // 1
    R({ name: 'sub', signature: '(a: float, b: float) -> float', description: 'Subtract b from a.' }), // 2
    // composite calling add and mul, same signature: it covers them on the abstraction axis
    R({ name: 'add_then_double', signature: '(a: float, b: float) -> float', description: 'Add two numbers, then double the sum.', post: 'result === 2 * (a + b)' }), // 3
    R({ name: 'upper', signature: '(s: str) -> str', description: 'Upper-case a string.' }), // 4
    R({ name: 'ticker_price', signature: '(ticker: enum["BTC", "ETH"]) -> float', description: 'Price of a crypto ticker.' }), // 5
    R({ name: 'guarded', signature: '(a: float, b: float) -> float', description: 'Multiply numbers, never applicable.', pre: 'false' }), // 6
    // composite over guarded and sub: it will be rejected, so the walk descends into sub
    R({ name: 'broken_combo', signature: '(a: float, b: float) -> float', description: 'Subtract numbers combo.', pre: 'false' }), // 7
  ];
  const children: number[][] = [[], [], [], [0, 1, 0], [], [], [], [2, 6]];
  return { records, children };
}

describe('Typed DAG Retrieval cascade', () => {
  const { records, children } = lib();
  const corpus = new Corpus({ records, children, version: 1 }, new CardTokens(chars));
  const ret = new Retriever(corpus, { l1: exactL1(corpus) });

  it('climbs to the covering composite and reports d, Ch, flat', () => {
    const r = ret.retrieve({ signature: '(float, float) -> float', intent: 'add two numbers then double' });
    expect(r.winner?.name).toBe('add_then_double');
    expect(r.winner?.depth).toBe(1);
    expect(r.winner?.children).toEqual(['add', 'mul', 'add']);
    expect(r.winner?.flat).toBe(3);
    expect(r.stages.map((s) => s.stage)).toEqual(['L1', 'L2', 'L3', 'L4']);
    // S1 = the six float tools; add and mul are covered by add_then_double, sub/guarded by broken_combo
    expect(r.stages[0]!.survivors).toBe(6);
    expect(r.stages[0]!.tokens).toBe(0);
  });

  it('pays L2 only on the frontier, L3 on S2, L4 on S3', () => {
    const r = ret.retrieve({ signature: '(float, float) -> float', intent: 'add two numbers then double', });
    // frontier = add_then_double, broken_combo; broken_combo is rejected → descend into sub, guarded
    const c2 = (n: string) => corpus.tokens(corpus.id(n)!, 2);
    const c3 = (n: string) => corpus.tokens(corpus.id(n)!, 3);
    const c4 = (n: string) => corpus.tokens(corpus.id(n)!, 4);
    expect(r.stages[1]!.tokens).toBe(c2('add_then_double') + c2('broken_combo') + c2('sub') + c2('guarded'));
    expect(r.stages[2]!.tokens).toBe(c3('add_then_double') + c3('broken_combo') + c3('sub') + c3('guarded'));
    expect(r.stages[2]!.survivors).toBe(2); // add_then_double, sub
    expect(r.stages[3]!.tokens).toBe(c4('add_then_double') + c4('sub'));
    expect(r.tokens).toBe(r.stages.reduce((s, x) => s + x.tokens, 0));
    expect(r.flatTokens).toBe(corpus.flatTotal());
    expect(r.rejected.map((x) => x.tool)).toEqual(['broken_combo', 'guarded']);
  });

  it('descends to a child when the composite is rejected', () => {
    const r = ret.retrieve({ signature: '(float, float) -> float', intent: 'subtract' });
    expect(r.winner?.name).toBe('sub');
  });

  it('k2 caps the shortlist', () => {
    const r = new Retriever(corpus, { l1: exactL1(corpus), k2: 1 }).retrieve({ signature: '(float, float) -> float', intent: 'double the sum' });
    expect(r.stages[1]!.survivors).toBe(1);
    expect(r.winner?.name).toBe('add_then_double');
  });

  it('L3 checks argument values against the parameter types', () => {
    const ok = ret.retrieve({ signature: '(str) -> float', intent: 'crypto price', args: ['BTC'] });
    // exactL1 has nothing for str: the graded cascade falls back to the intent's best tool and says so
    expect(ok.winner?.name).toBe('ticker_price');
    expect(ok.winner?.typeMatch).toBe('incompatible');
    expect(ok.l1.fallback).toBe('incompatible');
    // the hard gate (graded: false) has no winner
    expect(new Retriever(corpus, { l1: exactL1(corpus), graded: false }).retrieve({ signature: '(str) -> float', intent: 'crypto price', args: ['BTC'] }).winner).toBeNull();
    const g = { signature: '(enum["BTC", "ETH"]) -> float', intent: 'crypto price' };
    expect(ret.retrieve({ ...g, args: ['BTC'] }).winner?.name).toBe('ticker_price');
    const bad = ret.retrieve({ ...g, args: ['DOGE'] });
    expect(bad.winner).toBeNull();
    expect(bad.rejected[0]!.reason).toMatch(/ticker: "DOGE" does not fit/);
  });

  it('no survivor → null winner, zero L2-L4 tokens', () => {
    const r = ret.retrieve({ signature: '(bool) -> bool', intent: 'negate' });
    expect(r.winner).toBeNull();
    expect(r.tokens).toBe(0);
    expect(r.stages.map((s) => s.survivors)).toEqual([0, 0, 0, 0]);
  });

  it('rejects bad input with the argument template', () => {
    expect(() => ret.retrieve({ signature: '(int -> ', intent: 'x' })).toThrow(TypeError);
    expect(() => ret.retrieve({ signature: '(int -> ', intent: 'x' })).toThrow(/Expected "signature" to be a valid signature/);
    expect(() => ret.retrieve({ signature: '(int) -> int', intent: '   ' })).toThrow(/Expected "intent" to be a non-empty string/);
    expect(() => new Retriever(corpus, { l1: exactL1(corpus), k2: 0 })).toThrow(RangeError);
    expect(() => new Retriever(corpus, { l1: exactL1(corpus), k2: 0 })).toThrow('Expected "k2" to be a positive integer (got 0)');
    expect(() => ret.retrieve({ signature: 42 as unknown as string, intent: 'x' })).toThrow(TypeError);
  });

  it('valueFits follows the type', () => {
    const t = (s: string) => parseSignature(`(${s}) -> int`).params[0]!.type;
    expect(valueFits(3, t('int'))).toBe(true);
    expect(valueFits(3.5, t('int'))).toBe(false);
    expect(valueFits({ a: 1 }, t('{a: int, b?: str}'))).toBe(true);
    expect(valueFits({ b: 's' }, t('{a: int, b?: str}'))).toBe(false);
    expect(valueFits([1, 2], t('list[float]'))).toBe(true);
    expect(valueFits('x', t('?'))).toBe(true);
  });
});

describe('pluggable stages (rankers.ts)', () => {
  const { records, children } = lib();
  const corpus = new Corpus({ records, children, version: 'plug' }, new CardTokens(chars));
  const goal = { signature: '(float, float) -> float', intent: 'subtract numbers' };
  /** An asynchronous L2 ranker that prefers the highest id (so the answer differs from BM25's). */
  const asyncL2: L2Ranker = {
    name: 'test-async',
    async rank(_intent, candidates, k, ctx) {
      expect(ctx?.corpus).toBe(corpus);
      expect(ctx?.goal.intent).toBe(goal.intent);
      const ids = Int32Array.from([...candidates].sort((a, b) => b - a).slice(0, k));
      return { ids, scores: Float64Array.from(ids, (_, i) => ids.length - i) };
    },
  };

  it('retrieveAsync awaits an async L2 ranker, L3 checkMany and L4 scoreMany', async () => {
    const seen: number[][] = [];
    const l3: L3Checker = {
      check: () => ({ ok: true }),
      async checkMany(_c, ids) {
        seen.push(Array.from(ids));
        return Array.from(ids, (v) => ({ ok: records[v]!.pre !== 'false', reason: 'judged' }));
      },
    };
    const l4: L4Reranker = { score: () => 0, scoreMany: async (_c, ids) => Array.from(ids, (v) => (records[v]!.name === 'sub' ? 10 : 0)) };
    const r = await new Retriever(corpus, { l1: exactL1(corpus), l2: asyncL2, l3, l4 }).retrieveAsync(goal);
    expect(r.winner?.name).toBe('sub');
    // one L3 call for the shortlist, one per descended group
    expect(seen[0]).toEqual([7, 3]);
    expect(seen.length).toBeGreaterThan(1);
    expect(r.rejected.every((x) => x.reason === 'judged')).toBe(true);
  });

  it('the synchronous retrieve refuses an async stage with ERR_ASYNC_STAGE', () => {
    const ret = new Retriever(corpus, { l1: exactL1(corpus), l2: asyncL2 });
    expect(() => ret.retrieve(goal)).toThrow(expect.objectContaining({ code: 'ERR_ASYNC_STAGE' }));
    expect(() => ret.retrieve(goal)).toThrow(/L2 stage answered asynchronously; use retrieveAsync/);
  });

  it('a sync ranker gives the same result through retrieve and retrieveAsync', async () => {
    const ret = new Retriever(corpus, { l1: exactL1(corpus) });
    const a = ret.retrieve(goal);
    const b = await ret.retrieveAsync(goal);
    expect(Array.from(b.ranked)).toEqual(Array.from(a.ranked));
    expect(b.tokens).toBe(a.tokens);
  });
});

describe('default L1 = the library L1 index', () => {
  it('returns what the reference scan returns, on real tools', async () => {
    const { readFileSync } = await import('node:fs');
    const { depthbenchFile } = await import('../../src/library/depthbench.ts');
    const { importSchemas } = await import('../../src/library/import-schema.ts');
    const { defaultL1, ScanL1, UnorderedInputsL1 } = await import('../../src/retrieval/l1.ts');
    const { depthbenchEvalSet } = await import('../../src/retrieval/depthbench.ts');
    const specs = JSON.parse(readFileSync(depthbenchFile('tools.json'), 'utf8')) as Record<string, unknown>;
    const xlam = JSON.parse(readFileSync(depthbenchFile('xlam_tools.json'), 'utf8')) as Record<string, unknown>;
    const recs = [...importSchemas(specs).records, ...importSchemas(xlam).records.filter((_, i) => i % 8 === 0)];
    const corpus = new Corpus({ records: recs }, new CardTokens(chars));
    const ix = new UnorderedInputsL1(defaultL1(corpus));
    const scan = new UnorderedInputsL1(new ScanL1(corpus));
    const goals = depthbenchEvalSet({ tools: specs, xlam: {} }).subgoals.filter((_, i) => i % 40 === 0);
    let nonEmpty = 0;
    for (const g of goals) {
      const sig = parseSignature(g.signature);
      const a = ix.candidates(sig);
      expect(Array.from(a)).toEqual(Array.from(scan.candidates(sig)));
      if (a.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(goals.length * 0.9);
  });
});
