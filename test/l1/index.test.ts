import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildL1Index, nativeL1Unify, scanL1, type L1Index } from '../../src/l1/index.ts';
import type { Param, Signature, Type } from '../../src/types/ast.ts';
import { parseSignature, TypeRegistry, unifySignature } from '../../src/types/index.ts';
import { CocodaError } from '../../src/errors.ts';
import { eachBackend, hasNative } from '../helpers/backends.ts';
import { needNative, needNoNative } from '../helpers/skip.ts';
import { arbSignature, arbType, NOMINALS } from '../types/arbitrary.ts';

const registry = new TypeRegistry(NOMINALS);
type Build = (ids: ArrayLike<number>, sigs: ReadonlyArray<Signature | string>) => L1Index;
const tsBuild: Build = (ids, sigs) => buildL1Index(ids, sigs, { backend: 'ts', registry });
const nativeBuild: Build | null = hasNative() ? (ids, sigs) => buildL1Index(ids, sigs, { backend: 'native', registry }) : null;
const backends = eachBackend(tsBuild, nativeBuild);

/** Replace tool variables by concrete types so a derived query is a plausible sub-goal. */
function concretize(t: Type, pick: Type): Type {
  switch (t.kind) {
    case 'var': return pick;
    case 'list': return { kind: 'list', elem: concretize(t.elem, pick) };
    case 'optional': return { kind: 'optional', inner: concretize(t.inner, pick) };
    case 'dict': return { kind: 'dict', key: concretize(t.key, pick), value: concretize(t.value, pick) };
    case 'tuple': return { kind: 'tuple', elems: t.elems.map((e) => concretize(e, pick)) };
    case 'record': return { kind: 'record', fields: t.fields.map((f) => ({ ...f, type: concretize(f.type, pick) })) };
    case 'callable': return { kind: 'callable', params: t.params.map((p) => concretize(p, pick)), result: concretize(t.result, pick) };
    default: return t;
  }
}

/** Queries derived from tools (so that many hit), with variations; plus fully random ones. */
function arbQuery(tools: Signature[]): fc.Arbitrary<Signature> {
  const random = arbSignature({ vars: ['g'], depth: 2 });
  const derived = fc
    .tuple(fc.integer({ min: 0, max: tools.length - 1 }), arbType({ vars: [], depth: 1 }), fc.constantFrom('keep', 'any', 'float', 'unknown'), fc.boolean(), fc.boolean())
    .map(([i, pick, res, dropOptional, positional]): Signature => {
      const t = tools[i]!;
      let params: Param[] = t.params
        .filter((p) => !(dropOptional && p.optional))
        .map((p) => ({ ...p, type: concretize(p.type, pick), optional: false }));
      if (positional) params = params.map((p) => ({ type: p.type, optional: false }));
      const result: Type =
        res === 'keep' ? concretize(t.result, pick) : res === 'unknown' ? { kind: 'unknown' } : { kind: 'base', name: res === 'any' ? 'any' : 'float' };
      return { params, result };
    });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 2, arbitrary: derived });
}

const toolArb = arbSignature({ vars: ['a', 'b'], depth: 2 });

