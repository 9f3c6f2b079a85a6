/**
 * CLI contracts users script against: exact JSON keys and exit codes of `library init | add`,
 * `run` (issue 3) and `policy bench` (issue 6), through the CLI's `main()` in-process (same
 * output and exit code as the command); the exit codes 3 (REJECT) and 1 (failed run) are also
 * checked on real processes, which is what a shell script sees. The in-process tests of each
 * concept cover the messages in depth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initLibrary, saveLibrary } from '../../src/library/store.ts';
import { cocoda as spawnCocoda, cocodaInProcess as cocoda } from '../helpers/cli.ts';

let tmp: string;

const versions = (lib: string): string[] => readdirSync(path.join(lib, 'versions')).sort();

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-contracts-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TWICE_ADD = {
  name: 'twice_add',
  signature: '(a: float, b: float) -> float',
  description: 'Twice the sum of two numbers.',
  tags: ['arithmetic'],
  pre: 'Number.isFinite(a) && Number.isFinite(b)',
  post: 'result === 2 * (a + b)',
  complexity: 'O(1)',
  examples: [{ args: [1, 2], result: 6 }],
  body: 'function twice_add(a, b) { return mul(2, add(a, b)); }',
};

describe('cocoda library init | add and cocoda run', () => {
  it('init, then add prints ADD/MERGE (exit 0) or REJECT (exit 3, library unchanged); run prints result, trace and failures', async () => {
    const lib = path.join(tmp, 'lib');
    const init = await cocoda(['library', 'init', lib, '--json']);
    expect(init.code).toBe(0);
    const info = JSON.parse(init.stdout) as Record<string, unknown>;
    expect(Object.keys(info)).toEqual(['dir', 'version', 'tools', 'primitives', 'composites']);
    expect(info.primitives).toBeGreaterThanOrEqual(40);
    const v0 = versions(lib);

    const good = path.join(tmp, 'twice_add.json');
    writeFileSync(good, JSON.stringify(TWICE_ADD));
    const add = await cocoda(['library', 'add', lib, good]);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/^ADD: composite twice_add \(depth 1, children mul, add\)\n$/);
    expect(versions(lib).length).toBe(v0.length + 1);

    const merge = await cocoda(['library', 'add', lib, good, '--json']);
    expect(merge.code).toBe(0);
    const m = JSON.parse(merge.stdout) as Record<string, unknown>;
    expect(m).toMatchObject({ action: 'MERGE', tool: 'twice_add', mergedInto: 'twice_add' });
    expect(String(m.reason)).toMatch(/^MERGE: /);

    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...TWICE_ADD, name: 'thrice', body: 'function thrice(a, b) { return add(a, ; }' }));
    const before = versions(lib);
    const rej = spawnCocoda(['library', 'add', lib, bad]);
    expect(rej.code).toBe(3);
    expect(rej.stdout).toMatch(/^REJECT: tool "thrice": body: does not parse/);
    const rejJson = await cocoda(['library', 'add', lib, bad, '--json']);
    expect(rejJson.code).toBe(3);
    expect(JSON.parse(rejJson.stdout)).toMatchObject({ action: 'REJECT', tool: 'thrice' });
    expect(versions(lib)).toEqual(before);

    // run: result, --json keys, --trace, failure exit code and reason
    expect(await cocoda(['run', lib, 'twice_add', '[1, 2]'])).toMatchObject({ code: 0, stdout: '6\n', stderr: '' });
    const rj = await cocoda(['run', lib, 'twice_add', '[1, 2]', '--json']);
    expect(rj.code).toBe(0);
    const doc = JSON.parse(rj.stdout) as { result: unknown; trace: { tool: string; calls: Array<{ tool: string }> } };
    expect(Object.keys(doc)).toEqual(['result', 'trace']);
    expect(doc.result).toBe(6);
    expect(doc.trace.tool).toBe('twice_add');
    expect(doc.trace.calls.map((c) => c.tool)).toEqual(['add', 'mul']);
    const tr = await cocoda(['run', lib, 'twice_add', '[1, 2]', '--trace']);
    expect(tr.code).toBe(0);
    expect(tr.stdout).toMatch(/^6\ntwice_add\(1, 2\) -> 6 .*\n  add\(1, 2\) -> 3 .*\n  mul\(2, 3\) -> 6 /);

    const fail = spawnCocoda(['run', lib, 'div', '[1, 0]', '--json']);
    expect(fail.code).toBe(1);
    const f = JSON.parse(fail.stdout) as Record<string, unknown>;
    expect(Object.keys(f)).toEqual(['error', 'trace']);
    expect(f.error).toMatchObject({ code: 'ERR_PRE_VIOLATED', tool: 'div' });
    expect(fail.stderr).toMatch(/^cocoda: run div failed: pre-condition of "div" violated: .* \[ERR_PRE_VIOLATED\]\n$/);
    // a missing argument fails the tool's own pre-condition; no internal value marker leaks
    const missing = await cocoda(['run', lib, 'twice_add', '[1]']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^cocoda: run twice_add failed: pre-condition of "twice_add" violated: .* with args \[1\] \[ERR_PRE_VIOLATED\]\n$/);
    expect(missing.stderr).not.toMatch(/u0000/);
  });
});

describe('cocoda library show --json', () => {
  it('prints non-finite example values as strings, like cocoda run, instead of null', async () => {
    const lib = path.join(tmp, 'inf');
    const { dag } = initLibrary(lib);
    saveLibrary(lib, dag.add({ name: 'inv', signature: '(x: float) -> float', body: 'function inv(x) { return 1 / x; }', examples: [{ args: [0], result: Infinity }, { args: [-0.5], result: -2 }] }));
    const r = await cocoda(['library', 'show', lib, 'inv', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).examples).toEqual([{ args: [0], result: 'Infinity' }, { args: [-0.5], result: -2 }]);
  });
});

describe('cocoda policy bench', () => {
  it('--json prints backend, rows of {params, trainTokPerSec, sampleTokPerSec, gflops} and peakGflops', async () => {
    const r = await cocoda(['policy', 'bench', '--sizes', 'small', '--seconds', '0.01', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { backend: string; rows: Array<Record<string, unknown>>; peakGflops: number };
    expect(doc).toMatchObject({ backend: 'wasm' });
    expect(Number.isFinite(doc.peakGflops) && doc.peakGflops > 0).toBe(true);
    expect(doc.rows).toHaveLength(1);
    for (const k of ['params', 'trainTokPerSec', 'sampleTokPerSec', 'gflops']) {
      const v = doc.rows[0]![k];
      expect(typeof v === 'number' && Number.isFinite(v) && v > 0, k).toBe(true);
    }
  });

  it('an unknown backend or size fails with a clear message and a non-zero exit', async () => {
    const b = await cocoda(['policy', 'bench', '--backend', 'gpu9000', '--json']);
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/"backend" to be one of wasm, cpu, tensorflow, torch \(got "gpu9000"\)/);
    const s = await cocoda(['policy', 'bench', '--sizes', 'huge']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/"--sizes" to be names from small, medium, large \(got "huge"\)/);
  });
});
