import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { Sandbox } from '../../src/exec/sandbox.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever } from '../../src/retrieval/cascade.ts';

const dag = ToolDag.fromRecords([
  {
    name: 'square_root',
    signature: '(x: float) -> float',
    description: 'Square root of a number.',
    pre: 'x >= 0',
    body: 'function square_root(x) { return Math.sqrt(x); }',
  },
  {
    name: 'magnitude_sqrt',
    signature: '(x: float) -> float',
    description: 'Square root of the absolute value of a number.',
    body: 'function magnitude_sqrt(x) { return Math.sqrt(Math.abs(x)); }',
  },
  {
    name: 'experimental_root',
    signature: '(x: float) -> float',
    description: 'Square root of a number, experimental.',
    body: 'function experimental_root(x) { throw new Error("not implemented"); }',
  },
  {
    name: 'half',
    signature: '(x: float) -> float',
    description: 'Half of a number.',
    post: 'result === x / 2',
    body: 'function half(x) { return x / 3; }',
  },
]);
const sandbox = new Sandbox({ timeoutMs: 2000 });
afterAll(() => sandbox.close());
const ret = new Retriever(Corpus.fromDag(dag));

describe('cascade with argument values through the exec sandbox', () => {
  it('L3 rejects a violated pre-condition; L4 penalises a body that throws', async () => {
    const goal = { signature: '(float) -> float', intent: 'square root of a number', args: [-4] };
    const r = await ret.retrieveAsync(goal, { sandbox, dag });
    expect(r.rejected.map((x) => x.tool)).toContain('square_root');
    expect(r.rejected.find((x) => x.tool === 'square_root')!.reason).toMatch(/pre-condition fails in the sandbox/);
    expect(r.winner?.name).toBe('magnitude_sqrt');
    // experimental_root survives L3 (no contract broken) but ranks below magnitude_sqrt at L4
    const order = Array.from(r.ranked, (v) => dag.nameOf(v));
    expect(order.indexOf('experimental_root')).toBeGreaterThan(order.indexOf('magnitude_sqrt'));
    // without execution nothing is rejected and the best lexical match wins
    const sync = ret.retrieve(goal);
    expect(sync.rejected).toEqual([]);
    expect(sync.winner?.name).toBe('square_root');
    // with a valid value it wins again
    expect((await ret.retrieveAsync({ ...goal, args: [9] }, { sandbox, dag })).winner?.name).toBe('square_root');
  });

  it('L3 rejects a violated post-condition; no args means no execution', async () => {
    const r = await ret.retrieveAsync({ signature: '(float) -> float', intent: 'half of a number', args: [6] }, { sandbox, dag });
    expect(r.rejected.find((x) => x.tool === 'half')?.reason).toMatch(/post-condition fails/);
    const noArgs = await ret.retrieveAsync({ signature: '(float) -> float', intent: 'half of a number' }, { sandbox, dag });
    expect(noArgs.winner?.name).toBe('half');
    expect(noArgs.rejected).toEqual([]);
  });
});
