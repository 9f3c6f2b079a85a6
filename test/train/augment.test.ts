import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { libraryInserter } from '../../src/library/insert.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { Rng } from '../../src/policy/rng.ts';
import { libraryViews } from '../../src/train/augment.ts';
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
});
