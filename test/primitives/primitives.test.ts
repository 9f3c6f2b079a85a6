import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { programFor } from '../../src/exec/library.ts';
import { Sandbox } from '../../src/exec/sandbox.ts';
import { plainEqual, isPlainData } from '../../src/exec/values.ts';
import { PRIMITIVES, SEED_COMPOSITES, seedRecords } from '../../src/primitives/index.ts';

let sb: Sandbox;
beforeAll(() => {
  sb = new Sandbox();
});
afterAll(async () => {
  await sb.close();
});

describe('primitive set', () => {
  it('has about 40 primitives with unique, stable names and complete L1–L4 records', () => {
    expect(PRIMITIVES.length).toBeGreaterThanOrEqual(40);
    const names = PRIMITIVES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['add', 'sub', 'mul', 'div', 'pow_int', 'sqrt', 'neg', 'abs', 'mod', 'round', 'min2', 'max2', 'percent_of',
      'eq', 'lt', 'gt', 'and', 'or', 'not', 'sum_list', 'mean', 'max_list', 'min_list', 'sort_list', 'count', 'first', 'nth', 'len',
      'filter_rows', 'select_column', 'group_sum', 'lookup', 'sort_rows', 'count_rows']) {
      expect(names).toContain(n);
    }
    for (const p of [...PRIMITIVES, ...SEED_COMPOSITES]) {
      expect(p.signature, p.name).toMatch(/->/);
      expect(p.description.length, p.name).toBeGreaterThan(10);
      expect(p.tags.length, p.name).toBeGreaterThan(0);
      expect(p.pre, p.name).not.toBe('');
      expect(p.post, p.name).not.toBe('');
      expect(p.conditions, p.name).not.toBe('');
      expect(p.complexity, p.name).toMatch(/^O\(/);
      expect(p.examples.length, p.name).toBeGreaterThanOrEqual(2);
      expect(p.body, p.name).toMatch(new RegExp(`^function ${p.name}\\(`));
      for (const e of p.examples) expect(isPlainData(e), p.name).toBe(true);
    }
    expect(Object.isFrozen(PRIMITIVES)).toBe(true);
  });

  it('builds a library: primitives at depth 0, sum_where a depth-1 composite', () => {
    const dag = ToolDag.fromRecords(seedRecords());
    for (const p of PRIMITIVES) {
      expect(dag.depth(p.name), p.name).toBe(0);
      expect(dag.children(p.name)).toEqual([]);
    }
    expect(dag.children('sum_where')).toEqual(['sum_list', 'select_column', 'filter_rows']);
    expect(dag.depth('sum_where')).toBe(1);
  });

  it('every tool passes its own validation: examples reproduce, with every pre/post checked', async () => {
    const dag = ToolDag.fromRecords(seedRecords());
    const failures: string[] = [];
    for (const r of dag.records()) {
      const outs = await sb.run(programFor(dag, r.name), r.examples.map((e) => ({ tool: r.name, args: e.args, trace: false })));
      outs.forEach((o, i) => {
        const e = r.examples[i]!;
        if (!o.ok) failures.push(`${r.name} example ${i}: ${o.error!.code} ${o.error!.message}`);
        else if (!plainEqual(o.result, e.result)) failures.push(`${r.name} example ${i}: got ${JSON.stringify(o.result)}, expected ${JSON.stringify(e.result)}`);
        if (o.violations.length) failures.push(`${r.name} example ${i}: ${o.violations[0]!.message}`);
      });
    }
    expect(failures).toEqual([]);
  });

  it('reject inputs outside their pre-conditions', async () => {
    const dag = ToolDag.fromRecords(seedRecords());
    const bad: Array<[string, unknown[]]> = [
      ['div', [1, 0]], ['sqrt', [-1]], ['mean', [[]]], ['nth', [[1], 1]], ['mod', [1, 0]], ['first', [[]]],
      ['add', ['1', 2]], ['select_column', [[{ a: 1 }], 'b']], ['lookup', [[{ k: 1, v: 2 }], 'k', 3, 'v']], ['round', [1.5, -1]],
      ['filter_rows', [[{ a: 1 }], 'a > 1']], ['sort_list', [[1, 'a']]],
    ];
    for (const [name, args] of bad) {
      const o = await sb.call(programFor(dag, name), name, args);
      expect(o.error?.code, name).toBe('ERR_PRE_VIOLATED');
    }
  });

  it('handle the edge cases their descriptions promise', async () => {
    const dag = ToolDag.fromRecords(seedRecords());
    const run = async (name: string, args: unknown[]): Promise<unknown> => (await sb.call(programFor(dag, name), name, args)).result;
    expect(await run('round', [2.675, 2])).toBe(2.68);
    expect(await run('round', [-0.4, 0])).toBe(0);
    expect(await run('round', [1e-7, 3])).toBe(0);
    expect(await run('round', [1e20 + 0.5, 2])).toBe(1e20);
    expect(await run('mod', [-7, 3])).toBe(2);
    expect(await run('mod', [7, -3])).toBe(-2);
    expect(await run('group_sum', [[{ k: '__proto__', v: 1 }, { k: 'toString', v: 2 }], 'k', 'v'])).toEqual(JSON.parse('{"__proto__": 1, "toString": 2}'));
    expect(await run('filter_rows', [[{ t: ['a', 'b'] }, { t: ['c'] }], { col: 't', op: 'contains', value: 'c' }])).toEqual([{ t: ['c'] }]);
    expect(await run('filter_rows', [[{ r: 'EU' }, { r: 'US' }, { r: 'JP' }], { or: [{ col: 'r', op: 'in', value: ['EU', 'JP'] }] }])).toEqual([{ r: 'EU' }, { r: 'JP' }]);
    expect(await run('filter_rows', [[{ r: 'EU' }, { r: 'US' }], { column: 'r', op: '!=', value: 'EU' }])).toEqual([{ r: 'US' }]);
    const bogus = await sb.call(programFor(dag, 'filter_rows'), 'filter_rows', [[{ a: 1 }], { col: 'a', op: '~', value: 1 }]);
    expect(bogus.error?.message).toMatch(/unknown predicate op ~/);
  });
});
