import { describe, expect, it } from 'vitest';
import { formatRetrievalBench, retrievalSvg, runRetrievalBench, METHODS, MATCHED_METHODS, VARIANTS, M_GRID } from '../../bench/retrieval.ts';

describe('bench retrieval (smoke, tiny sizes)', () => {
  it('produces one row per (n, method) with the contract fields, a table and an SVG', async () => {
    const res = await runRetrievalBench({ sizes: [40, 120], subgoals: 12, workers: false, matchedMaxN: 40 });
    // the four contract methods at both sizes, the matched rows only where the sweep ran (n ≤ 40)
    expect(res.rows.length).toBe(2 * METHODS.length + MATCHED_METHODS.length);
    expect(res.rows.filter((r) => r.n === 120).map((r) => r.method)).toEqual([...METHODS]);
    for (const r of res.rows) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['n', 'method', 'tokens', 'hit1', 'hit5', 'p50Ms', 'p99Ms']));
      expect([...METHODS, ...MATCHED_METHODS]).toContain(r.method);
      if ((METHODS as readonly string[]).includes(r.method)) expect(r.matched).toBeUndefined();
      expect(r.hit5).toBeGreaterThanOrEqual(r.hit1);
      expect(r.tokens).toBeGreaterThan(0);
    }
    const at = (n: number, m: string) => res.rows.find((r) => r.n === n && r.method === m)!;
    // flat pays every card: its cost grows with n, and it is the same for every sub-goal
    expect(at(120, 'flat').tokens).toBeGreaterThan(2 * at(40, 'flat').tokens);
    expect(at(40, 'tdr').ratio).toBe(1);
    expect(at(40, 'flat').ratio).toBeCloseTo(at(40, 'flat').tokens / at(40, 'tdr').tokens, 9);
    expect(at(40, 'tdr').stages!.L1.tokens).toBe(0);
    expect(res.variants.map((v) => v.method)).toEqual([...VARIANTS, ...VARIANTS]);
    expect(res.mSweep.map((x) => x.m)).toEqual([...M_GRID, ...M_GRID]);
    expect(at(120, 'tdr').stages!.L2.survivors).toBeLessThanOrEqual(32);
    // matched rows: the cheapest swept setting reaching TDR's hit@5 (by hit@5, or by the gold being shown)
    for (const m of MATCHED_METHODS) {
      const row = at(40, m);
      const method = m.split('@')[0]!;
      const pts = res.sweeps.filter((x) => x.n === 40 && x.method === method);
      expect(pts.length).toBeGreaterThan(2);
      const score = (x: { hit5: number; shown: number }): number => (row.criterion === 'hit5' ? x.hit5 : x.shown);
      expect(row.target).toBe(at(40, 'tdr').hit5);
      const chosen = pts.find((x) => x.value === (row.beam ?? row.k))!;
      expect(chosen.tokens).toBe(row.tokens);
      expect(row.ratio).toBeCloseTo(row.tokens / at(40, 'tdr').tokens, 9);
      if (row.matched) {
        expect(score(chosen)).toBeGreaterThanOrEqual(row.target!);
        for (const x of pts) if (score(x) >= row.target!) expect(x.tokens).toBeGreaterThanOrEqual(row.tokens);
      } else {
        for (const x of pts) expect(score(x)).toBeLessThanOrEqual(score(chosen));
        expect(score(chosen)).toBeLessThan(row.target!);
      }
    }
    // the widest text-tree beam and k = n materialise every tool the method can surface
    const treePts = res.sweeps.filter((x) => x.n === 40 && x.method === 'text-tree');
    expect(treePts.at(-1)!.shown).toBe(1);
    expect(res.sweeps.filter((x) => x.n === 40 && x.method === 'flat-dense').at(-1)!.value).toBe(40);
    const table = formatRetrievalBench(res);
    expect(table).toMatch(/tokens\/sub-goal/);
    expect(table).toMatch(/Matched accuracy/);
    expect(table).toContain('text-tree@matched');
    const svg = await retrievalSvg(res);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('text-tree');
    expect(svg).toContain('matched hit@5');
    await expect(runRetrievalBench({ sizes: [5], subgoals: 12, workers: false })).rejects.toThrow(/Expected "sizes" to be at least the number of gold tools/);
  });
});