describe('L1 index: native = TS twin = brute-force scan', () => {
  it('10,000 random signatures, 1,000 random queries (fixed seed)', () => {
    const tools = fc.sample(toolArb, { numRuns: 10_000, seed: 20261122 });
    const ids = tools.map((_, i) => i * 3 + 7); // ids not equal to positions
    const queries = fc.sample(arbQuery(tools), { numRuns: 1_000, seed: 7 });
    const expected = queries.map((q) => scanL1(ids, tools, q));
    const hits = expected.reduce((a, e) => a + e.length, 0);
    expect(hits).toBeGreaterThan(1_000); // the queries are not vacuous
    for (const [name, build] of backends) {
      const ix = build(ids, tools);
      expect(ix.backend).toBe(name);
      expect(ix.size).toBe(10_000);
      const got = ix.queryBatch(queries);
      for (let q = 0; q < queries.length; q++) {
        if (got[q]!.join() !== expected[q]!.join()) {
          throw new Error(`${name} disagrees with the scan on query ${JSON.stringify(queries[q])}: got [${got[q]}], want [${expected[q]}]`);
        }
      }
      // single queries agree with the batch
      for (let q = 0; q < 50; q++) expect([...ix.query(queries[q]!)]).toEqual([...got[q]!]);
    }
  });

  it('small random libraries (property, shrinking)', () => {
    fc.assert(
      fc.property(fc.array(toolArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 1 << 30 }), (tools, seed) => {
        const ids = tools.map((_, i) => 1000 - i);
        const queries = fc.sample(arbQuery(tools), { numRuns: 20, seed });
        for (const [, build] of backends) {
          const ix = build(ids, tools);
          const got = ix.queryBatch(queries);
          queries.forEach((q, i) => expect([...got[i]!]).toEqual([...scanL1(ids, tools, q)]));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('native unifier = TypeScript unifier on random pairs', (ctx) => {
    needNative(ctx);
    fc.assert(
      fc.property(arbSignature({ vars: ['g'], depth: 3 }), arbSignature({ vars: ['a', 'b'], depth: 3 }), (g, t) => {
        expect(nativeL1Unify(g, t)).toBe(unifySignature(g, t) !== null);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('L1 index: behaviour', () => {
  const sigs = ['(float, float) -> float', '(word: str, limit?: int) -> ?', "(list['a]) -> 'a", '(int) -> int', "('a, 'a) -> 'a", '(x: optional[int]) -> bool', '() -> DataFrame'];
  const ids = [10, 11, 12, 13, 14, 15, 16];
  it.each(backends)('%s: examples', (_name, build) => {
    const ix = build(ids, sigs);
    const q = (s: string) => [...ix.query(s)];
    expect(q('(int, int) -> float')).toEqual([10, 14]);
    expect(q('(word: str) -> any')).toEqual([11]);
    expect(q('(word: str, limit: int) -> list[str]')).toEqual([11]);
    expect(q('(limit: int) -> any')).toEqual([13]); // unnamed tool: by position
    expect(q('(limit: int) -> str')).toEqual([]);
    expect(q('(list[int]) -> float')).toEqual([12]);
    expect(q('(int) -> int')).toEqual([13, 15]);
    expect(q('(x: none) -> int')).toEqual([15]);
    expect(q('() -> any')).toEqual([16]);
    expect(q('(Date) -> any')).toEqual([]);
    expect(q('(Date, Date) -> any')).toEqual([14]);
    expect(ix.queryBatch([]).length).toBe(0);
    const empty = build([], []);
    expect([...empty.query('(int) -> int')]).toEqual([]);
  });

  it('reports the live backend', () => {
    expect(buildL1Index([], [], { backend: 'ts' }).backend).toBe('ts');
    const auto = buildL1Index([], []);
    expect(auto.backend).toBe(hasNative() ? 'native' : 'ts');
  });
});

describe('L1 index: bad input', () => {
  it('malformed, unknown and wrong-arity signatures', () => {
    const e = (() => {
      try {
        buildL1Index([1], ['(int, float -> float']);
      } catch (err) {
        return err as CocodaError;
      }
    })()!;
    expect(e).toBeInstanceOf(CocodaError);
    expect(e.message).toBe(`Expected ')' at column 12 in "(int, float -> float"`);
    expect(() => buildL1Index([1], ['(Foo) -> int'])).toThrow(/Unknown type "Foo" at column 1/);
    expect(() => buildL1Index([1], ['(dict[str]) -> int'])).toThrow(/Expected 2 type arguments to dict, got 1/);
    const ix = buildL1Index([1], ['(int) -> int']);
    expect(() => ix.query('(int -> int')).toThrow(CocodaError);
  });

  it('ids and signatures must line up', () => {
    expect(() => buildL1Index([1, 2], ['(int) -> int'])).toThrow(RangeError);
    expect(() => buildL1Index([1, 1], ['(int) -> int', '(str) -> str'])).toThrow(RangeError);
    expect(() => buildL1Index([1.5], ['(int) -> int'])).toThrow(TypeError);
    expect(() => buildL1Index([1], [42 as unknown as string])).toThrow(TypeError);
    expect(() => buildL1Index([1], ['(int) -> int'], { backend: 'gpu' as never })).toThrow(RangeError);
  });

  it('a sub-goal of the wrong arity finds nothing', () => {
    const ix = buildL1Index([1], ['(float, float) -> float']);
    expect([...ix.query('(float) -> float')]).toEqual([]);
    expect([...ix.query('(float, float, float) -> float')]).toEqual([]);
  });

  it('asking for native without the addon is a CocodaError', (ctx) => {
    needNoNative(ctx);
    expect(() => buildL1Index([], [], { backend: 'native' })).toThrow(CocodaError);
  });
});

describe('L1 index: malformed ASTs', () => {
  it('names the offending path', () => {
    expect(() => buildL1Index([1], [{ params: [], result: { kind: 'enum', values: [] } } as never])).toThrow(
      /Expected "signatures\[0\]\.result" to be an enum with at least one literal/,
    );
    expect(() => buildL1Index([1], [{ params: [{ type: { kind: 'base', name: 'integer' }, optional: false }], result: { kind: 'unknown' } } as never])).toThrow(TypeError);
    const ix = buildL1Index([1], ['(int) -> int']);
    expect(() => ix.query({ params: [], result: { kind: 'wat' } } as never)).toThrow(/subgoals\[0\]\.result\.kind/);
  });
});
