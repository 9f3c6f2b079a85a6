import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { libraryInserter } from '../../src/library/insert.ts';
import { SandboxExecutor } from '../../src/trajectory/sandbox-executor.ts';
import type { ToolExecutor } from '../../src/trajectory/executor.ts';
import { evolveLibrary } from '../../src/train/evolve.ts';

const executor = new SandboxExecutor();
afterAll(() => executor.close());
const start = ToolDag.empty().add(seedRecords());
const insert = libraryInserter({ sandbox: executor.sandbox });

describe('evolveLibrary (teacher planner)', () => {
  it('grows composites and calls per solution fall while test accuracy holds', async () => {
    const r = await evolveLibrary(start, { steps: 4, batch: 8, testSize: 16, seed: 3, executor, insert, tokens: false });
    expect(r.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
    const first = r.steps[0]!;
    const last = r.steps[r.steps.length - 1]!;
    expect(first.composites).toBe(1); // the seed composite sum_where
    expect(last.composites).toBeGreaterThan(first.composites);
    expect(last.maxDepth).toBeGreaterThanOrEqual(2);
    expect(last.callsPerSolution).toBeLessThan(first.callsPerSolution);
    for (let i = 1; i < r.steps.length; i++) {
      const s = r.steps[i]!;
      expect(s.testAccuracy).toBe(1);
      expect(s.callsPerSolution).toBeLessThanOrEqual(r.steps[i - 1]!.callsPerSolution);
      // Substitution is lossless: primitive work is unchanged and R_comp = T_prim − T.
      expect(s.primitiveCallsPerSolution).toBeCloseTo(first.primitiveCallsPerSolution, 12);
      expect(s.rComp).toBeCloseTo(s.primitiveCallsPerSolution - s.callsPerSolution, 12);
      expect(s.tools).toBe(r.steps[i - 1]!.tools + s.added.length);
    }
    // Every composite calls only library tools and is typed by the type language.
    for (const name of r.dag.names()) {
      for (const c of r.dag.children(name)) expect(r.dag.has(c)).toBe(true);
      if (r.dag.children(name).length > 0 && name !== 'sum_where') expect(r.dag.record(name)!.origin).toBe('teacher');
    }
  });

  it('failing executions never write to the library and never crash the loop', async () => {
    const broken: ToolExecutor = { call: async (_d, tool, args) => ({ ok: false, error: 'ERR_EXEC_THROW: boom', trace: { tool, args, ms: 0, calls: [] } }) };
    const r = await evolveLibrary(start, { steps: 2, batch: 4, testSize: 4, executor: broken, insert, tokens: false });
    expect(r.dag).toBe(start);
    expect(r.steps.every((s) => s.trainSolved === 0 && s.testAccuracy === 0 && s.added.length === 0)).toBe(true);
  });

  it('rejected candidates are counted by code and leave the library unchanged', async () => {
    const reject = async (dag: ToolDag) => ({ action: 'REJECT' as const, code: 'ERR_TEST_REJECT', reason: 'REJECT: test', dag });
    const r = await evolveLibrary(start, { steps: 2, batch: 8, testSize: 4, executor, insert: reject, tokens: false });
    expect(r.dag).toBe(start);
    expect(r.rejections.ERR_TEST_REJECT).toBeGreaterThan(0);
  });

  it('measures retrieval tokens per query through the cascade', async () => {
    const r = await evolveLibrary(start, { steps: 1, batch: 8, testSize: 6, seed: 5, executor, insert });
    expect(r.steps[0]!.tokensPerQuery).toBeGreaterThan(0);
    expect(r.steps.every((s) => s.retrievalErrors === 0)).toBe(true);
  });

  it('validates its options', async () => {
    await expect(evolveLibrary(start, { steps: -1, executor, insert })).rejects.toThrow(/"steps"/);
    await expect(evolveLibrary(start, { steps: 1, batch: 0, executor, insert })).rejects.toThrow(/"batch"/);
  });
});
