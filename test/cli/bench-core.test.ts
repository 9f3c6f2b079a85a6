import { describe, expect, it } from 'vitest';
import { cocodaInProcess } from '../helpers/cli.ts';

describe('cocoda bench core', () => {
  it('--quick --json prints one row per (operation, size) for both backends, measured in one run', async () => {
    const r = await cocodaInProcess(['bench', 'core', '--quick', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { backend: { backend: string }; rows: Array<{ suite: string; op: string; n: number; tsMs: number; nativeMs: number | null; speedup: number | null }> };
    const dag = res.rows.filter((x) => x.suite === 'dag');
    expect(dag.map((x) => `${x.op}@${x.n}`)).toEqual([
      'depth/flat/Φ (metrics)@1000',
      'acyclicity (findCycle)@1000',
      'topoOrder@1000',
      'depth/flat/Φ (metrics)@10000',
      'acyclicity (findCycle)@10000',
      'topoOrder@10000',
    ]);
    for (const row of dag) {
      expect(row.tsMs).toBeGreaterThan(0);
      if (res.backend.backend === 'native') expect(row.speedup).toBeCloseTo(row.tsMs / row.nativeMs!, 6);
      else expect(row.nativeMs).toBeNull();
    }
  });
});
