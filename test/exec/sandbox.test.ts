import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CocodaError } from '../../src/errors.ts';
import { ToolDag } from '../../src/library/dag.ts';
import { closureOf, programFor, runTool } from '../../src/exec/library.ts';
import { compileProgram, type ExecTool } from '../../src/exec/program.ts';
import { Sandbox, type TraceNode } from '../../src/exec/sandbox.ts';

const ARITH: ExecTool[] = [
  { name: 'add', body: 'function add(a, b) { return a + b; }', pre: 'Number.isFinite(a) && Number.isFinite(b)', post: 'result === a + b' },
  { name: 'mul', body: 'function mul(a, b) { return a * b; }', pre: 'Number.isFinite(a) && Number.isFinite(b)' },
  { name: 'div', body: 'function div(a, b) { return a / b; }', pre: 'b != 0' },
  { name: 'pow_int', body: 'function pow_int(x, n) { let r = 1; for (let i = 0; i < n; i++) r = mul(r, x); return r; }', pre: 'Number.isInteger(n) && n >= 0' },
  { name: 'quadratic_expr', body: 'function quadratic_expr(a, b, c, x) { return add(add(mul(a, pow_int(x, 2)), mul(b, x)), c); }' },
  { name: 'safe_ratio', body: 'function safe_ratio(a, b) { try { return div(a, b); } catch (e) { return 0; } }' },
  { name: 'bad_post', body: 'function bad_post(x) { return x + 1; }', post: 'result === x' },
  { name: 'throwing_pre', body: 'function throwing_pre(xs) { return xs.length; }', pre: 'xs.length >= 0' },
  { name: 'named', body: 'function named(_0, _1) { return _0 - _1; }', params: ['minuend', 'subtrahend'], pre: 'minuend >= subtrahend && args.length === 2' },
  { name: 'rest', body: 'function rest(first, ...more) { return more.length; }', pre: 'more.length < 3' },
  { name: 'many', body: 'function many(n) { let s = 0; for (let i = 0; i < n; i++) s = add(s, 1); return s; }' },
  { name: 'nested_fail', body: 'function nested_fail(x) { return add(x, div(1, 0)); }' },
];

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox({ timeoutMs: 2000, maxTraceNodes: 50 });
});
afterAll(async () => {
  await sb.close();
});

const prog = compileProgram(ARITH);

function shape(n: TraceNode): unknown {
  return { tool: n.tool, args: n.args, ...(n.error ? { error: n.error.code } : { result: n.result }), calls: n.calls.map(shape) };
}

describe('programs', () => {
  it('are content-addressed and independent of tool order', () => {
    const again = compileProgram([...ARITH].reverse());
    expect(again.key).toBe(prog.key);
    expect(prog.tools).toContain('quadratic_expr');
  });

  it('reject bad bodies and contracts with a message naming the tool and the field', () => {
    const bad: Array<[ExecTool, string, RegExp]> = [
      [{ name: 'f', body: '' }, 'ERR_BODY_SHAPE', /tool "f": body: is empty/],
      [{ name: 'f', body: 'function f( { return 1 }' }, 'ERR_BODY_PARSE', /tool "f": body: does not parse/],
      [{ name: 'f', body: 'function g() { return 1 }' }, 'ERR_BODY_SHAPE', /declares function "g", expected "f"/],
      [{ name: 'f', body: 'function f() {} function h() {}' }, 'ERR_BODY_SHAPE', /exactly one function declaration/],
      [{ name: 'f', body: 'const f = () => 1;' }, 'ERR_BODY_SHAPE', /exactly one function declaration/],
      [{ name: 'f', body: 'async function f() { return 1 }' }, 'ERR_BODY_SHAPE', /must not be async/],
      [{ name: 'f', body: 'function* f() { yield 1 }' }, 'ERR_BODY_SHAPE', /generator/],
      [{ name: 'f', body: 'function f(o) { with (o) { return x; } }' }, 'ERR_BODY_PARSE', /strict mode/],
      [{ name: 'f', body: 'function f(a) { return a }', pre: 'a >' }, 'ERR_CONTRACT_PARSE', /tool "f": pre: is not a JavaScript expression/],
      [{ name: 'f', body: 'function f(a) { return a }', post: 'a); globalThis.x = 1; (a' }, 'ERR_CONTRACT_PARSE', /tool "f": post: must be a single JavaScript expression/],
      [{ name: 'Math', body: 'function Math() { return 1 }' }, 'ERR_BAD_NAME', /not usable/],
    ];
    for (const [tool, code, re] of bad) {
      let err: unknown;
      try {
        compileProgram([tool]);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(tool)).toBeInstanceOf(CocodaError);
      expect((err as CocodaError).code, JSON.stringify(tool)).toBe(code);
      expect((err as CocodaError).message, JSON.stringify(tool)).toMatch(re);
    }
  });

  it('accept a line comment at the end of a contract and default/rest parameters', () => {
    expect(() => compileProgram([{ name: 'f', body: 'function f(a = 1, ...r) { return a }', pre: 'a > 0 // positive' }])).not.toThrow();
  });
});

