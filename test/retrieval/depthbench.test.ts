import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { depthbenchEvalSet, hitAt, typeOfValue } from '../../src/retrieval/depthbench.ts';
import { depthbenchFile } from '../../src/library/depthbench.ts';
import { importSchemas } from '../../src/library/import-schema.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { ScanL1, UnorderedInputsL1 } from '../../src/retrieval/l1.ts';
import { parseSignature, printType } from '../../src/types/index.ts';
import { CardTokens } from '../../src/retrieval/tokens.ts';

const read = (f: string) => JSON.parse(readFileSync(depthbenchFile(f), 'utf8')) as Record<string, Record<string, unknown>>;

describe('DepthBench evaluation set', () => {
  const queries = read('queries.json');
  const tools = read('tools.json');
  const set = depthbenchEvalSet({ queries, tools, xlam: {} });

  it('has one sub-goal per gold call, and says why a query has none', () => {
    let calls = 0;
    for (const q of Object.values(queries)) {
      const c = typeof q.api_calls === 'string' && q.api_calls !== '' ? Object.keys(JSON.parse(q.api_calls)).length : 0;
      calls += c;
    }
    expect(set.subgoals.length).toBe(calls);
    expect(set.subgoals.length).toBeGreaterThan(3000);
    // 101 depth-0 queries and 29 with missing gold calls (data README)
    expect(set.skipped.length).toBe(130);
    expect(set.skipped.filter((s) => s.reason === 'gold calls missing').length).toBe(29);
  });

  it('types inputs from gold values and resolves API_RESPONSE_i through the producer', () => {
    // query 300: GetLocation → FindDealershipsByLocation(location: API_RESPONSE_0) → …
    const q = set.subgoals.filter((s) => s.query === '300');
    expect(q.map((s) => s.gold)).toEqual(['GetLocation', 'FindDealershipsByLocation', 'GetCarListingByDealerships', 'FilterByCarMileage']);
    expect(q[0]!.signature).toBe('() -> {Location: str}'); // the scenario `tag` is not an argument
    // GetLocation's returns.index is "Location": the consumer receives that field, a str
    expect(q[1]!.signature).toBe('(str) -> {Dealerships: list[str], Location: str}');
    // FindDealershipsByLocation has returns.index = "Dealerships": its consumer gets list[str]
    expect(q[2]!.signature.startsWith('(list[str]) -> ')).toBe(true);
    expect(q[3]!.signature).toBe('(DataFrame, enum[52000]) -> {Listings: DataFrame}');
    expect(q.every((s) => s.intent === queries['300']!.prompt)).toBe(true);
  });

  it('typeOfValue: literals, joined lists, records, unknown for empty lists', () => {
    const none = () => undefined;
    expect(printType(typeOfValue('SOL', none))).toBe('enum["SOL"]');
    expect(printType(typeOfValue([1, 2, 2], none))).toBe('list[enum[1, 2]]');
    expect(printType(typeOfValue([], none))).toBe('list[?]');
    expect(printType(typeOfValue({ b: true, a: 1.5 }, none))).toBe('{a: enum[1.5], b: enum[true]}');
    expect(printType(typeOfValue('API_RESPONSE_3', (i) => (i === 3 ? { kind: 'base', name: 'int' } : undefined)))).toBe('int');
  });

  it('gold tools unify with their sub-goal (inputs unordered) for nearly every sub-goal', () => {
    const recs = importSchemas(tools).records;
    const corpus = new Corpus({ records: recs }, new CardTokens({ name: 'n', count: () => 1 }));
    const l1 = new UnorderedInputsL1(new ScanL1(corpus));
    const sample = set.subgoals.filter((_, i) => i % 5 === 0);
    let ok = 0;
    let s1 = 0;
    for (const sg of sample) {
      const c = l1.candidates(parseSignature(sg.signature));
      if (c.includes(corpus.id(sg.gold)!)) ok++;
      s1 += c.length;
    }
    expect(ok / sample.length).toBeGreaterThan(0.97);
    // among the 163 typed DepthBench tools, L1 alone is very selective
    expect(s1 / sample.length).toBeLessThan(5);
  });

  it('hitAt', () => {
    expect(hitAt(Int32Array.from([4, 2, 9]), 2, 1)).toBe(false);
    expect(hitAt(Int32Array.from([4, 2, 9]), 2, 2)).toBe(true);
    expect(hitAt(Int32Array.from([]), 2, 5)).toBe(false);
  });
});
