import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDag } from './fixture.ts';
import { parseTrajectory } from '../../src/trajectory/parse.ts';
import { checkSchema, typeOfValue } from '../../src/trajectory/schema.ts';
import { executeTrajectory } from '../../src/trajectory/execute.ts';
import { scoreTrajectory } from '../../src/trajectory/score.ts';
import { SandboxExecutor } from '../../src/trajectory/sandbox-executor.ts';
import { generateTasks } from '../../src/tasks/generate.ts';
import type { Trajectory } from '../../src/trajectory/ir.ts';

const dag = fixtureDag();
const withComposite = dag.add({
  name: 'cost_two',
  signature: '(float, float, float, float) -> float',
  body: 'function cost_two(qa, pa, qb, pb) { return add(mul(qa, pa), mul(qb, pb)); }',
  origin: 'teacher',
});
const executor = new SandboxExecutor();
// A short limit only where a loop must be cut: normal calls keep the default under CI load.
const shortExecutor = new SandboxExecutor({ timeoutMs: 200 });
afterAll(async () => {
  await executor.close();
  await shortExecutor.close();
});
const inputs = { qa: 3, pa: 4, qb: 2, pb: 1.5 };
const gold: Trajectory = {
  calls: [
    { tool: 'mul', args: [{ input: 'qa' }, { input: 'pa' }] },
    { tool: 'mul', args: [{ input: 'qb' }, { input: 'pb' }] },
    { tool: 'add', args: [{ ref: 0 }, { ref: 1 }] },
  ],
  answer: { ref: 2 },
};

describe('parseTrajectory (format)', () => {
  it('accepts the IR as text or value', () => {
    expect(parseTrajectory(JSON.stringify(gold))).toEqual({ ok: true, trajectory: gold });
    expect(parseTrajectory(gold).ok).toBe(true);
  });
  it('reports JSON syntax errors with a position', () => {
    const r = parseTrajectory('{"calls": [ {"tool": "add", "args": [1, 2]} ');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issue.code).toBe('ERR_TRAJ_JSON');
    const r2 = parseTrajectory('{"calls": [}');
    expect(r2.ok).toBe(false);
    if (!r2.ok) expect(r2.issue.position).toBe(11);
    const r3 = parseTrajectory('{"calls": [1, 2,, 3]}');
    if (!r3.ok) expect(r3.issue.position).toBe(16);
    const r4 = parseTrajectory('{"a": "x"} tail');
    if (!r4.ok) expect(r4.issue.position).toBe(11);
  });
  it.each([
    [{ calls: [] }, 'ERR_TRAJ_SHAPE', 'answer'],
    [{ calls: {}, answer: { ref: 0 } }, 'ERR_TRAJ_SHAPE', 'calls'],
    [{ calls: [{ tool: 'add' }], answer: { ref: 0 } }, 'ERR_TRAJ_SHAPE', 'calls[0].args'],
    [{ calls: [{ tool: '', args: [] }], answer: { ref: 0 } }, 'ERR_TRAJ_SHAPE', 'calls[0].tool'],
    [{ calls: [{ tool: 'add', args: [1, { ref: 0 }] }], answer: { ref: 0 } }, 'ERR_TRAJ_FORWARD_REF', 'calls[0].args[1]'],
    [{ calls: [{ tool: 'add', args: [1, 2] }], answer: { ref: 1 } }, 'ERR_TRAJ_FORWARD_REF', 'answer'],
    [{ calls: [{ tool: 'add', args: [1, { ref: 0, input: 'x' }] }], answer: { ref: 0 } }, 'ERR_TRAJ_ARG', 'calls[0].args[1]'],
    [{ calls: [{ tool: 'add', args: [{ ref: -1 }] }], answer: { ref: 0 } }, 'ERR_TRAJ_ARG', 'calls[0].args[0]'],
    [{ calls: [], answer: { ref: 0 }, extra: 1 }, 'ERR_TRAJ_SHAPE', '$'],
    [[1, 2], 'ERR_TRAJ_SHAPE', '$'],
  ])('rejects %j with %s at %s', (doc, code, path) => {
    const r = parseTrajectory(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issue.code).toBe(code);
      expect(r.issue.path).toBe(path);
      expect(r.issue.message).toContain(path);
    }
  });
  it('words a dangling answer reference as the answer, not as a call', () => {
    const r = parseTrajectory({ calls: [{ tool: 'add', args: [1, 2] }], answer: { ref: 5 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issue.message).toBe('answer: the answer references the output of call 5, but the program has 1 call(s)');
  });
});

