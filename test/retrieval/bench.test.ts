import { describe, expect, it } from 'vitest';
import { formatRetrievalBench, retrievalSvg, runRetrievalBench, METHODS } from '../../bench/retrieval.ts';

describe('bench retrieval (smoke, tiny sizes)', () => {
  it('produces one row per (n, method) with the contract fields, a table and an SVG', async () => {
    const res = await runRetrievalBench({ sizes: [40, 120], subgoals: 12, workers: false });
    expect(res.rows.length).toBe(2 * METHODS.length);
    for (const r of res.rows) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['n', 'method', 'tokens', 'hit1', 'hit5', 'p50Ms', 'p99Ms']));
      expect(METHODS).toContain(r.method);
      expect(r.hit5).toBeGreaterThanOrEqual(r.hit1);
      expect(r.tokens).toBeGreaterThan(0);
    }
    const at = (n: number, m: string) => res.rows.find((r) => r.n === n && r.method === m)!;
    // flat pays every card: its cost grows with n, and it is the same for every sub-goal
    expect(at(120, 'flat').tokens).toBeGreaterThan(2 * at(40, 'flat').tokens);
    expect(at(40, 'tdr').ratio).toBe(1);
    expect(at(40, 'flat').ratio).toBeCloseTo(at(40, 'flat').tokens / at(40, 'tdr').tokens, 9);
    expect(at(40, 'tdr').stages!.L1.tokens).toBe(0);
    expect(res.variants.length).toBe(2);
    expect(formatRetrievalBench(res)).toMatch(/tokens\/sub-goal/);
    const svg = await retrievalSvg(res);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('text-tree');
    await expect(runRetrievalBench({ sizes: [5], subgoals: 12, workers: false })).rejects.toThrow(/Expected "sizes" to be at least the number of gold tools/);
  });
});
