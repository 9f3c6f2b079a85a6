import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildL1Index, type L1Index } from '../../src/l1/index.ts';
import { gradeSignature, type GradeOptions } from '../../src/l1/grade.ts';
import type { Param, Signature, Type } from '../../src/types/ast.ts';
import { parseSignature, TypeRegistry } from '../../src/types/index.ts';
import { eachBackend, hasNative } from '../helpers/backends.ts';
import { arbSignature, arbType, NOMINALS } from '../types/arbitrary.ts';

const registry = new TypeRegistry(NOMINALS);
const P = (s: string): Signature => parseSignature(s, { registry });
type Build = (ids: ArrayLike<number>, sigs: ReadonlyArray<Signature | string>) => L1Index;
const tsBuild: Build = (ids, sigs) => buildL1Index(ids, sigs, { backend: 'ts', registry });
const nativeBuild: Build | null = hasNative() ? (ids, sigs) => buildL1Index(ids, sigs, { backend: 'native', registry }) : null;
const backends = eachBackend(tsBuild, nativeBuild);

describe('gradeSignature (the reference)', () => {
  const g = (goal: string, tool: string, o?: GradeOptions) => gradeSignature(P(goal), P(tool), o);
  it('orders exact, coercible, unknown result, incompatible', () => {
    const tool = '(unit: enum["celsius", "fahrenheit"], city: str) -> {temp: float}';
    expect(g('(enum["celsius"], enum["Oslo"]) -> {temp: float}', tool)).toEqual({ cls: 0, penalty: 0 });
    expect(g('(enum["Celsius"], str) -> {temp: float}', tool)).toEqual({ cls: 1, penalty: 0.1 }); // folded literal
    expect(g('(str, str) -> {temp: float}', tool)).toEqual({ cls: 1, penalty: 0.25 }); // str for an enum
    expect(g('(enum["kelvin"], str) -> {temp: float}', tool)).toEqual({ cls: 1, penalty: 0.75 }); // literal not in the enum
    expect(g('(str, str) -> ?', tool).cls).toBe(1);
    expect(g('(str) -> float', tool).cls).toBe(3); // missing a required parameter
    expect(g('(str, str) -> float', '(a: str, b: str) -> ?')).toEqual({ cls: 2, penalty: 0 });
    expect(g('(str, str) -> float', '(a: enum["x"], b: str) -> ?')).toEqual({ cls: 2, penalty: 0.25 });
    expect(g('(str, str) -> ?', '(a: str, b: str) -> ?')).toEqual({ cls: 0, penalty: 0 }); // `?` output: unconstrained
    expect(g('(str, str) -> any', '(a: str, b: str) -> ?')).toEqual({ cls: 0, penalty: 0 });
  });

  it('coerces none, any, list[any], numbers, records as documented', () => {
    expect(g('(none) -> ?', '(limit?: int) -> ?')).toEqual({ cls: 1, penalty: 0.25 });
    expect(g('(none) -> ?', '(limit: int) -> ?').cls).toBe(3);
    expect(g('(list[any]) -> ?', '(xs: list[int]) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('(list[?]) -> ?', '(xs: list[int]) -> ?')).toEqual({ cls: 0, penalty: 0 }); // `?` is gradual already
    expect(g('(any) -> ?', '(r: {a: int}) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('(float) -> ?', '(n: int) -> ?')).toEqual({ cls: 1, penalty: 0.25 });
    expect(g('(enum["10"]) -> ?', '(n: int) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('(enum["10"]) -> ?', '(n: enum[10, 20]) -> ?')).toEqual({ cls: 1, penalty: 0.25 });
    expect(g('(int) -> ?', '(s: str) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('({a: int}) -> ?', '(d: dict[str, int]) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('({a: int}) -> ?', '(r: {a: str, b: int}) -> ?')).toEqual({ cls: 1, penalty: 0.5 });
    expect(g('({z: int}) -> ?', '(r: {a: str}) -> ?').cls).toBe(3); // no field in common
    expect(g('() -> {Time: str}', '() -> {hours: str}').cls).toBe(3);
    expect(g('(enum["a"]) -> ?', '(xs: list[str]) -> ?')).toEqual({ cls: 1, penalty: 0.75 });
    expect(g('(int) -> int', '(x: int) -> float')).toEqual({ cls: 1, penalty: 0.25 }); // result coerced
    expect(g('(bool) -> ?', '(d: {a: int}) -> ?').cls).toBe(3);
  });

  it('type variables stay consistent under coercion', () => {
    expect(g("(list[int]) -> int", "(xs: list['a]) -> 'a")).toEqual({ cls: 0, penalty: 0 });
    expect(g("(str, none) -> str", "(x: 'a, y?: int) -> 'a")).toEqual({ cls: 1, penalty: 0.25 });
    expect(g("(str, int) -> int", "(x: 'a, y: 'a) -> 'a").cls).toBe(3);
  });

  it('order-free matching tries every ordering and keeps the best', () => {
    const tool = '(city: str, days: int, unit?: enum["c", "f"]) -> ?';
    expect(g('(int, str) -> ?', tool).cls).toBe(3); // a str is not coerced to an int
    expect(g('(int, str) -> ?', tool, { unordered: true })).toEqual({ cls: 0, penalty: 0 });
    expect(g('(enum["f"], int, str) -> ?', tool, { unordered: true })).toEqual({ cls: 0, penalty: 0 });
    expect(g('(int, str) -> ?', '(a: int) -> ?', { unordered: true }).cls).toBe(3);
    // an optional parameter in the middle may be skipped; a required one may not
    expect(g('(str, int) -> ?', tool.replace('days: int', 'note?: str, days: int'), { unordered: true })).toEqual({ cls: 0, penalty: 0 });
    expect(g('(str, int) -> ?', '(city: str, note: str, days: int) -> ?', { unordered: true }).cls).toBe(3);
    // more inputs than the permutations used to cover, in another order
    expect(g('(int, bool, str, float, enum["x"]) -> ?', '(s: str, n: int, f: float, b?: bool, e?: enum["x", "y"]) -> ?', { unordered: true })).toEqual({ cls: 0, penalty: 0 });
  });
});

/** Coarse versions of a type, as a loosely typed sub-goal would give it. */
function coarsen(t: Type, how: number): Type {
  switch (how % 6) {
    case 0: return t;
    case 1: return t.kind === 'enum' || (t.kind === 'base' && t.name === 'str') ? { kind: 'base', name: 'str' } : t;
    case 2: return { kind: 'base', name: 'none' };
    case 3: return t.kind === 'list' ? { kind: 'list', elem: { kind: 'base', name: 'any' } } : { kind: 'base', name: 'any' };
    case 4: return t.kind === 'base' && t.name === 'int' ? { kind: 'base', name: 'float' } : t.kind === 'base' && t.name === 'float' ? { kind: 'base', name: 'int' } : t;
    default: return t.kind === 'enum' ? { kind: 'enum', values: [typeof t.values[0] === 'string' ? (t.values[0] as string).toUpperCase() + ' ' : 42] } : t;
  }
}

function arbGoal(tools: Signature[]): fc.Arbitrary<Signature> {
  const random = arbSignature({ vars: ['g'], depth: 2 });
  const derived = fc
    .tuple(fc.integer({ min: 0, max: tools.length - 1 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), fc.boolean(), fc.boolean(), arbType({ vars: [], depth: 1 }))
    .map(([i, hows, positional, shuffle, res]): Signature => {
      const t = tools[i]!;
      let params: Param[] = t.params.map((p, j) => ({ ...p, type: coarsen(p.type, hows[j % 6]!), optional: false }));
      if (positional) params = params.map((p) => ({ type: p.type, optional: false }));
      if (shuffle && params.length > 1) params = [...params.slice(1), params[0]!];
      return { params, result: hows[5]! % 3 === 0 ? { kind: 'unknown' } : hows[5]! % 3 === 1 ? t.result : res };
    });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 3, arbitrary: derived });
}

function scanGrade(ids: number[], tools: Signature[], goal: Signature, o: GradeOptions) {
  const rows = tools.map((t, i) => ({ id: ids[i]!, ...gradeSignature(goal, t, o) })).filter((r) => r.cls <= 2);
  rows.sort((a, b) => a.id - b.id);
  return rows;
}

describe('graded L1 index: native = TS twin = reference scan', () => {
  const toolArb = arbSignature({ vars: ['a', 'b'], depth: 2 });
  it('2,000 random tools, 200 loosely typed goals, in order and order-free (fixed seed)', () => {
    const tools = fc.sample(toolArb, { numRuns: 2_000, seed: 20261201 });
    const ids = tools.map((_, i) => i * 5 + 3);
    const goals = fc.sample(arbGoal(tools), { numRuns: 200, seed: 11 });
    let coerced = 0;
    let unknown = 0;
    for (const o of [{ unordered: false }, { unordered: true }] as GradeOptions[]) {
      const expected = goals.map((q) => scanGrade(ids, tools, q, o));
      for (const rows of expected) for (const r of rows) (r.cls === 1 ? coerced++ : r.cls === 2 ? unknown++ : 0);
      for (const [name, build] of backends) {
        const ix = build(ids, tools);
        goals.forEach((q, k) => {
          const got = ix.grade(q, o);
          const want = expected[k]!;
          const same = got.ids.length === want.length && want.every((r, i) => got.ids[i] === r.id && got.cls[i] === r.cls && got.penalty[i] === r.penalty);
          if (!same) throw new Error(`${name} grade disagrees with the scan (unordered ${o.unordered}) on ${JSON.stringify(q)}`);
          // grading chosen ids (some unknown to the index) agrees too
          const pick = [ids[k % ids.length]!, ids[(k * 7) % ids.length]!, -1, ...want.slice(0, 3).map((r) => r.id)];
          const gi = ix.gradeIds(q, pick, o);
          pick.forEach((id, i) => {
            const j = ids.indexOf(id);
            const ref = j < 0 ? { cls: 3, penalty: 0 } : gradeSignature(q, tools[j]!, o);
            expect([name, id, gi.cls[i], gi.penalty[i]]).toEqual([name, id, ref.cls, ref.penalty]);
          });
        });
      }
    }
    expect(coerced).toBeGreaterThan(200); // the goals exercise coercions
    expect(unknown).toBeGreaterThan(20);
  });

  it('small random libraries (property, shrinking)', () => {
    fc.assert(
      fc.property(fc.array(toolArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 1 << 30 }), fc.boolean(), (tools, seed, unordered) => {
        const ids = tools.map((_, i) => 500 - i);
        const goals = fc.sample(arbGoal(tools), { numRuns: 10, seed });
        for (const [, build] of backends) {
          const ix = build(ids, tools);
          for (const q of goals) {
            const got = ix.grade(q, { unordered });
            const want = scanGrade(ids, tools, q, { unordered });
            expect(want.map((r) => [r.id, r.cls, r.penalty])).toEqual(Array.from(got.ids, (id, i) => [id, got.cls[i], got.penalty[i]]));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it.each(backends)('%s: bad options are RangeErrors', (_n, build) => {
    const ix = build([1], ['(a: int) -> int']);
    expect(() => ix.grade('(int) -> int', { maxInputs: 0 })).toThrow(RangeError);
    expect(() => ix.grade('(int) -> int', { maxInputs: 17 })).toThrow('Expected "maxInputs" to be an integer in [1, 16] (got 17)');
  });
});

describe.runIf(hasNative())('native L1 boundary: malformed encodings are errors, not crashes', () => {
  it('l1Unify / l1Build / l1Query / l1Grade reject bad buffers with ERR_NATIVE_ARG', async () => {
    const { nativeAddon } = await import('../../src/native/loader.ts');
    const a = nativeAddon() as unknown as Record<string, (...x: unknown[]) => unknown>;
    const ok = Int32Array.of(0, 0, 0, 3, 3, 0); // () -> int
    const bad = (f: () => unknown) => expect(f).toThrow(expect.objectContaining({ code: 'ERR_NATIVE_ARG' }));
    bad(() => a.l1Unify!(Int32Array.of(1, 0, 0, 5, 99), ok)); // parameter runs past the end
    bad(() => a.l1Unify!(Int32Array.of(0, 0, 0, 77, 2), ok)); // unknown tag
    bad(() => a.l1Unify!(ok, Int32Array.of(0, 0, 0, 1, 3, 4))); // variable index ≥ nVars
    // 600 nested lists: deeper than the native bound
    const deep: number[] = [];
    for (let i = 0; i < 600; i++) deep.push(5, 2 * (600 - i) + 3);
    deep.push(3, 3, 0);
    bad(() => a.l1Unify!(Int32Array.from([0, 0, 0, ...deep]), ok));
    const ix = buildL1Index([1, 2], ['(a: int) -> int', '(s: str) -> ?'], { backend: 'native' });
    const handle = (ix as unknown as { handle: unknown }).handle;
    bad(() => a.l1Query!(handle, Int32Array.of(1, 0, 0, -1, 0, 3, 3, 0, 3, 3, 0), Int32Array.of(0, 50)));
    bad(() => a.l1Grade!(handle, Int32Array.of(1, 0, 0), null, 0, 4, new Int32Array(), new Float64Array()));
    bad(() => a.l1Grade!(handle, ok, Int32Array.of(7), 0, 4, new Int32Array(), new Float64Array()));
    const arrays = Array.from({ length: 14 }, () => new Int32Array(1));
    bad(() => a.l1Build!(...arrays, new Int32Array(), new Float64Array()));
    // the index still answers
    expect([...ix.query('(int) -> int')]).toEqual([1]);
  });
});
