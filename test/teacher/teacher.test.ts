import { afterAll, describe, expect, it } from 'vitest';
import { fixtureDag } from '../trajectory/fixture.ts';
import { SandboxExecutor } from '../../src/trajectory/sandbox-executor.ts';
import { executeTrajectory } from '../../src/trajectory/execute.ts';
import { ALL_SCENARIOS, generateTasks, makeTask } from '../../src/tasks/generate.ts';
import { canonicalize, patternBody, patternFromBody, patternKey } from '../../src/teacher/pattern.ts';
import { planWithLibrary } from '../../src/teacher/planner.ts';
import { proposeComposites, type SolvedTrajectory } from '../../src/teacher/abstract.ts';
import { libraryInserter } from '../../src/library/insert.ts';
import { foldIntoLibrary } from '../../src/teacher/fold.ts';
import type { Trajectory } from '../../src/trajectory/ir.ts';

const executor = new SandboxExecutor({ timeoutMs: 1000 });
afterAll(() => executor.close());
const base = fixtureDag();
const names = new Set(base.names());
const cost2 = { name: 'cost_two', signature: '(float, float, float, float) -> float', body: 'function cost_two(a, b, c, d) { return add(mul(a, b), mul(c, d)); }', origin: 'teacher' as const };

async function solve(ts: ReturnType<typeof generateTasks>): Promise<SolvedTrajectory[]> {
  const out: SolvedTrajectory[] = [];
  for (const t of ts) {
    const r = await executeTrajectory(t.program, base, t.inputs, executor);
    expect(r.ok).toBe(true);
    out.push({ trajectory: t.program, inputs: t.inputs, outputs: r.outputs });
  }
  return out;
}

describe('patterns', () => {
  it('round-trips a straight-line body, sharing locals used twice', () => {
    const p = patternFromBody('function rng(t, c) { const v = select_column(t, c); return sub(max_list(v), min_list(v)); }', names)!;
    expect(patternKey(p)).toBe('select_column($0,$1);max_list(#0);min_list(#0);sub(#1,#2)');
    const body = patternBody('rng', p, ['t', 'c']);
    expect(patternKey(patternFromBody(body, names)!)).toBe(patternKey(p));
  });
  it('keeps the body parameter order for substitution while keys stay canonical', () => {
    const p = patternFromBody('function f(x, y) { return mul(y, x); }', names)!;
    expect(p.calls[0]!.args).toEqual([{ param: 1 }, { param: 0 }]);
    expect(patternKey(canonicalize(p).pattern)).toBe('mul($0,$1)');
  });
  it('rejects bodies that are not straight-line calls', () => {
    expect(patternFromBody('function f(a) { if (a) return add(a, 1); return a; }', names)).toBeNull();
    expect(patternFromBody('function f(a, b) { return add(a, 1) + b; }', names)).toBeNull();
    expect(patternFromBody('function f(a, b) { const v = mul(a, b); return add(a, a); }', names)).toBeNull();
    expect(patternFromBody('function f(a, b) { return add(a, a); }', names)).toBeNull();
    expect(patternFromBody('function f(a { ', names)).toBeNull();
  });
});