describe('checkSchema', () => {
  it('passes the gold program', () => {
    const s = checkSchema(gold, dag, inputs);
    expect(s).toMatchObject({ namesValid: true, paramMismatches: 0, typeMismatches: 0, issues: [] });
  });
  it('counts unknown tools, arity, unknown inputs and type mismatches with paths', () => {
    const t: Trajectory = {
      calls: [
        { tool: 'mull', args: [1, 2] },
        { tool: 'add', args: [1] },
        { tool: 'add', args: [{ input: 'nope' }, 1] },
        { tool: 'sum_list', args: ['abc'] },
        { tool: 'select_column', args: [{ lit: { a: 1 } }, 5] },
      ],
      answer: { ref: 4 },
    };
    const s = checkSchema(t, dag, inputs);
    expect(s.namesValid).toBe(false);
    expect(s.unknownTools).toEqual(['mull']);
    expect(s.paramMismatches).toBe(2);
    expect(s.typeMismatches).toBe(3);
    expect(s.issues.map((i) => i.path)).toEqual(['calls[0].tool', 'calls[1].args', 'calls[2].args[0]', 'calls[3].args[0]', 'calls[4].args[0]', 'calls[4].args[1]']);
    expect(s.issues[3]!.message).toMatch(/expects list\[float\], got str/);
  });
  it('types values: ints, floats, tables, predicates, lists', () => {
    expect(typeOfValue(3)).toEqual({ kind: 'base', name: 'int' });
    expect(typeOfValue([{ a: 1 }])).toEqual({ kind: 'base', name: 'DataFrame' });
    expect(typeOfValue({ col: 'a', op: '==', value: 1 })).toEqual({ kind: 'base', name: 'Predicate' });
    expect(typeOfValue({ and: [{ col: 'a', op: '==', value: 1 }, { not: { col: 'b', op: '<', value: 2 } }] })).toEqual({ kind: 'base', name: 'Predicate' });
    expect(typeOfValue({ col: 'a', value: 1 })).toMatchObject({ kind: 'record' });
    expect(typeOfValue([1, 2.5])).toEqual({ kind: 'list', elem: { kind: 'base', name: 'float' } });
  });
});

describe('executeTrajectory', () => {
  it('runs the gold program with a trace per call', async () => {
    const r = await executeTrajectory(gold, dag, inputs, executor);
    expect(r).toMatchObject({ ok: true, value: 15, outputs: [12, 3, 15] });
    expect(r.trace.map((t) => t.tool)).toEqual(['mul', 'mul', 'add']);
  });
  it('composites produce nested traces', async () => {
    const r = await executeTrajectory({ calls: [{ tool: 'cost_two', args: [3, 4, 2, 1.5] }], answer: { ref: 0 } }, withComposite, {}, executor);
    expect(r.value).toBe(15);
    expect(r.trace[0]!.calls.map((c) => c.tool)).toEqual(['mul', 'mul', 'add']);
  });
  it('stops at a call that throws and names it; a loop times out and the executor keeps working', async () => {
    const r = await executeTrajectory({ calls: [{ tool: 'add', args: [1, 2] }, { tool: 'div', args: [{ ref: 0 }, 0] }, { tool: 'add', args: [1, 1] }], answer: { ref: 2 } }, dag, {}, executor);
    expect(r).toMatchObject({ ok: false, failedCall: 1 });
    expect(r.error).toMatch(/calls\[1\] \(div\): ERR_(PRE_VIOLATED|EXEC_THROW)/);
    expect(r.code).toMatch(/^ERR_(PRE_VIOLATED|EXEC_THROW)$/);
    const spin = await executeTrajectory({ calls: [{ tool: 'spin', args: [1] }], answer: { ref: 0 } }, dag, {}, shortExecutor);
    expect(spin.ok).toBe(false);
    expect(spin.error).toMatch(/ERR_EXEC_TIMEOUT/);
    expect(spin.code).toBe('ERR_EXEC_TIMEOUT');
    expect((await executeTrajectory(gold, dag, inputs, shortExecutor)).value).toBe(15);
  });
});