describe('calls and traces', () => {
  it('runs a composite whose calls resolve to library tools inside the sandbox, with a nested trace', async () => {
    const o = await sb.call(prog, 'quadratic_expr', [1, -3, 2, 2], { trace: true });
    expect(o.ok).toBe(true);
    expect(o.result).toBe(0);
    expect(o.violations).toEqual([]);
    expect(shape(o.trace!)).toEqual({
      tool: 'quadratic_expr',
      args: [1, -3, 2, 2],
      result: 0,
      calls: [
        { tool: 'pow_int', args: [2, 2], result: 4, calls: [
          { tool: 'mul', args: [1, 2], result: 2, calls: [] },
          { tool: 'mul', args: [2, 2], result: 4, calls: [] },
        ] },
        { tool: 'mul', args: [1, 4], result: 4, calls: [] },
        { tool: 'mul', args: [-3, 2], result: -6, calls: [] },
        { tool: 'add', args: [4, -6], result: -2, calls: [] },
        { tool: 'add', args: [-2, 2], result: 0, calls: [] },
      ],
    });
    const walk = (n: TraceNode): void => {
      expect(n.ms).toBeGreaterThanOrEqual(0);
      n.calls.forEach(walk);
    };
    walk(o.trace!);
    expect(o.ms).toBeGreaterThanOrEqual(o.trace!.ms);
  });

  it('runs batches in order and queues concurrent batches', async () => {
    const runs = await Promise.all([1, 2, 3].map((k) => sb.run(prog, [{ tool: 'add', args: [k, k] }, { tool: 'quadratic_expr', args: [2, 0, -1, k] }])));
    expect(runs.map((r) => r.map((o) => o.result))).toEqual([[2, 1], [4, 7], [6, 17]]);
  });

  it('records a failure at the node where it arose and names the innermost tool', async () => {
    const o = await sb.call(prog, 'nested_fail', [1], { trace: true });
    expect(o.ok).toBe(false);
    expect(o.error).toMatchObject({ code: 'ERR_PRE_VIOLATED', tool: 'div' });
    expect(shape(o.trace!)).toEqual({ tool: 'nested_fail', args: [1], error: 'ERR_PRE_VIOLATED', calls: [{ tool: 'div', args: [1, 0], error: 'ERR_PRE_VIOLATED', calls: [] }] });
  });

  it('caps the trace and counts what it dropped', async () => {
    const o = await sb.call(prog, 'many', [120], { trace: true });
    expect(o.result).toBe(120);
    expect(o.droppedTraceNodes).toBe(120 + 1 - 50);
  });

  it('traces are off by default', async () => {
    const o = await sb.call(prog, 'quadratic_expr', [1, 1, 1, 1]);
    expect(o.trace).toBeUndefined();
    expect(o.result).toBe(3);
  });

  it('recompiles a program the sandbox evicted', async () => {
    const small = new Sandbox({ maxPrograms: 1 });
    try {
      const p1 = compileProgram([{ name: 'one', body: 'function one() { return 1; }' }]);
      const p2 = compileProgram([{ name: 'two', body: 'function two() { return 2; }' }]);
      expect((await small.call(p1, 'one', [])).result).toBe(1);
      expect((await small.call(p2, 'two', [])).result).toBe(2);
      expect((await small.call(p1, 'one', [])).result).toBe(1);
      expect(small.stats.spawns).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('reports an unknown tool and a closed sandbox', async () => {
    expect(await sb.call(prog, 'nope', [])).toMatchObject({ ok: false, error: { code: 'ERR_UNKNOWN_TOOL' } });
    const s2 = new Sandbox();
    await s2.close();
    await expect(s2.call(prog, 'add', [1, 2])).rejects.toThrow(/closed/);
  });
});

describe('contracts', () => {
  it('checks pre and post of every tool called', async () => {
    expect(await sb.call(prog, 'add', [1, 'x'])).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED', tool: 'add' } });
    const post = await sb.call(prog, 'bad_post', [1]);
    expect(post).toMatchObject({ ok: false, error: { code: 'ERR_POST_VIOLATED', tool: 'bad_post', message: expect.stringMatching(/post-condition of "bad_post" violated: result === x with args \[1\], result 2/) } });
    expect(post.violations).toEqual([{ tool: 'bad_post', kind: 'post', message: post.error!.message, args: [1], result: 2 }]);
    expect(await sb.call(prog, 'pow_int', [2, 1.5])).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED' } });
  });

  it('records a child violation even when the parent catches it', async () => {
    const o = await sb.call(prog, 'safe_ratio', [1, 0]);
    expect(o.ok).toBe(true);
    expect(o.result).toBe(0);
    expect(o.violations).toMatchObject([{ tool: 'div', kind: 'pre', args: [1, 0], message: expect.stringMatching(/b != 0/) }]);
  });

  it('shows undefined and non-finite values plainly in messages, never the internal value marker', async () => {
    const p = compileProgram([
      ARITH[0]!,
      { name: 'half_call', body: 'function half_call(x, y) { return add(x, y); }' },
      { name: 'throw_data', body: 'function throw_data(x) { throw [NaN, undefined, x]; }' },
    ]);
    const pre = await sb.call(p, 'half_call', [1]);
    expect(pre).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED', tool: 'add' } });
    expect(pre.error!.message).toContain('with args [1,"undefined"]');
    const thrown = await sb.call(p, 'throw_data', [2]);
    expect(thrown).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_THROW', message: 'threw a non-Error value: ["NaN","undefined",2]' } });
    for (const m of [pre.error!.message, thrown.error!.message]) expect(m).not.toMatch(/\\u0000|\u0000/);
  });

  it('treats a contract that throws as violated', async () => {
    const o = await sb.call(prog, 'throwing_pre', [null]);
    expect(o).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED', message: expect.stringMatching(/pre-condition of "throwing_pre" threw/) } });
  });

  it('binds signature names, args and rest parameters', async () => {
    expect((await sb.call(prog, 'named', [5, 3])).result).toBe(2);
    expect(await sb.call(prog, 'named', [3, 5])).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED' } });
    expect((await sb.call(prog, 'rest', [1, 2, 3])).result).toBe(2);
    expect(await sb.call(prog, 'rest', [1, 2, 3, 4])).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED' } });
  });

  it('can be switched off per call', async () => {
    expect(await sb.call(prog, 'div', [1, 0], { contracts: false })).toMatchObject({ ok: true, result: Infinity });
  });
});

describe('library versions', () => {
  const dag = ToolDag.empty().add([
    { name: 'add', signature: '(a: float, b: float) -> float', body: 'function add(x, y) { return x + y; }', pre: 'Number.isFinite(a) && Number.isFinite(b)' },
    { name: 'mul', signature: '(float, float) -> float', body: 'function mul(a, b) { return a * b; }' },
    { name: 'pow_int', signature: '(float, int) -> float', body: 'function pow_int(x, n) { let r = 1; for (let i = 0; i < n; i++) r = mul(r, x); return r; }' },
    { name: 'quadratic_expr', signature: '(float, float, float, float) -> float', body: 'function quadratic_expr(a, b, c, x) { return add(add(mul(a, pow_int(x, 2)), mul(b, x)), c); }' },
    { name: 'remote_lookup', signature: '(q: str) -> str', origin: 'imported' },
  ]);

  it('compiles a tool with its transitive children, once per version', async () => {
    expect(closureOf(dag, ['quadratic_expr'])).toEqual(['add', 'mul', 'pow_int', 'quadratic_expr']);
    expect(programFor(dag, 'quadratic_expr')).toBe(programFor(dag, 'quadratic_expr'));
    expect(programFor(dag, 'add').tools).toEqual(['add']);
    expect(await runTool(sb, dag, 'quadratic_expr', [2, 0, -1, 3])).toMatchObject({ ok: true, result: 17 });
  });

  it('names contract arguments after the signature', async () => {
    expect(await runTool(sb, dag, 'add', [NaN, 1])).toMatchObject({ ok: false, error: { code: 'ERR_PRE_VIOLATED' } });
  });

  it('reports a tool without a body clearly', async () => {
    expect(await runTool(sb, dag, 'remote_lookup', ['x'])).toMatchObject({
      ok: false,
      error: { code: 'ERR_NO_BODY', tool: 'remote_lookup', message: expect.stringMatching(/tool "remote_lookup": body: none .* schema-only tool .*cannot be executed/) },
    });
    expect(await runTool(sb, dag, 'missing', [])).toMatchObject({ ok: false, error: { code: 'ERR_UNKNOWN_TOOL' } });
  });
});
