/**
 * `cocoda library init|add` and `cocoda run`, driven through the CLI entry point in-process
 * (plus one real subprocess for the exit code), including the README's tool file example.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cocodaAsync, cocodaInProcess } from '../helpers/cli.ts';
import { openLibrary, saveLibrary } from '../../src/library/store.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let tmp: string;
let lib: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'cocoda-cli-'));
  lib = path.join(tmp, 'lib');
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// The CLI's main() in this process: same output and exit codes as the command.
const cli = (...args: string[]) => cocodaInProcess(args);

function file(name: string, content: string | object): string {
  const p = path.join(tmp, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
}

/** The JSON block of the docs/sandbox.md section "Writing a tool file". */
function readmeToolFile(): string {
  const readme = readFileSync(path.join(ROOT, 'docs', 'sandbox.md'), 'utf8');
  const at = readme.indexOf('## Writing a tool file');
  expect(at, 'docs/sandbox.md has a "Writing a tool file" section').toBeGreaterThanOrEqual(0);
  const m = /```json\n([\s\S]*?)\n```/.exec(readme.slice(at));
  expect(m, 'the section has a ```json block').not.toBeNull();
  return m![1]!;
}

const version = (): number => openLibrary(lib).dag.version;

describe('cocoda library init / add and cocoda run', () => {
  it('init creates a library holding the primitives, once', async () => {
    const r = await cli('library', 'init', lib);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^initialised .*: 44 tools \(43 primitives, 1 composite\), library version 1\n$/) });
    const again = await cli('library', 'init', lib);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already is a cocoda library \[ERR_LIBRARY_EXISTS\]/);
  });

  it('adds the README tool file (quadratic_expr) and runs it', async () => {
    const f = file('quadratic_expr.json', readmeToolFile());
    const r = await cli('library', 'add', lib, f);
    expect(r).toEqual({ code: 0, stdout: 'ADD: composite quadratic_expr (depth 1, children add ×2, mul ×2, pow_int)\n', stderr: '' });
    expect(version()).toBe(2);
    const run = await cli('run', lib, 'quadratic_expr', '[1, -3, 2, 2]');
    expect(run).toEqual({ code: 0, stdout: '0\n', stderr: '' });
    const traced = await cli('run', lib, 'quadratic_expr', '[2, 0, -1, 3]', '--trace');
    expect(traced.stdout).toMatch(/^17\nquadratic_expr\(2, 0, -1, 3\) -> 17 {2}\[[\d.]+ ms\]\n {2}pow_int\(3, 2\) -> 9/);
    const js = await cli('run', lib, 'quadratic_expr', '[0, 1, 0, 5]', '--json');
    const parsed = JSON.parse(js.stdout) as { result: number; trace: { tool: string; calls: unknown[] } };
    expect(parsed.result).toBe(5);
    expect(parsed.trace.tool).toBe('quadratic_expr');
    expect(parsed.trace.calls).toHaveLength(5);
    // adding it again merges into itself: nothing new
    expect((await cli('library', 'add', lib, f)).stdout).toMatch(/^MERGE: quadratic_expr into the existing quadratic_expr/);
    expect(version()).toBe(2);
    expect((await cli('library', 'add', lib, f, '--json')).stdout).toMatch(/"action":"MERGE","code":"MERGED"/);
  });

  it('adds a tool from a JS module whose body is a function', async () => {
    const f = file('hyp.mjs', `export default {
  name: 'hypot2', signature: '(a: float, b: float) -> float', description: 'Length of the hypotenuse.',
  tags: ['geometry'], pre: 'a >= 0 && b >= 0', post: 'result >= a && result >= b', complexity: 'O(1)',
  examples: [{ args: [3, 4], result: 5 }, { args: [0, 2], result: 2 }],
  body: function hypot2(a, b) { return sqrt(add(mul(a, a), mul(b, b))); },
};\n`);
    const r = await cli('library', 'add', lib, f);
    expect(r).toMatchObject({ code: 0, stdout: 'ADD: composite hypot2 (depth 1, children sqrt, add, mul ×2)\n' });
    expect((await cli('run', lib, 'hypot2', '[6, 8]')).stdout).toBe('10\n');
  });

  it('rejects bad tool files with the tool and the field named, exit 3, library unchanged', async () => {
    const v = version();
    const good = JSON.parse(readmeToolFile()) as Record<string, unknown>;
    const base = { ...good, name: 'quad2', body: String(good.body).replace('function quadratic_expr', 'function quad2') };
    const cases: Array<[string, string | object, RegExp]> = [
      ['missing.json', { ...base, description: undefined }, /^REJECT: tool "quad2": field "description" is missing/],
      ['noparse.json', { ...base, body: 'function quad2(a, b, c, x) { return add(a, ; }' }, /^REJECT: tool "quad2": body: does not parse: Unexpected token/],
      ['throws.json', { ...base, body: 'function quad2(a, b, c, x) { throw new Error("not today"); }' }, /^REJECT: example 0 quad2\(1, -3, 2, 2\) fails: not today \[ERR_EXEC_THROW\]/],
      ['loops.json', { ...base, body: 'function quad2(a, b, c, x) { while (true) {} }' }, /^REJECT: example 0 .* did not return within 300 ms .*\[ERR_EXEC_TIMEOUT\]/],
      ['wrong.json', { ...base, examples: [{ args: [1, 1, 1, 1], result: 4 }] }, /^REJECT: example 0 quad2\(1, 1, 1, 1\) returns 3, expected 4/],
      ['cycle.json', { ...base, body: 'function quad2(a, b, c, x) { return quad2(a, b, c, x); }' }, /^REJECT: cycle: "quad2" calls itself/],
      ['unknown.json', { ...base, body: 'function quad2(a, b, c, x) { return cube(x); }' }, /^REJECT: tool "quad2": body calls "cube", which does not exist/],
      ['undef.mjs', `export default ${JSON.stringify({ ...base, examples: [] }).replace('"examples":[]', 'examples: [{ args: [1, 2, 3, 4], result: undefined }]')};\n`, /^REJECT: tool "quad2": examples\[0\].result is undefined, not plain data/],
      ['date.mjs', `export default ${JSON.stringify({ ...base, examples: [] }).replace('"examples":[]', 'examples: [{ args: [new Date(0), 2, 3, 4], result: 1 }]')};\n`, /^REJECT: tool "quad2": examples\[0\].args\[0\] is a Date instance/],
      ['tags.json', { ...base, tags: 'algebra' }, /^REJECT: tool "quad2": field "tags" must be an array of strings/],
    ];
    for (const [name, content, re] of cases) {
      const r = await cli('library', 'add', lib, file(name, content), ...(name === 'loops.json' ? ['--timeout', '300'] : []));
      expect(r.code, name).toBe(3);
      expect(r.stdout, name).toMatch(re);
      expect(version(), name).toBe(v);
    }
  });

  it('reports unreadable files and bad arguments without touching the library', async () => {
    const v = version();
    expect(await cli('library', 'add', lib, path.join(tmp, 'nope.json'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read tool file .*no such file \[ERR_TOOL_FILE\]/) });
    expect(await cli('library', 'add', lib, file('bad.json', '{ "name": '))).toMatchObject({ code: 1, stderr: expect.stringMatching(/is not valid JSON/) });
    expect(await cli('library', 'add', lib, file('arr.json', '[]'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/must hold one tool record/) });
    expect(await cli('run', lib, 'add', '1, 2')).toMatchObject({ code: 1, stderr: expect.stringMatching(/ARGS_JSON/) });
    expect(version()).toBe(v);
  });

  it('run reports failures with their reason and a non-zero exit', async () => {
    const div = await cli('run', lib, 'div', '[1, 0]');
    expect(div).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^cocoda: run div failed: pre-condition of "div" violated: .*\[ERR_PRE_VIOLATED\]\n$/) });
    expect(await cli('run', lib, 'div', '[1, 0]', '--no-contracts')).toMatchObject({ code: 0, stdout: '"Infinity"\n' });
    const dj = await cli('run', lib, 'div', '[1, 0]', '--json');
    expect(dj.code).toBe(1);
    expect(JSON.parse(dj.stdout)).toMatchObject({ error: { code: 'ERR_PRE_VIOLATED', tool: 'div' } });
    expect(await cli('run', lib, 'nope', '[]')).toMatchObject({ code: 1, stderr: expect.stringMatching(/no tool "nope"/) });
  });

  it('run explains that an imported tool without a body cannot run', async () => {
    const dag = openLibrary(lib).dag;
    saveLibrary(lib, dag.add({ name: 'weather_now', signature: '(city: str) -> str', description: 'Current weather.', origin: 'imported' }));
    const r = await cli('run', lib, 'weather_now', '["Oslo"]');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tool "weather_now": body: none — "weather_now" is a schema-only tool \(origin imported\) and cannot be executed \[ERR_NO_BODY\]/);
  });

  it('exits 3 on REJECT as a real process', async () => {
    const f = file('real.json', { ...JSON.parse(readmeToolFile()), name: 'q3', body: 'function q3(a, b, c, x) { return 0; }' });
    const real = await cocodaAsync(['library', 'add', lib, f]);
    expect(real.code).toBe(3);
    expect(real.stdout).toMatch(/^REJECT: example 1 q3\(2, 0, -1, 3\) violates q3's own post-condition/);
  });
});
