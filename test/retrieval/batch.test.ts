import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { BatchRetriever, toPlainResult } from '../../src/retrieval/batch.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever, type SubGoal } from '../../src/retrieval/cascade.ts';

const tools = [
  { name: 'add', signature: '(a: float, b: float) -> float', description: 'Add two numbers.', body: 'function add(a, b) { return a + b; }' },
  { name: 'mul', signature: '(a: float, b: float) -> float', description: 'Multiply two numbers.', body: 'function mul(a, b) { return a * b; }' },
  { name: 'sum_sq', signature: '(a: float, b: float) -> float', description: 'Sum of the squares of two numbers.', body: 'function sum_sq(a, b) { return add(mul(a, a), mul(b, b)); }' },
  { name: 'shout', signature: '(s: str) -> str', description: 'Upper-case a string.' },
  { name: 'count_words', signature: '(s: str) -> int', description: 'Count the words of a text.' },
  { name: 'title_case', signature: '(s: str) -> str', description: 'Capitalise every word of a title.' },
];
const v1 = ToolDag.fromRecords(tools);
const v2 = v1.add({ name: 'louder', signature: '(s: str) -> str', description: 'Make a string loud: upper-case with exclamation.' });

const goals: SubGoal[] = [];
const intents = ['sum of squares', 'multiply', 'add numbers', 'make it loud upper-case', 'title words', 'count words in text'];
const sigs = ['(float, float) -> float', '(float, float) -> float', '(float, float) -> float', '(str) -> str', '(str) -> str', '(str) -> int'];
for (let i = 0; i < 24; i++) goals.push({ signature: sigs[i % 6]!, intent: intents[i % 6]! });

const batch = new BatchRetriever(v1, { threads: 2, chunk: 3 });
afterAll(() => batch.close());

function sequential(dag: ToolDag) {
  const corpus = Corpus.fromDag(dag);
  const r = new Retriever(corpus);
  return goals.map((g) => toPlainResult(r.retrieve(g), corpus));
}
const noMs = (rs: Array<{ stages: Array<{ ms: number }> }>) => rs.map((r) => ({ ...r, stages: r.stages.map((s) => ({ ...s, ms: 0 })) }));

describe('batch retrieval on the worker pool', () => {
  it('warms every worker up', async () => {
    expect(await batch.warmUp(goals[0]!)).toBe(2);
    expect(batch.workersSeen).toBe(2);
    expect(batch.workerBuilds).toBe(1);
  });

  it('equals sequential retrieval, in input order', async () => {
    const got = await batch.retrieveBatch(goals);
    expect(got.length).toBe(goals.length);
    expect(noMs(got)).toEqual(noMs(sequential(v1)));
    expect(got[0]!.winner?.name).toBe('sum_sq');
    expect(got.every((r) => r.version === v1.version)).toBe(true);
    // each worker indexed version 1 once, however many tasks it ran
    expect(batch.workerBuilds).toBe(1);
  });

  it('a batch is pinned to the version current when it started', async () => {
    const running = batch.retrieveBatch(goals);
    batch.setLibrary(v2); // changes under the running batch
    const old = await running;
    expect(old.every((r) => r.version === v1.version)).toBe(true);
    expect(noMs(old)).toEqual(noMs(sequential(v1)));
    const next = await batch.retrieveBatch(goals);
    expect(next.every((r) => r.version === v2.version)).toBe(true);
    expect(noMs(next)).toEqual(noMs(sequential(v2)));
    expect(next[3]!.winner?.name).toBe('louder');
    expect(batch.workerBuilds).toBeLessThanOrEqual(2);
  });

  it('rejects bad sub-goals up front, naming the index', async () => {
    await expect(batch.retrieveBatch([goals[0]!, { signature: '(int -> ', intent: 'x' }])).rejects.toThrow(/Expected "subgoals\[1\]\.signature" to be a valid signature/);
    await expect(batch.retrieveBatch([{ signature: '(int) -> int', intent: '' }])).rejects.toThrow(RangeError);
    await expect(batch.retrieveBatch([{ signature: '(int) -> int', intent: 'x', args: 5 as unknown as unknown[] }])).rejects.toThrow(/Expected "subgoals\[0\]\.args" to be an array or an object/);
    expect(await batch.retrieveBatch([])).toEqual([]);
    expect(() => new BatchRetriever(v1, { threads: 0 })).toThrow('Expected "threads" to be a positive integer (got 0)');
  });
});