describe('teacher planner', () => {
  const lib = base.add(cost2);
  const gold: Trajectory = {
    calls: [
      { tool: 'mul', args: [{ input: 'qa' }, { input: 'pa' }] },
      { tool: 'mul', args: [{ input: 'qb' }, { input: 'pb' }] },
      { tool: 'add', args: [{ ref: 0 }, { ref: 1 }] },
      { tool: 'div', args: [{ ref: 2 }, { input: 'people' }] },
    ],
    answer: { ref: 3 },
  };
  it('substitutes a covering composite and keeps the answer', async () => {
    const plan = planWithLibrary(gold, lib);
    expect(plan.used).toEqual(['cost_two']);
    expect(plan.trajectory.calls.map((c) => c.tool)).toEqual(['cost_two', 'div']);
    expect(plan.trajectory.calls[1]!.args[0]).toEqual({ ref: 0 });
    const inputs = { qa: 3, pa: 4, qb: 2, pb: 1.5, people: 3 };
    expect((await executeTrajectory(plan.trajectory, lib, inputs, executor)).value).toBe(5);
  });
  it('never substitutes when an intermediate is needed elsewhere (not lossless)', () => {
    const t: Trajectory = { calls: [...gold.calls.slice(0, 3), { tool: 'div', args: [{ ref: 2 }, { ref: 0 }] }], answer: { ref: 3 } };
    expect(planWithLibrary(t, lib).used).toEqual([]);
  });
  it('applies composites built on composites in turn', () => {
    const lib2 = lib.add({ name: 'share_of_two', signature: '(float, float, float, float, float) -> float', body: 'function share_of_two(a, b, c, d, n) { return div(cost_two(a, b, c, d), n); }', origin: 'teacher' });
    const plan = planWithLibrary(gold, lib2);
    expect(plan.used).toEqual(['cost_two', 'share_of_two']);
    expect(plan.trajectory.calls).toEqual([{ tool: 'share_of_two', args: [{ input: 'qa' }, { input: 'pa' }, { input: 'qb' }, { input: 'pb' }, { input: 'people' }] }]);
  });
  it('binds a repeated parameter only to equal arguments', () => {
    const lib3 = base.add({ name: 'sq', signature: '(float) -> float', body: 'function sq(x) { return add(mul(x, x), x); }' });
    const same: Trajectory = { calls: [{ tool: 'mul', args: [2, 2] }, { tool: 'add', args: [{ ref: 0 }, 2] }], answer: { ref: 1 } };
    const diff: Trajectory = { calls: [{ tool: 'mul', args: [2, 3] }, { tool: 'add', args: [{ ref: 0 }, 2] }], answer: { ref: 1 } };
    expect(planWithLibrary(same, lib3).used).toEqual(['sq']);
    expect(planWithLibrary(diff, lib3).used).toEqual([]);
  });
});

describe('abstractor', () => {
  it('proposes the shared two-item cost first, typed, documented, with observed examples', async () => {
    const solved = await solve([
      ...generateTasks({ seed: 1, n: 4, domain: 'math', depth: 3 }),
      ...generateTasks({ seed: 2, n: 3, domain: 'math', depth: 4 }),
    ].filter((t) => t.program.calls.filter((c) => c.tool === 'mul').length === 2));
    const cands = proposeComposites(solved, base);
    const top = cands[0]!;
    expect(top.key).toBe('mul($0,$1);mul($2,$3);add(#0,#1)');
    expect(top.frequency).toBeGreaterThanOrEqual(3);
    expect(top.phi).toBe(2);
    expect(top.utility).toBe(top.frequency * 2);
    expect(top.record.signature).toBe('(float, float, float, float) -> float');
    expect(top.record.body).toContain('add(mul(qa, pa), mul(qb, pb))');
    expect(top.record.examples!.length).toBeGreaterThan(0);
    for (const e of top.record.examples!) expect(e.result).toBe((e.args[0] as number) * (e.args[1] as number) + (e.args[2] as number) * (e.args[3] as number));
    for (let i = 1; i < cands.length; i++) expect(cands[i - 1]!.utility).toBeGreaterThanOrEqual(cands[i]!.utility);
  });
  it('lifts child preconditions that read parameters directly, renamed, and drops the others', async () => {
    const pay = ALL_SCENARIOS.find((s) => s.id === 'pay_minutes')!;
    const solved = await solve([0, 1, 2].map((i) => makeTask(pay, 'train', 4, i)));
    const c = proposeComposites(solved, base).find((x) => x.key === 'div($0,$1);mul(#0,$2);add(#1,$3)')!;
    expect(c.record.body).toContain('add(mul(div(minutes, min_per_hour), rate), bonus)');
    expect(c.record.pre).toContain('(min_per_hour != 0 && Number.isFinite(minutes) && Number.isFinite(min_per_hour))');
    // mul's and add's preconditions read an intermediate value (a) too, so they are not lifted.
    expect(c.record.pre).not.toMatch(/\ba\b/);
  });
  it('skips sub-programs the library already has and needs the minimum frequency', async () => {
    const solved = await solve(generateTasks({ seed: 1, n: 6, domain: 'math', depth: 3 }).filter((t) => t.template.startsWith('math/purchase2')));
    const lib = base.add(cost2);
    expect(proposeComposites(solved, lib).some((c) => c.key === 'mul($0,$1);mul($2,$3);add(#0,#1)')).toBe(false);
    expect(proposeComposites(solved.slice(0, 1), base)).toEqual([]);
  });
});

