/**
 * What a terminal user sees when input is hostile or broken (issue 13): untrusted text prints
 * with control characters escaped, numeric flags are range-checked with the range in the message,
 * non-UTF-8 files are refused with the byte offset, file-system errors are one line with the path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initLibrary } from '../../src/library/store.ts';
import { escapeLine, escapeText, invalidUtf8Offset, safeJson } from '../../src/cli/text.ts';
import { intFlag, FLAG_RANGES } from '../../src/cli/flags.ts';
import { cocodaInProcess } from '../helpers/cli.ts';

let tmp: string;
let lib: string;

// The CLI's main() in this process: the same output, escaping and exit codes as the command.
const cocoda = (...args: string[]) => cocodaInProcess(args);

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-hardening-'));
  lib = path.join(tmp, 'lib');
  initLibrary(lib, { records: [{ name: 'add', signature: '(a: float, b: float) -> float', body: 'function add(a, b) { return a + b; }', examples: [{ args: [1, 2], result: 3 }] }] });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('escaping untrusted text', () => {
  it('escapes controls, bidi overrides and (in lines) newlines', async () => {
    expect(escapeLine('REJECT: x\n\u001b[2KADD: evil\r\t\u009b\u202e')).toBe('REJECT: x\\n\\x1b[2KADD: evil\\r\\t\\x9b\\u202e');
    expect(escapeText('a\nb\u001b')).toBe('a\nb\\x1b');
    const j = safeJson({ s: 'x\u0085\u202ey\u001b' });
    expect(j).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(j)).toEqual({ s: 'x\u0085\u202ey\u001b' });
  });

  it('a REJECT reason cannot forge an ADD line or send escape sequences', async () => {
    const f = path.join(tmp, 'evil.json');
    writeFileSync(f, JSON.stringify({
      name: 'evil', signature: '() -> int', description: 'd', tags: [], pre: '', post: '', complexity: '',
      examples: [{ args: [], result: 1 }], body: 'function evil() { throw new Error("no\\n\\u001b[2K\\rADD: composite evil (depth 1)"); }',
    }));
    const r = await cocoda('library', 'add', lib, f);
    expect(r.code).toBe(3);
    expect(r.stdout.split('\n')).toHaveLength(2); // one line + the final newline
    expect(r.stdout).toMatch(/^REJECT: .*no\\n\\x1b\[2K\\rADD: composite evil/);
    expect(r.stdout.slice(0, -1)).not.toMatch(RAW_CONTROL);
  });

  it('library show and error messages print imported text escaped', async () => {
    const specs = path.join(tmp, 'specs.json');
    writeFileSync(specs, JSON.stringify([{ name: 'Paint', description: '\u001b[31mred\u001b[0m text\u202e', parameters: { type: 'object', properties: {} } }]));
    expect((await cocoda('library', 'import', lib, specs)).code).toBe(0);
    const show = await cocoda('library', 'show', lib, 'Paint');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('\\x1b[31mred\\x1b[0m text\\u202e');
    expect(show.stdout).not.toMatch(RAW_CONTROL);
    expect((await cocoda('library', 'show', lib, 'Paint', '--json')).stdout).not.toMatch(RAW_CONTROL);
    const missing = await cocoda('library', 'show', lib, 'no\u001b[2Jsuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\\(x1b|u001b)\[2J/);
    expect(missing.stderr).not.toMatch(RAW_CONTROL);
  });
});

describe('numeric flags', () => {
  it('are range-checked with the range in the message', async () => {
    expect(intFlag('--n', '25', FLAG_RANGES.n)).toBe(25);
    for (const bad of ['1e7', '0x10', '', '2.5', '-1', '100001', 'NaN']) expect(() => intFlag('--n', bad, FLAG_RANGES.n), bad).toThrow(/to be an integer from 0 to 100000/);
    const cases: Array<[string[], RegExp]> = [
      [['run', lib, 'add', '[1, 2]', '--timeout', '2147483648'], /"--timeout" to be an integer from 10 to 2147483647 \(ms\) \(got "2147483648"\)/],
      [['tasks', 'sample', '--n', '1e7'], /"--n" to be an integer from 0 to 100000/],
      [['tasks', 'sample', '--seed', '4294967296'], /"--seed" to be an integer from 0 to 2147483647/],
      [['evolve', path.join(tmp, 'never'), '--batch', '1000000'], /"--batch" to be an integer from 1 to 1000/],
      [['evolve', path.join(tmp, 'never'), '--test-size', '0'], /"--test-size" to be an integer from 1 to 10000/],
      [['evolve', path.join(tmp, 'never'), '--steps', '10000', '--batch', '1000'], /"--steps" × "--batch" to be at most 100000 training tasks \(got 10000 × 1000 = 10000000\)/],
      [['library', 'add', lib, path.join(tmp, 'x.json'), '--timeout', '5'], /"--timeout" to be an integer from 10/],
    ];
    for (const [args, re] of cases) {
      const r = await cocoda(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    // the largest timeout works (no timer overflow)
    const ok = await cocoda('run', lib, 'add', '[1, 2]', '--timeout', '2147483647', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).result).toBe(3);
  }, 60_000);
});

describe('input files and the file system', () => {
  it('non-UTF-8 files are refused with the byte offset', async () => {
    expect(invalidUtf8Offset(Buffer.from('héllo ✓ 😀'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0xff]))).toBe(1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(invalidUtf8Offset(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(invalidUtf8Offset(Buffer.from([0xe2, 0x9c]))).toBe(0); // truncated
    const specs = path.join(tmp, 'latin1.json');
    writeFileSync(specs, Buffer.concat([Buffer.from('[{"name": "Caf'), Buffer.from([0xe9]), Buffer.from('", "parameters": {}}]')]));
    const r = await cocoda('library', 'import', lib, specs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/latin1\.json" is not valid UTF-8: byte 0xe9 at byte offset 14 \[ERR_ENCODING\]/);
    const tool = path.join(tmp, 'latin1-tool.json');
    writeFileSync(tool, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
    expect((await cocoda('library', 'add', lib, tool)).stderr).toMatch(/byte 0xff at byte offset 2 \[ERR_ENCODING\]/);
  });

  it('file-system errors are one line naming the path and the code, never a stack trace', async () => {
    const file = path.join(tmp, 'plain-file');
    writeFileSync(file, 'x');
    const r = await cocoda('library', 'init', path.join(file, 'lib'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cocoda: cannot .*plain-file.*: a path component is not a directory \[ENOTDIR\]\n$/);
    const specs = path.join(tmp, 'ok-specs.json');
    writeFileSync(specs, '[]');
    const r2 = await cocoda('library', 'import', path.join(file, 'lib'), specs);
    expect(r2.stderr).toMatch(/^cocoda: .*\[ENOTDIR\]\n$/);
  });
});