describe('scoreTrajectory', () => {
  const ctx = { dag: withComposite, inputs, answer: 15, executor };
  it('a correct primitive trajectory: full TIER score, T = 3, T_prim = 3, R_comp = 0', async () => {
    const s = await scoreTrajectory(gold, ctx);
    expect(s).toMatchObject({ rRes: 1, rComp: 0, calls: 3, primitiveCalls: 3, reward: 1, writeAllowed: true, reason: 'ok' });
    expect(s.tier.scaled).toBe(1);
  });
  it('the composite trajectory: T = 1, T_prim = 3, R = 1 + 0.2·2', async () => {
    const s = await scoreTrajectory({ calls: [{ tool: 'cost_two', args: [{ input: 'qa' }, { input: 'pa' }, { input: 'qb' }, { input: 'pb' }] }], answer: { ref: 0 } }, ctx);
    expect(s).toMatchObject({ rRes: 1, rComp: 2, calls: 1, primitiveCalls: 3, writeAllowed: true });
    expect(s.reward).toBeCloseTo(1.4, 12);
  });
  it('bad trajectories are scored by component with a reason, never thrown, never writable', async () => {
    const cases: Array<[unknown, RegExp, number]> = [
      ['{not json', /ERR_TRAJ_JSON/, 0],
      [{ calls: [{ tool: 'add', args: [{ ref: 0 }, 1] }], answer: { ref: 0 } }, /ERR_TRAJ_FORWARD_REF/, 0],
      [{ calls: [{ tool: 'mull', args: [1, 2] }], answer: { ref: 0 } }, /ERR_TRAJ_UNKNOWN_TOOL/, 0.1],
      [{ calls: [{ tool: 'add', args: [1] }], answer: { ref: 0 } }, /ERR_TRAJ_ARITY/, (1 + 1 + 0.75 + 1) / 10],
      [{ calls: [{ tool: 'div', args: [1, 0] }], answer: { ref: 0 } }, /ERR_TRAJ_EXEC: calls\[0\] \(div\)/, 0.4],
      [{ calls: [{ tool: 'add', args: [1, 2] }], answer: { ref: 0 } }, /ERR_TRAJ_ANSWER/, 0.5],
    ];
    for (const [t, re, scaled] of cases) {
      const s = await scoreTrajectory(t, ctx);
      expect(s.reason).toMatch(re);
      expect(s.tier.scaled).toBeCloseTo(scaled, 12);
      expect(s.writeAllowed).toBe(false);
      expect(s.rRes).toBe(0);
    }
  });
  it('every generated gold program scores 1 on the fixture primitives', async () => {
    for (const t of generateTasks({ seed: 9, n: 60 })) {
      const s = await scoreTrajectory(t.program, { dag, inputs: t.inputs, answer: t.answer, executor });
      expect(s.rRes, `${t.template}: ${s.reason}`).toBe(1);
      expect(s.tier.scaled).toBe(1);
      expect(s.calls).toBe(t.depth);
    }
  });
});
