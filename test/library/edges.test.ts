import { describe, expect, it } from 'vitest';
import { analyzeBody } from '../../src/library/edges.ts';
import { CocodaError } from '../../src/errors.ts';

const tools = new Set(['add', 'mul', 'neg', 'f']);
const isTool = (n: string) => tools.has(n);
const calls = (body: string, name = 'f') => analyzeBody(name, body, isTool).calls;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as CocodaError).code;
  }
  return undefined;
}

describe('analyzeBody', () => {
  it('orders call sites by source position, with multiplicity', () => {
    expect(calls('function f(a, b) { return add(mul(a, b), add(a, mul(b, b))); }')).toEqual(['add', 'mul', 'add', 'mul']);
  });

  it('does not unroll loops and keeps both branches', () => {
    expect(calls('function f(xs) { let s = 0; for (const x of xs) s = add(s, x); return s > 0 ? neg(s) : mul(s, 2); }')).toEqual(['add', 'neg', 'mul']);
  });

  it('ignores member calls, JS globals, constructors and locally bound names', () => {
    const body = `function f(a, mul) {
      const neg = (x) => -x;
      function inner(add) { return add; }
      return Math.max(parseInt(a), Number(a)) + obj.add(a) + mul(a) + neg(a) + new Date(a).getTime() + inner(1);
    }`;
    expect(calls(body)).toEqual([]);
  });

  it('finds calls nested in closures, optional calls and default parameters', () => {
    expect(calls('async function f(a, b = add(1, 2)) { const g = (x) => mul(x, x); await Promise.resolve(); return g(a) + neg?.(b); }')).toEqual(['add', 'mul', 'neg']);
  });

  it('a call to the tool itself is reported as a call (the DAG turns it into a cycle)', () => {
    expect(calls('function f(n) { return n ? f(n - 1) : 0; }')).toEqual(['f']);
  });

  it('property keys and labels are not references', () => {
    expect(calls('function f(a) { const o = { add: 1, mul() { return 2; } }; add: for (;;) break add; return o.add + add(a); }')).toEqual(['add']);
  });

  it('errors', () => {
    expect(code(() => calls('function f(a) { return g(a); }'))).toBe('ERR_UNKNOWN_CHILD');
    expect(code(() => calls('function f(a) { return [a].map(add); }'))).toBe('ERR_BODY_INDIRECT_CALL');
    expect(code(() => calls('function f(a) { return { add }; }'))).toBe('ERR_BODY_INDIRECT_CALL');
    expect(code(() => calls('function f(a) { return a +; }'))).toBe('ERR_BODY_PARSE');
    expect(code(() => calls('const f = (a) => a;'))).toBe('ERR_BODY_SHAPE');
    expect(code(() => calls('function* f(a) { yield a; }'))).toBe('ERR_BODY_SHAPE');
    expect(code(() => calls('function g(a) { return a; }'))).toBe('ERR_BODY_SHAPE');
  });

  it('reports parameter names', () => {
    expect(analyzeBody('f', 'function f(a, b = 2, { c }, ...d) {}', isTool).params).toEqual(['a', 'b', '_2', '_3']);
  });
});
