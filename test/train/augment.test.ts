import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { libraryInserter } from '../../src/library/insert.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { Rng } from '../../src/policy/rng.ts';
import { compositePool, libraryViews } from '../../src/train/augment.ts';
import { generateTasks } from '../../src/tasks/generate.ts';
import { evolveLibrary } from '../../src/train/evolve.ts';
import { SandboxExecutor } from '../../src/trajectory/sandbox-executor.ts';

const executor = new SandboxExecutor();
afterAll(() => executor.close());

describe('libraryViews (SFT library views)', () => {
  it('primitives only, the library itself, then dependency-closed random subsets that differ', async () => {
    const insert = libraryInserter({ sandbox: executor.sandbox });
    const { dag } = await evolveLibrary(ToolDag.empty().add(seedRecords()), { steps: 6, batch: 12, seed: 1, testSize: 1, executor, insert, tokens: false });
    const composites = dag.names().filter((n) => dag.children(n).length > 0);
    expect(composites.length).toBeGreaterThan(4);
    expect(dag.stats().maxDepth).toBeGreaterThanOrEqual(2); // a composite calling a composite: closure matters
    const views = libraryViews(dag, 12, new Rng(5));
    expect(views).toHaveLength(12);
    expect(views[0]!.stats().composites).toBe(0);
    expect(views[0]!.size).toBe(dag.size - composites.length);
    expect(views[1]).toBe(dag);
    const kept = new Set<string>();
    for (const v of views.slice(2)) {
      const names = v.names();
      // every primitive stays; every kept composite's callees are in the view (ToolDag.add would throw otherwise)
      for (const n of names) for (const c of v.children(n)) expect(v.has(c)).toBe(true);
      expect(names.length).toBeGreaterThanOrEqual(views[0]!.size);
      kept.add(names.filter((n) => v.children(n).length > 0).sort().join(','));
    }
    expect(kept.size).toBeGreaterThan(3); // the subsets differ
    // seeded: the same views again
    expect(libraryViews(dag, 12, new Rng(5)).map((v) => v.names().join())).toEqual(views.map((v) => v.names().join()));
    expect(libraryViews(dag, 1, new Rng(5))).toHaveLength(1);
  });

  it('a pool of mined composites widens the views; the library itself is untouched', async () => {
    const insert = libraryInserter({ sandbox: executor.sandbox });
    const { dag } = await evolveLibrary(ToolDag.empty().add(seedRecords()), { steps: 4, batch: 8, seed: 2, testSize: 1, executor, insert, tokens: false });
    const tasks = generateTasks({ seed: 11, n: 120, split: 'train' });
    const pool = await compositePool(dag, tasks, executor, 40);
    const extra = pool.names().filter((n) => !dag.has(n));
    expect(extra.length).toBeGreaterThan(5);
    expect(extra.length).toBeLessThanOrEqual(40);
    for (const n of dag.names()) expect(pool.has(n)).toBe(true);
    expect(await compositePool(dag, tasks, executor, 0)).toBe(dag);
    const views = libraryViews(dag, 10, new Rng(3), pool);
    expect(views[1]).toBe(dag);
    const shown = new Set(views.slice(2).flatMap((v) => v.names().filter((n) => !dag.has(n))));
    expect(shown.size).toBeGreaterThan(3); // pool composites reach the views
    for (const v of views.slice(2)) for (const n of v.names()) for (const c of v.children(n)) expect(v.has(c)).toBe(true);
  });
});
