import { describe, expect, it } from 'vitest';
import { ToolDag, type ToolInput } from '../../src/library/dag.ts';
import { CocodaError } from '../../src/errors.ts';
import { registerNominal } from '../../src/types/registry.ts';

const F2 = '(float, float) -> float';
const prim = (name: string, body = `function ${name}(a, b) { return a + b; }`): ToolInput => ({ name, signature: F2, body, origin: 'primitive' });
const comp = (name: string, expr: string, params = 'a, b, c, x'): ToolInput => ({
  name,
  signature: '(float, float, float, float) -> float',
  body: `function ${name}(${params}) { return ${expr}; }`,
  origin: 'composite',
});

function base(): ToolDag {
  return ToolDag.empty().add([prim('add'), prim('mul'), prim('pow_int', 'function pow_int(x, k) { let r = 1; for (let i = 0; i < k; i++) r *= x; return r; }')]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof CocodaError ? e.code : (e as Error).name;
  }
  return undefined;
}

describe('ToolDag', () => {
  it('the quadratic_expr example of DESIGN.md: depth, children with multiplicity, flat, phi', () => {
    const v1 = base();
    const v2 = v1.add(comp('quadratic_expr', 'add(add(mul(a, pow_int(x, 2)), mul(b, x)), c)'));
    const q = v2.node('quadratic_expr')!;
    expect(q.children).toEqual(['add', 'add', 'mul', 'pow_int', 'mul']);
    expect(q.depth).toBe(1);
    expect(q.flat).toBe(5);
    expect(q.phi).toBe(4);
    const v3 = v2.add(comp('twice_quad', 'quadratic_expr(a, b, c, x) + quadratic_expr(a, b, c, mul(x, 2)) + Math.max(a, b)'));
    expect(v3.node('twice_quad')).toMatchObject({ depth: 2, flat: 11, phi: 10, children: ['quadratic_expr', 'quadratic_expr', 'mul'] });
    expect(v3.node('add')).toMatchObject({ depth: 0, flat: 1, phi: 0, children: [] });
    expect(v3.parents('add')).toEqual(['quadratic_expr']);
    expect(v3.parents('mul')).toEqual(['quadratic_expr', 'twice_quad']);
  });

  it('is immutable per version: a mutation returns version + 1 and the old version is unchanged', () => {
    const v0 = ToolDag.empty();
    expect(v0.version).toBe(0);
    const v1 = base();
    expect(v1.version).toBe(1);
    const v2 = v1.add(comp('sq', 'mul(x, x)'));
    expect(v2.version).toBe(2);
    expect(v1.has('sq')).toBe(false);
    expect(v1.size).toBe(3);
    expect(v2.size).toBe(4);
    const v3 = v2.remove('sq');
    expect(v3.version).toBe(3);
    expect(v2.has('sq')).toBe(true);
    const v4 = v2.replace(comp('sq', 'mul(x, x) + add(x, x)'));
    expect(v4.children('sq')).toEqual(['mul', 'add']);
    expect(v2.children('sq')).toEqual(['mul']);
    expect(Object.isFrozen(v2.record('sq'))).toBe(true);
    expect(Object.isFrozen(v2.record('sq')!.tags)).toBe(true);
  });

  it('does not keep references to the caller\u2019s objects', () => {
    const input = { ...prim('k'), tags: ['x'], examples: [{ args: [1, 2], result: { v: 3 } }] };
    const dag = ToolDag.empty().add(input);
    input.tags.push('y');
    (input.examples[0]!.result as { v: number }).v = 99;
    expect(dag.record('k')!.tags).toEqual(['x']);
    expect(dag.record('k')!.examples[0]!.result).toEqual({ v: 3 });
  });

  it('lookups by name and by id, CSR export and topological order', () => {
    const dag = base().add([comp('sq', 'mul(x, x)'), comp('quad', 'add(sq(a, b, c, x), mul(a, a))')]);
    expect(dag.idOf('add')).toBe(0);
    expect(dag.nameOf(3)).toBe('sq');
    expect(dag.node(4)!.name).toBe('quad');
    expect(dag.record('nope')).toBeUndefined();
    expect(() => dag.nameOf(99)).toThrow(RangeError);
    const { offsets, targets } = dag.csr();
    expect(Array.from(offsets)).toEqual([0, 0, 0, 0, 1, 4]);
    expect(Array.from(targets)).toEqual([1, 0, 3, 1]);
    const order = dag.topoOrder();
    expect(order).toHaveLength(5);
    for (const name of order) for (const ch of dag.children(name)) expect(order.indexOf(ch)).toBeLessThan(order.indexOf(name));
    expect(dag.stats()).toEqual({ tools: 5, primitives: 3, composites: 2, edges: 4, maxDepth: 2, meanDepth: 3 / 5, version: dag.version });
    expect(dag.callSites).toBe(4);
  });

  it('a batch may call tools defined later in the same batch', () => {
    const dag = ToolDag.empty().add([comp('outer', 'inner(a, b, c, x)'), prim('inner')]);
    expect(dag.children('outer')).toEqual(['inner']);
  });

  it('remove compacts ids and refuses to remove a tool still in use', () => {
    const dag = base().add(comp('sq', 'mul(x, x)'));
    expect(codeOf(() => dag.remove('mul'))).toBe('ERR_TOOL_IN_USE');
    expect(codeOf(() => dag.remove('ghost'))).toBe('ERR_UNKNOWN_TOOL');
    const r = dag.remove(['mul', 'sq']);
    expect(r.names()).toEqual(['add', 'pow_int']);
    const r2 = dag.remove('add');
    expect(r2.names()).toEqual(['mul', 'pow_int', 'sq']);
    expect(r2.children('sq')).toEqual(['mul']);
    expect(Array.from(r2.csr().targets)).toEqual([0]);
  });

  describe('bad input leaves the library unchanged', () => {
    const dag = base().add(comp('sq', 'mul(x, x)'));
    const before = JSON.stringify({ v: dag.version, names: dag.names(), csr: Array.from(dag.csr().targets), recs: dag.records() });
    const unchanged = () => expect(JSON.stringify({ v: dag.version, names: dag.names(), csr: Array.from(dag.csr().targets), recs: dag.records() })).toBe(before);

    it('duplicate names', () => {
      expect(codeOf(() => dag.add(prim('add')))).toBe('ERR_DUPLICATE_TOOL');
      expect(codeOf(() => dag.add([prim('z'), prim('z')]))).toBe('ERR_DUPLICATE_TOOL');
      unchanged();
    });

    it('unknown child', () => {
      let err: unknown;
      try {
        dag.add(comp('bad', 'frobnicate(a) + add(a, b)'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CocodaError);
      expect((err as CocodaError).code).toBe('ERR_UNKNOWN_CHILD');
      expect((err as CocodaError).message).toContain('"frobnicate"');
      unchanged();
    });

    it('cycles: self-call, and a replace that closes a cycle; the message names the path', () => {
      let err: CocodaError | undefined;
      try {
        dag.add(comp('fact_rec', 'x <= 1 ? 1 : mul(x, fact_rec(a, b, c, x - 1))'));
      } catch (e) {
        err = e as CocodaError;
      }
      expect(err?.code).toBe('ERR_CYCLE');
      expect(err?.message).toBe('cycle: fact_rec -> fact_rec');
      const v = dag.add(comp('quad', 'sq(a, b, c, x)'));
      try {
        v.replace(comp('sq', 'quad(a, b, c, x)'));
        err = undefined;
      } catch (e) {
        err = e as CocodaError;
      }
      expect(err?.code).toBe('ERR_CYCLE');
      expect(err?.message).toMatch(/^cycle: (sq -> quad -> sq|quad -> sq -> quad)$/);
      expect(codeOf(() => ToolDag.empty().add([comp('p', 'q(a, b, c, x)'), comp('q', 'p(a, b, c, x)')]))).toBe('ERR_CYCLE');
      expect(v.children('sq')).toEqual(['mul']);
      unchanged();
    });

    it('malformed records and bodies', () => {
      expect(codeOf(() => dag.add({ name: '', signature: F2 }))).toBe('RangeError');
      expect(codeOf(() => dag.add({ name: 'x', signature: 3 } as unknown as ToolInput))).toBe('TypeError');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, tags: 'a' } as unknown as ToolInput))).toBe('TypeError');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, origin: 'alien' } as unknown as ToolInput))).toBe('RangeError');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, body: 'function x( {' }))).toBe('ERR_BODY_PARSE');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, body: 'function y() {}' }))).toBe('ERR_BODY_SHAPE');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, body: 'function x() {} x();' }))).toBe('ERR_BODY_SHAPE');
      expect(codeOf(() => dag.add({ name: 'a.b', signature: F2, body: 'function ab() {}' }))).toBe('ERR_BAD_NAME');
      expect(codeOf(() => dag.add({ name: 'parseInt', signature: F2 }))).toBe('ERR_BAD_NAME');
      expect(codeOf(() => dag.add({ name: 'x', signature: F2, body: 'function x(v) { return [v].map(add); }' }))).toBe('ERR_BODY_INDIRECT_CALL');
      expect(codeOf(() => dag.replace(prim('ghost')))).toBe('ERR_UNKNOWN_TOOL');
      unchanged();
    });

    it('malformed signatures and unknown types', () => {
      let err: CocodaError | undefined;
      try {
        dag.add({ name: 'x', signature: '(int, float -> float' });
      } catch (e) {
        err = e as CocodaError;
      }
      expect(err?.code).toBe('ERR_TYPE_PARSE');
      expect(err?.message).toBe('tool "x": signature: Expected \')\' at column 12 in "(int, float -> float"');
      expect(codeOf(() => dag.add({ name: 'x', signature: '(Gizmo) -> int' }))).toBe('ERR_TYPE_UNKNOWN');
      unchanged();
    });
  });

  it('stores signatures in canonical form and remembers nominal types', () => {
    const reg = ToolDag.empty().typeRegistry().registerNominal('Gizmo');
    expect(reg.has('Gizmo')).toBe(true);
    const dag = ToolDag.empty().add({ name: 'r', signature: '( p : { b:int, a : str } ) ->  float' });
    expect(dag.record('r')!.signature).toBe('(p: {a: str, b: int}) -> float');
    expect(dag.nominalTypes).toEqual([]);
    registerNominal('Gizmo');
    const g = dag.add({ name: 'g', signature: '(Gizmo) -> int' });
    expect(g.nominalTypes).toEqual(['Gizmo']);
    expect(g.typeRegistry().has('Gizmo')).toBe(true);
  });

  it('addEach keeps the good records and reports each bad one', () => {
    const dag = base();
    const { dag: next, added, failed } = dag.addEach([
      prim('sub'),
      prim('add'),
      comp('bad', 'nope(x)'),
      { name: 'UberEats.get_menu', signature: '(str) -> ?', origin: 'imported' },
      comp('self', 'self(a, b, c, x)'),
      comp('uses_sub', 'sub(a, b)'),
    ]);
    expect(added).toEqual(['sub', 'UberEats.get_menu', 'uses_sub']);
    expect(failed.map((f) => [f.tool, (f.error as CocodaError).code])).toEqual([
      ['add', 'ERR_DUPLICATE_TOOL'],
      ['bad', 'ERR_UNKNOWN_CHILD'],
      ['self', 'ERR_CYCLE'],
    ]);
    expect(next.version).toBe(dag.version + 1);
    expect(next.children('uses_sub')).toEqual(['sub']);
    expect(dag.has('sub')).toBe(false);
    const none = dag.addEach([prim('add')]);
    expect(none.dag).toBe(dag);
  });
});
