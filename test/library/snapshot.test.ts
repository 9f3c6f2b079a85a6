import { describe, expect, it } from 'vitest';
import { skipWithReason } from '../helpers/skip.ts';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ToolDag, type ToolInput } from '../../src/library/dag.ts';
import { fromBuffer, loadSnapshot, openSnapshot, saveSnapshot, toBuffer, HEADER_LENGTH } from '../../src/library/snapshot/index.ts';
import { decodeValue, encodeValue } from '../../src/library/values.ts';
import { CocodaError } from '../../src/errors.ts';

const SIGS = ['(float, float) -> float', '(x: int, y?: str) -> {a: list[int], b?: bool}', "(xs: list['a]) -> 'a", '() -> ?', '(enum["a", 1, true]) -> optional[dict[str, any]]'];
const ORIGINS = ['primitive', 'composite', 'imported', 'teacher', 'user'] as const;

/** Random libraries: tool i may call tools j < i (so the graph is a DAG), with multiplicity. */
const arbLibrary = fc
  .integer({ min: 0, max: 25 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          calls: i === 0 ? fc.constant([] as number[]) : fc.array(fc.integer({ min: 0, max: i - 1 }), { maxLength: 4 }),
          body: fc.boolean(),
          signature: fc.constantFrom(...SIGS),
          description: fc.string({ unit: 'grapheme', maxLength: 40 }),
          tags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
          pre: fc.string({ maxLength: 10 }),
          post: fc.string({ maxLength: 10 }),
          conditions: fc.string({ unit: 'grapheme-ascii', maxLength: 10 }),
          complexity: fc.constantFrom('', 'O(1)', 'O(n log n)'),
          examples: fc.array(
            fc.record({
              args: fc.array(fc.oneof(fc.jsonValue(), fc.constantFrom(NaN, Infinity, -Infinity, -0, undefined)), { maxLength: 3 }),
              result: fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.dictionary(fc.constantFrom('$n', '$u', '$o', 'k'), fc.integer())),
            }),
            { maxLength: 3 },
          ),
          origin: fc.constantFrom(...ORIGINS),
        }),
      ),
    ),
  )
  .map((specs) => {
    const recs: ToolInput[] = specs.map((s, i) => {
      const name = `t${i}`;
      // A tool with calls needs a body; one without may or may not have one.
      const hasBody = s.calls.length > 0 || s.body;
      const r: ToolInput = { name, signature: s.signature, description: s.description, tags: s.tags, pre: s.pre, post: s.post, conditions: s.conditions, complexity: s.complexity, examples: s.examples, origin: s.origin };
      if (hasBody) r.body = `function ${name}(a, b) { return ${s.calls.map((c) => `t${c}(a, b)`).join(' + ') || '0'}; }`;
      return r;
    });
    return ToolDag.empty().add(recs);
  });

function snapshotOf(dag: ToolDag) {
  return {
    version: dag.version,
    records: dag.records(),
    children: dag.names().map((n) => dag.children(n)),
    depth: Array.from(dag.depthArray()),
    flat: Array.from(dag.flatArray()),
    nominals: dag.nominalTypes,
  };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CocodaError ? e.code : (e as Error).name;
  }
  return undefined;
}

describe('example value encoding', () => {
  it('round-trips JSON plus NaN, ±Infinity, -0, undefined and $-keys', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.constantFrom(NaN, -0, Infinity, undefined, { $n: 'NaN' }, { $u: 1, x: [-0] }, { $o: { $o: 1 } })), (v) => {
        expect(decodeValue(encodeValue(v))).toStrictEqual(v);
      }),
    );
    expect(Object.is(decodeValue(encodeValue(-0)), -0)).toBe(true);
    expect(() => encodeValue(new Date())).toThrow(TypeError);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => encodeValue(cyc)).toThrow(TypeError);
  });

  it('the library rejects examples that cannot be stored, and lone surrogates', () => {
    expect(() => ToolDag.empty().add({ name: 'x', signature: '() -> int', examples: [{ args: [], result: new Map() }] })).toThrow(TypeError);
    expect(() => ToolDag.empty().add({ name: 'x', signature: '() -> int', description: 'bad \ud800' })).toThrow(RangeError);
  });
});

