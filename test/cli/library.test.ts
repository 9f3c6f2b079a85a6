import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initLibrary, listVersions, saveLibrary } from '../../src/library/store.ts';
import { depthbenchFile } from '../../src/library/depthbench.ts';

import { cocodaInProcess } from '../helpers/cli.ts';

let tmp: string;
// The CLI's main() in this process: same output and exit codes as the command.
const cocoda = (...args: string[]) => cocodaInProcess(args);

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cocoda library import | show | stats', () => {
  it('imports the DepthBench tools into a new library and reports stats and tools as JSON', async () => {
    const lib = path.join(tmp, 'depthbench');
    const imp = await cocoda('library', 'import', lib, depthbenchFile('tools.json'), '--json');
    expect(imp.stderr).toBe('');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toEqual({ imported: 163, failed: [] });

    const stats = await cocoda('library', 'stats', lib, '--json');
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toEqual({ tools: 163, primitives: 163, composites: 0, edges: 0, maxDepth: 0, meanDepth: 0, version: 1 });

    const show = await cocoda('library', 'show', lib, 'BookSearchAPI', '--json');
    expect(show.code).toBe(0);
    const j = JSON.parse(show.stdout);
    expect(Object.keys(j)).toEqual(['name', 'signature', 'description', 'depth', 'flat', 'phi', 'children', 'tags', 'pre', 'post', 'conditions', 'complexity', 'examples', 'body', 'origin']);
    expect(j).toMatchObject({ name: 'BookSearchAPI', depth: 0, flat: 1, phi: 0, children: [], body: null, origin: 'imported' });
    expect(j.signature).toMatch(/^\(book_name: str, author\?: str\) -> \{books: list\[/);

    const human = await cocoda('library', 'show', lib, 'BookSearchAPI');
    expect(human.stdout).toContain('L1  (book_name: str, author?: str)');
    expect((await cocoda('library', 'stats', lib)).stdout).toContain('tools       163');
  });

  it('a failed spec never blocks the others; exit code 1 and each failure names the tool and field', async () => {
    const lib = path.join(tmp, 'mixed');
    const specs = path.join(tmp, 'mixed.json');
    writeFileSync(
      specs,
      JSON.stringify([
        { name: 'good', description: 'ok', parameters: { type: 'dict', properties: { q: { type: 'string' } }, required: ['q'] } },
        { name: 'weird', description: '', parameters: { type: 'dict', properties: { y: { type: 'foo' } } } },
        { name: 'good', description: 'again' },
      ]),
    );
    const r = await cocoda('library', 'import', lib, specs, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      imported: 1,
      failed: [
        { tool: 'weird', error: 'tool "weird": parameters.properties.y.type: unsupported type "foo"' },
        { tool: 'good', error: 'tool "good" appears twice in the batch' },
      ],
    });
    expect(JSON.parse((await cocoda('library', 'stats', lib, '--json')).stdout)).toMatchObject({ tools: 1, version: 1 });
    // importing only failures changes nothing (no new version)
    const again = await cocoda('library', 'import', lib, specs, '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).imported).toBe(0);
    expect(listVersions(lib).map((v) => v.version)).toEqual([0, 1]);
  });

  it('shows a composite with depth, flat, phi and children extracted from its body', async () => {
    const lib = path.join(tmp, 'comp');
    const { dag } = initLibrary(lib);
    const v = dag.add([
      { name: 'add', signature: '(float, float) -> float', body: 'function add(a, b) { return a + b; }', origin: 'primitive' },
      { name: 'mul', signature: '(float, float) -> float', body: 'function mul(a, b) { return a * b; }', origin: 'primitive' },
      {
        name: 'quadratic_expr',
        signature: '(float, float, float, float) -> float',
        description: 'Evaluate the quadratic a*x^2 + b*x + c at x.',
        tags: ['algebra', 'polynomial'],
        pre: 'Number.isFinite(a)',
        post: 'Number.isFinite(result)',
        complexity: 'O(1)',
        examples: [{ args: [1, -3, 2, 2], result: 0 }],
        body: 'function quadratic_expr(a, b, c, x) { return add(add(mul(a, mul(x, x)), mul(b, x)), c); }',
        origin: 'composite',
      },
    ]);
    saveLibrary(lib, v);
    const j = JSON.parse((await cocoda('library', 'show', lib, 'quadratic_expr', '--json')).stdout);
    expect(j).toMatchObject({ depth: 1, flat: 5, phi: 4, children: ['add', 'add', 'mul', 'mul', 'mul'], complexity: 'O(1)', examples: [{ args: [1, -3, 2, 2], result: 0 }] });
    const stats = JSON.parse((await cocoda('library', 'stats', lib, '--json')).stdout);
    expect(stats).toEqual({ tools: 3, primitives: 2, composites: 1, edges: 2, maxDepth: 1, meanDepth: 1 / 3, version: 1 });
    const human = (await cocoda('library', 'show', lib, 'mul')).stdout;
    expect(human).toContain('called by: quadratic_expr');
  });

  it('a corrupted newest snapshot: commands warn and use the previous version', async () => {
    const lib = path.join(tmp, 'corrupt');
    const { dag } = initLibrary(lib);
    const v1 = dag.add({ name: 'one', signature: '() -> int' });
    saveLibrary(lib, v1);
    const f2 = saveLibrary(lib, v1.add({ name: 'two', signature: '() -> int' }));
    const bytes = readFileSync(f2);
    writeFileSync(f2, bytes.subarray(0, bytes.length - 5));
    const r = await cocoda('library', 'stats', lib, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tools: 1, version: 1 });
    expect(r.stderr).toContain('ERR_SNAPSHOT_TRUNCATED');
    expect(r.stderr).toContain('000002.cocoda');
  });

  it('errors: unknown tool, bad specs file, foreign directory, missing library', async () => {
    const lib = path.join(tmp, 'depthbench');
    const unknown = await cocoda('library', 'show', lib, 'bookflight');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tool "bookflight"');
    expect(unknown.stderr).toContain('"BookFlight"');
    expect(unknown.stderr).toContain('[ERR_UNKNOWN_TOOL]');

    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{ not json');
    const r = await cocoda('library', 'import', path.join(tmp, 'never'), bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[ERR_SPECS_PARSE]');
    expect((await cocoda('library', 'stats', path.join(tmp, 'never'))).stderr).toContain('[ERR_NOT_A_LIBRARY]');

    const foreign = path.join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'x.txt'), 'x');
    expect((await cocoda('library', 'import', foreign, depthbenchFile('tools.json'))).stderr).toContain('[ERR_NOT_A_LIBRARY]');

    expect((await cocoda('library', 'show', lib)).code).toBe(2); // usage error
  });
});