describe('InsertTool seam (the library InsertTool)', () => {
  const insert = libraryInserter({ sandbox: executor.sandbox });
  const ex = [{ args: [3, 4, 2, 1.5], result: 15 }];
  it('ADDs a valid composite with depth and edges', async () => {
    const d = await insert(base, { ...cost2, examples: ex });
    expect(d.action).toBe('ADD');
    expect(d.dag.depth('cost_two')).toBe(1);
    expect(d.dag.children('cost_two')).toEqual(['add', 'mul', 'mul']);
  });
  it('REJECTs a wrong example, a child contract violation and an unknown child; the library is unchanged', async () => {
    const wrong = await insert(base, { ...cost2, examples: [{ args: [3, 4, 2, 1.5], result: 16 }] });
    expect(wrong).toMatchObject({ action: 'REJECT', code: 'ERR_EXAMPLE_MISMATCH' });
    expect(wrong.dag).toBe(base);
    const safeDiv = await insert(base, { name: 'safe_div', signature: '(float, float) -> float', body: 'function safe_div(a, b) { return div(add(a, 0), b); }', examples: [{ args: [1, 0], result: 0 }] });
    expect(safeDiv.action).toBe('REJECT');
    expect(safeDiv.code).toBe('ERR_CHILD_CONTRACT');
    const unknown = await insert(base, { name: 'bad', signature: '(float) -> float', body: 'function bad(a) { return nope(a); }', examples: [{ args: [1], result: 1 }] });
    expect(unknown).toMatchObject({ action: 'REJECT', code: 'ERR_UNKNOWN_CHILD' });
    expect(base.has('bad')).toBe(false);
  });
  it('MERGEs a behaviourally equal candidate into the existing tool', async () => {
    const lib = (await insert(base, { ...cost2, examples: ex })).dag;
    const d = await insert(lib, { name: 'cost_two_b', signature: '(float, float, float, float) -> float', body: 'function cost_two_b(a, b, c, d) { return add(mul(c, d), mul(a, b)); }', examples: [{ args: [1, 2, 3, 4], result: 14 }] });
    expect(d).toMatchObject({ action: 'MERGE', into: 'cost_two' });
    expect(d.dag.has('cost_two_b')).toBe(false);
    expect(d.dag.record('cost_two')!.examples).toHaveLength(2);
  });
  it('fold inserts the best candidates and counts rejections by code', async () => {
    const solved = await solve(generateTasks({ seed: 3, n: 16, domain: 'math' }));
    const always = async (dag: typeof base) => ({ action: 'REJECT' as const, code: 'ERR_TEST', reason: 'REJECT: test', dag });
    const rejected = await foldIntoLibrary(base, solved, always, { maxInserts: 2 });
    expect(rejected.dag).toBe(base);
    expect(rejected.rejections.ERR_TEST).toBe(rejected.candidates.length);
    const r = await foldIntoLibrary(base, solved, insert, { maxInserts: 2 });
    expect(r.added.length).toBeGreaterThan(0);
    expect(r.dag.stats().composites).toBe(r.added.length);
  });
});