describe('snapshot buffers', () => {
  it('round trip is lossless (property test over random libraries)', () => {
    fc.assert(
      fc.property(arbLibrary, (dag) => {
        const back = fromBuffer(toBuffer(dag));
        expect(snapshotOf(back)).toStrictEqual(snapshotOf(dag));
        expect(Array.from(back.csr().offsets)).toEqual(Array.from(dag.csr().offsets));
        expect(Array.from(back.csr().targets)).toEqual(Array.from(dag.csr().targets));
      }),
      { numRuns: Number(process.env.COCODA_FC_RUNS ?? 150) },
    );
  });

  it('keeps a remote tool\'s MCP address; a remote tool has no body', () => {
    const remote = { protocol: 'mcp' as const, command: 'node', args: ['server.mjs'], tool: 'add', params: ['a', 'b'] };
    const dag = ToolDag.empty().add({ name: 'add', signature: '(a: float, b: float) -> ?', description: 'Add two numbers', origin: 'imported', remote });
    expect(fromBuffer(toBuffer(dag)).record('add')!.remote).toEqual(remote);
    expect(() => ToolDag.empty().add({ name: 'x', signature: '() -> int', remote: { ...remote, command: undefined } as never })).toThrow(/"x\.remote" to be either a command/);
    expect(() => ToolDag.empty().add({ name: 'x', signature: '() -> int', remote, body: 'function x() { return 1; }' })).toThrow(/"x\.remote"/);
  });

  it('keeps version numbers and the lossless round trip for an empty library', () => {
    const empty = ToolDag.empty();
    expect(fromBuffer(toBuffer(empty)).version).toBe(0);
    expect(fromBuffer(toBuffer(empty)).size).toBe(0);
  });

  it('a SharedArrayBuffer-backed snapshot opens zero-copy', () => {
    const dag = ToolDag.empty().add([
      { name: 'a', signature: '() -> int', body: 'function a() { return 1; }' },
      { name: 'b', signature: '() -> int', body: 'function b() { return a() + a(); }' },
    ]);
    const shared = toBuffer(dag, { shared: true });
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    const view = openSnapshot(shared, { verify: false });
    expect(view.version).toBe(dag.version);
    expect(view.size).toBe(2);
    expect(view.name(1)).toBe('b');
    const depth = view.depth();
    const flat = view.flat();
    const targets = view.targets();
    expect(depth.buffer).toBe(shared.buffer); // views, not copies
    expect(flat.buffer).toBe(shared.buffer);
    expect(Array.from(depth)).toEqual([0, 1]);
    expect(Array.from(flat)).toEqual([1, 2]);
    expect(Array.from(targets)).toEqual([0, 0]);
    expect(view.record(1).body).toBe('function b() { return a() + a(); }');
    expect(() => view.record(2)).toThrow(RangeError);
  });

  it('truncated, corrupted and foreign bytes give clear errors', () => {
    const dag = ToolDag.empty().add({ name: 'a', signature: '() -> int', description: 'hello' });
    const good = toBuffer(dag);
    expect(code(() => fromBuffer(good.subarray(0, good.length - 1)))).toBe('ERR_SNAPSHOT_TRUNCATED');
    expect(code(() => fromBuffer(good.subarray(0, 30)))).toBe('ERR_SNAPSHOT_TRUNCATED');
    expect(code(() => fromBuffer(new Uint8Array(0)))).toBe('ERR_SNAPSHOT_TRUNCATED');
    const flipped = good.slice();
    flipped[HEADER_LENGTH + 20]! ^= 0xff;
    expect(code(() => fromBuffer(flipped))).toBe('ERR_SNAPSHOT_CHECKSUM');
    const foreign = new TextEncoder().encode('{"not": "a snapshot"}');
    expect(code(() => fromBuffer(foreign))).toBe('ERR_SNAPSHOT_MAGIC');
    const future = good.slice();
    new DataView(future.buffer).setUint32(8, 99, true);
    expect(code(() => fromBuffer(future))).toBe('ERR_SNAPSHOT_FORMAT');
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(code(() => fromBuffer(longer))).toBe('ERR_SNAPSHOT_CORRUPT');
    // Valid checksum over a garbage payload (a buggy writer): structure checks still catch it.
    const garbage = good.slice();
    garbage.fill(0x41, HEADER_LENGTH + 8);
    expect(code(() => fromBuffer(garbage, { verify: false }))).toBe('ERR_SNAPSHOT_CORRUPT');
  });

  it('any single-byte corruption is detected', () => {
    const dag = ToolDag.empty().add([{ name: 'a', signature: '() -> int' }, { name: 'b', signature: '() -> int', body: 'function b() { return a(); }' }]);
    const good = toBuffer(dag);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = good.slice();
        bad[i]! ^= x;
        const c = code(() => fromBuffer(bad));
        expect(c).toMatch(/^ERR_SNAPSHOT_/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('snapshot files', () => {
  it('save is atomic and load names the file in its errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cocoda-snap-'));
    try {
      const dag = ToolDag.empty().add({ name: 'a', signature: '() -> int' });
      const file = path.join(dir, 'lib.cocoda');
      saveSnapshot(file, dag);
      expect(snapshotOf(loadSnapshot(file))).toStrictEqual(snapshotOf(dag));
      const bytes = readFileSync(file);
      writeFileSync(file, bytes.subarray(0, bytes.length - 7));
      let err: CocodaError | undefined;
      try {
        loadSnapshot(file);
      } catch (e) {
        err = e as CocodaError;
      }
      expect(err?.code).toBe('ERR_SNAPSHOT_TRUNCATED');
      expect(err?.message).toContain(JSON.stringify(file));
      expect(code(() => loadSnapshot(path.join(dir, 'nope.cocoda')))).toBe('ERR_SNAPSHOT_MISSING');
      // no temp files left behind
      expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).trim()).toBe('lib.cocoda');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('schema conformance (flatc)', () => {
  let flatc: string | null = null;
  try {
    execFileSync('flatc', ['--version'], { stdio: 'pipe' });
    flatc = 'flatc';
  } catch {
    flatc = null;
  }
  it('flatc decodes our payload with library.fbs', (ctx) => {
    skipWithReason(ctx, !flatc && 'flatc not installed (Debian package flatbuffers-compiler; .ci/run installs it)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cocoda-flatc-'));
    try {
      const dag = ToolDag.empty().add([
        { name: 'a', signature: '() -> int', tags: ['x', 'y'], examples: [{ args: [1], result: 2 }], origin: 'imported' },
        { name: 'b', signature: '() -> int', body: 'function b() { return a() + a(); }', origin: 'teacher', complexity: 'O(1)' },
      ]);
      const bytes = toBuffer(dag);
      const bin = path.join(dir, 'lib.bin');
      writeFileSync(bin, bytes.subarray(HEADER_LENGTH));
      const schema = path.resolve('src/library/snapshot/library.fbs');
      execFileSync('flatc', ['--json', '--strict-json', '--raw-binary', '-o', dir, schema, '--', bin]);
      const json = JSON.parse(readFileSync(path.join(dir, 'lib.json'), 'utf8'));
      expect(json.version).toBe(1);
      expect(json.tools.map((t: { name: string }) => t.name)).toEqual(['a', 'b']);
      expect(json.tools[0]).toMatchObject({ name: 'a', signature: '() -> int', tags: ['x', 'y'], origin: 'imported', examples: [{ args_json: '[1]', result_json: '2' }] });
      expect(json.tools[1]).toMatchObject({ body: 'function b() { return a() + a(); }', origin: 'teacher', complexity: 'O(1)' });
      expect(json.child_offsets).toEqual([0, 0, 2]);
      expect(json.child_targets).toEqual([0, 0]);
      expect(json.depth).toEqual([0, 1]);
      expect(json.flat).toEqual([1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('example values with a "__proto__" key', () => {
  it('stay own properties through encode/decode and a snapshot', () => {
    const v = JSON.parse('{"__proto__": {"x": 1}, "a": [ {"__proto__": 0} ]}');
    expect(decodeValue(encodeValue(v))).toStrictEqual(v);
    const dag = ToolDag.empty().add({ name: 'p', signature: '() -> any', examples: [{ args: [v], result: v }] });
    expect(fromBuffer(toBuffer(dag)).record('p')!.examples).toStrictEqual(dag.record('p')!.examples);
    expect(Object.getPrototypeOf(decodeValue(encodeValue(v)))).toBe(Object.prototype);
  });
});
