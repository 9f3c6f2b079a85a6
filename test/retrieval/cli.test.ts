import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { initLibrary, saveLibrary } from '../../src/library/store.ts';
import { cocoda, cocodaInProcess } from '../helpers/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cocoda-retrieve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

initLibrary(dir);
saveLibrary(
  dir,
  ToolDag.fromRecords([
    { name: 'add', signature: '(a: float, b: float) -> float', description: 'Add two numbers.', body: 'function add(a, b) { return a + b; }', origin: 'primitive' },
    { name: 'mul', signature: '(a: float, b: float) -> float', description: 'Multiply two numbers.', body: 'function mul(a, b) { return a * b; }', origin: 'primitive' },
    {
      name: 'sum_sq',
      signature: '(a: float, b: float) -> float',
      description: 'Sum of the squares of two numbers.',
      body: 'function sum_sq(a, b) { return add(mul(a, a), mul(b, b)); }',
      origin: 'composite',
    },
    { name: 'shout', signature: '(s: str) -> str', description: 'Upper-case a string.', body: 'function shout(s) { return s.toUpperCase(); }', origin: 'primitive' },
  ]),
);

// The CLI's main() in this process: same output and exit codes as the command.
const cli = (...args: string[]) => cocodaInProcess(args);

describe('cocoda retrieve', () => {
  it('--json: winner, stages, tokens, flatTokens', async () => {
    const r = await cli('retrieve', dir, '--sig', '(float, float) -> float', '--intent', 'sum of squares', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.winner).toBe('sum_sq');
    expect(j.depth).toBe(1);
    expect(j.children).toEqual(['add', 'mul', 'mul']);
    expect(j.flat).toBe(3);
    expect(j.stages.map((s: { stage: string }) => s.stage)).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect(j.stages[0]).toMatchObject({ survivors: 3, tokens: 0 });
    // add and mul are covered by sum_sq on the abstraction axis: only sum_sq's L2 card is shown
    expect(j.stages[1].survivors).toBe(1);
    expect(j.tokens).toBe(j.stages.reduce((s: number, x: { tokens: number }) => s + x.tokens, 0));
    expect(j.flatTokens).toBeGreaterThan(j.tokens);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['winner', 'stages', 'tokens', 'flatTokens']));
  });

  it('prints a table; null winner is not an error', async () => {
    const r = await cli('retrieve', dir, '--sig', '(str) -> str', '--intent', 'make it loud');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^winner: shout/);
    expect(r.stdout).toMatch(/flat retrieval would cost \d+/);
    const none = await cli('retrieve', dir, '--sig', '(bool) -> bool', '--intent', 'negate', '--json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).winner).toBeNull();
  });

  it('--args runs candidates in the sandbox', async () => {
    const r = await cli('retrieve', dir, '--sig', '(float, float) -> float', '--intent', 'sum of squares', '--args', '[3, 4]', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.winner).toBe('sum_sq');
    expect(j.rejected).toEqual([]);
    const bad = await cli('retrieve', dir, '--sig', '(float) -> float', '--intent', 'x', '--args', '[1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Expected "args" to be JSON/);
  });

  it('bad input: exit 1 with the argument template', async () => {
    const bad = await cli('retrieve', dir, '--sig', '(float -> ', '--intent', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Expected "signature" to be a valid signature/);
    const k2 = await cli('retrieve', dir, '--sig', '(float) -> float', '--intent', 'x', '--k2', '0');
    expect(k2.code).toBe(1);
    expect(k2.stderr).toMatch(/Expected "k2" to be a positive integer/);
    const intent = await cli('retrieve', dir, '--sig', '(float) -> float', '--intent', ' ');
    expect(intent.code).toBe(1);
    expect(intent.stderr).toMatch(/Expected "intent" to be a non-empty string/);
  });

  it('--batch FILE.jsonl: one result per line, in order; a bad line is reported on its line (exit 1)', async () => {
    const file = path.join(dir, 'goals.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ signature: '(float, float) -> float', intent: 'sum of squares' }),
        '',
        JSON.stringify({ sig: '(str) -> str', intent: 'make it loud' }),
        JSON.stringify({ signature: '(float -> ', intent: 'x' }),
        'not json',
        JSON.stringify({ signature: '(float, float) -> float', intent: 'sum of squares', args: [3, 4] }),
      ].join('\n') + '\n',
    );
    const r = await cli('retrieve', dir, '--batch', file);
    expect(r.code).toBe(1);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(out.map((x) => x.line)).toEqual([1, 3, 4, 5, 6]);
    expect(out[0].winner).toBe('sum_sq');
    expect(out[1].winner).toBe('shout');
    expect(out[2].error.message).toMatch(/Expected "signature" to be a valid signature/);
    expect(out[3].error.message).toMatch(/Expected "line 5" to be a JSON object/);
    expect(out[4].winner).toBe('sum_sq');
    expect(r.stderr).toMatch(/2 sub-goal lines failed/);
    // the same sub-goals one by one give the same answers
    const one = JSON.parse((await cli('retrieve', dir, '--sig', '(str) -> str', '--intent', 'make it loud', '--json')).stdout);
    expect(one.winner).toBe(out[1].winner);
    expect(one.ranked).toEqual(out[1].ranked);
    // stdin
    const piped = cocoda(['retrieve', dir, '--batch', '-'], { input: JSON.stringify({ signature: '(str) -> str', intent: 'loud' }) + '\n' });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout).winner).toBe('shout');
  });

  it('usage: --batch with --sig, or neither, is exit 2; the version cache is written beside the snapshot', async () => {
    expect((await cli('retrieve', dir, '--batch', 'x.jsonl', '--sig', '(str) -> str')).code).toBe(2);
    expect((await cli('retrieve', dir, '--intent', 'x')).code).toBe(2);
    expect((await cli('retrieve', dir, '--batch', path.join(dir, 'missing.jsonl'))).stderr).toMatch(/Expected "batch" to be a readable JSONL file/);
    expect(readdirSync(path.join(dir, 'versions')).some((f) => f.endsWith('.retrieval'))).toBe(true);
  });
});
