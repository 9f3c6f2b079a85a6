import { describe, expect, it } from 'vitest';
import { generateTasks } from '../../src/tasks/generate.ts';
import { cocodaInProcess } from '../helpers/cli.ts';

describe('cocoda tasks sample', () => {
  it('--json prints the contract fields, filtered by domain, depth and split', async () => {
    const run = await cocodaInProcess(['tasks', 'sample', '--domain', 'table', '--depth', '3', '--split', 'test', '--n', '4', '--json']);
    expect(run.code).toBe(0);
    const out = run.stdout;
    const tasks = JSON.parse(out) as Array<Record<string, unknown>>;
    expect(tasks).toHaveLength(4);
    for (const t of tasks) {
      expect(Object.keys(t)).toEqual(['query', 'inputs', 'program', 'answer', 'depth', 'template', 'split']);
      expect(t.depth).toBe(3);
      expect(t.split).toBe('test');
      expect(String(t.template)).toMatch(/^table\//);
    }
    const lib = generateTasks({ seed: 0, n: 4, domain: 'table', depth: 3, split: 'test' });
    expect(tasks.map((t) => t.answer)).toEqual(lib.map((t) => t.answer));
  });

  it('bad options fail with the argument named', async () => {
    const r = await cocodaInProcess(['tasks', 'sample', '--depth', '9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"--depth" to be an integer from 1 to 6/);
  });
});
