import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolDag, type ToolInput } from '../../src/library/dag.ts';
import { insertTool, libraryInserter, type InsertDecision } from '../../src/library/insert.ts';
import { Sandbox } from '../../src/exec/sandbox.ts';
import { SAMPLE_SALES, seedRecords } from '../../src/primitives/index.ts';

let sandbox: Sandbox;
let base: ToolDag;
beforeAll(() => {
  sandbox = new Sandbox({ timeoutMs: 5000 });
  base = ToolDag.fromRecords(seedRecords());
});
afterAll(async () => {
  await sandbox.close();
});

const insert = (dag: ToolDag, c: ToolInput | Record<string, unknown>, timeoutMs?: number): Promise<InsertDecision> =>
  insertTool(dag, c, timeoutMs === undefined ? { sandbox } : { sandbox, timeoutMs });

/** A rejected insert hands back the very version it got, unchanged. */
function expectUnchanged(d: InsertDecision, dag: ToolDag): void {
  expect(d.action).toBe('REJECT');
  expect(d.version).toBe(dag);
  expect(d.dag).toBe(dag);
  expect(d.reason.startsWith('REJECT: ')).toBe(true);
}

const QUADRATIC: ToolInput = {
  name: 'quadratic_expr',
  signature: '(a: float, b: float, c: float, x: float) -> float',
  description: 'Evaluate the quadratic a*x^2 + b*x + c at x.',
  tags: ['algebra', 'polynomial', 'closed-form'],
  pre: 'Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c) && Number.isFinite(x)',
  post: 'Math.abs(result - (a * x * x + b * x + c)) <= 1e-9 * Math.max(1, Math.abs(result))',
  complexity: 'O(1)',
  examples: [{ args: [1, -3, 2, 2], result: 0 }, { args: [2, 0, -1, 3], result: 17 }, { args: [0, 1, 0, 5], result: 5 }],
  body: 'function quadratic_expr(a, b, c, x) { return add(add(mul(a, pow_int(x, 2)), mul(b, x)), c); }',
};

describe('InsertTool: ADD', () => {
  it('adds a composite with depth 1 + max child depth and edges from its body', async () => {
    const d = await insert(base, QUADRATIC);
    expect(d).toMatchObject({ action: 'ADD', code: 'ADDED', tool: 'quadratic_expr', depth: 1, children: ['add', 'add', 'mul', 'pow_int', 'mul'] });
    expect(d.reason).toBe('ADD: composite quadratic_expr (depth 1, children add ×2, mul ×2, pow_int)');
    expect(d.version.version).toBe(base.version + 1);
    expect(d.version.size).toBe(base.size + 1);
    expect(base.has('quadratic_expr')).toBe(false);
    // a composite over it is one level deeper
    const d2 = await insert(d.version, {
      name: 'quadratic_at_two', signature: '(a: float, b: float, c: float) -> float',
      examples: [{ args: [1, -3, 2], result: 0 }], body: 'function quadratic_at_two(a, b, c) { return quadratic_expr(a, b, c, 2); }',
    });
    expect(d2).toMatchObject({ action: 'ADD', depth: 2, children: ['quadratic_expr'] });
  });

  it('adds a tool without children as a primitive at depth 0', async () => {
    const d = await insert(base, {
      name: 'cube', signature: '(x: float) -> float', description: 'x cubed', pre: 'Number.isFinite(x)', post: 'result === x * x * x',
      examples: [{ args: [2], result: 8 }, { args: [-1], result: -1 }], body: 'function cube(x) { return x * x * x; }',
    });
    expect(d).toMatchObject({ action: 'ADD', depth: 0, children: [], reason: 'ADD: primitive cube (depth 0)' });
    expect(d.version.depth('cube')).toBe(0);
  });
});

describe('InsertTool: the paper\'s appendix H.3 cases', () => {
  it('rejects safe_div through div\'s precondition b != 0 (even though safe_div catches the error)', async () => {
    const safeDiv = {
      name: 'safe_div',
      signature: '(a: float, b: float) -> float',
      description: 'Divide a by b for any b.',
      tags: ['arithmetic'],
      pre: '',
      post: 'b === 0 || result === a / b',
      complexity: 'O(1)',
      examples: [{ args: [6, 3], result: 2 }, { args: [1, 0], result: 0 }],
      body: 'function safe_div(a, b) { try { return div(a, b); } catch (e) { return 0; } }',
    };
    const d = await insert(base, safeDiv);
    expectUnchanged(d, base);
    expect(d.code).toBe('ERR_CHILD_CONTRACT');
    expect(d.reason).toBe("REJECT: safe_div violates div's pre-condition `b != 0 && Number.isFinite(a) && Number.isFinite(b)` on example 1: div(1, 0)");
    expect(d.details).toMatchObject({ example: 1, violation: { tool: 'div', kind: 'pre', args: [1, 0] } });
    // The naive version (no catch) is rejected for the same reason.
    const naive = await insert(base, { ...safeDiv, body: 'function safe_div(a, b) { return div(a, b); }' });
    expect(naive.code).toBe('ERR_CHILD_CONTRACT');
  });

  it('rejects memoize_factorial <-> fact_rec as a cycle', async () => {
    // Built directly: InsertTool itself would merge fact_rec into memoize_factorial (same behaviour).
    const lib = base.add([
      {
        name: 'memoize_factorial', signature: '(n: int) -> int', pre: 'Number.isInteger(n) && n >= 0',
        examples: [{ args: [5], result: 120 }, { args: [0], result: 1 }],
        body: 'function memoize_factorial(n) { let r = 1; for (let i = 2; i <= n; i++) r = mul(r, i); return r; }',
      },
      {
        name: 'fact_rec', signature: '(n: int) -> int', pre: 'Number.isInteger(n) && n >= 0',
        examples: [{ args: [4], result: 24 }, { args: [1], result: 1 }],
        body: 'function fact_rec(n) { return n <= 1 ? 1 : mul(n, memoize_factorial(n - 1)); }',
      },
    ]);
    const d = await insert(lib, {
      name: 'memoize_factorial', signature: '(n: int) -> int', pre: 'Number.isInteger(n) && n >= 0',
      examples: [{ args: [5], result: 120 }],
      body: 'function memoize_factorial(n) { const memo = {}; return memo[n] ?? (memo[n] = fact_rec(n)); }',
    });
    expectUnchanged(d, lib);
    expect(d.code).toBe('ERR_CYCLE');
    expect(d.reason).toBe('REJECT: cycle via fact_rec');
    expect(lib.children('memoize_factorial')).toEqual(['mul']);
  });

  it('merges column_sum_if into sum_where: examples appended, no new vertex', async () => {
    const d = await insert(base, {
      name: 'column_sum_if',
      signature: '(table: DataFrame, column: str, cond: Predicate) -> float',
      description: 'Total of a column over the rows matching a condition.',
      tags: ['table', 'aggregation'],
      pre: 'Array.isArray(table) && typeof column === "string"',
      post: 'Number.isFinite(result)',
      complexity: 'O(n)',
      examples: [
        { args: [SAMPLE_SALES, 'amount', { col: 'product', op: '==', value: 'ink' }], result: 30 },
        { args: [SAMPLE_SALES, 'amount', { col: 'amount', op: '<', value: 10 }], result: 11 },
        { args: [SAMPLE_SALES, 'amount', { col: 'region', op: '==', value: 'EU' }], result: 42.5 },
      ],
      body: 'function column_sum_if(table, column, cond) { let s = 0; for (const row of filter_rows(table, cond)) s = add(s, row[column]); return s; }',
    });
    expect(d).toMatchObject({ action: 'MERGE', code: 'MERGED', mergedInto: 'sum_where', into: 'sum_where', tool: 'column_sum_if' });
    expect(d.reason).toBe('MERGE: column_sum_if into sum_where (same behaviour on 6 examples; 2 examples appended)');
    expect(d.version.size).toBe(base.size);
    expect(d.version.has('column_sum_if')).toBe(false);
    const before = base.record('sum_where')!.examples;
    const after = d.version.record('sum_where')!.examples;
    expect(after.length).toBe(before.length + 2);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(d.version.record('sum_where')!.body).toBe(base.record('sum_where')!.body);
  });
});

describe('InsertTool: REJECT', () => {
  const ok = { name: 'twice', signature: '(x: float) -> float', examples: [{ args: [2], result: 4 }], body: 'function twice(x) { return add(x, x); }' };

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['unknown child', { ...ok, body: 'function twice(x) { return plus(x, x); }' }, 'ERR_UNKNOWN_CHILD', /tool "twice": body calls "plus", which does not exist/],
    ['self call', { ...ok, body: 'function twice(x) { return x > 100 ? x : twice(add(x, x)); }' }, 'ERR_CYCLE', /cycle: "twice" calls itself/],
    ['wrong result', { ...ok, examples: [{ args: [2], result: 5 }] }, 'ERR_EXAMPLE_MISMATCH', /example 0 twice\(2\) returns 4, expected 5/],
    ['own pre violated', { ...ok, pre: 'x > 10' }, 'ERR_PRE_VIOLATED', /example 0 twice\(2\) violates twice's own pre-condition `x > 10`/],
    ['own post violated', { ...ok, post: 'result < x' }, 'ERR_POST_VIOLATED', /violates twice's own post-condition `result < x`/],
    ['throws', { ...ok, body: 'function twice(x) { throw new Error("nope"); }' }, 'ERR_EXAMPLE_FAILED', /example 0 twice\(2\) fails: nope \[ERR_EXEC_THROW\]/],
    ['never returns', { ...ok, body: 'function twice(x) { for (;;) {} }' }, 'ERR_EXAMPLE_FAILED', /did not return within 500 ms .*ERR_EXEC_TIMEOUT/],
    ['child pre on nested call', { ...ok, examples: [{ args: ['a'], result: 'aa' }] }, 'ERR_CHILD_CONTRACT', /twice violates add's pre-condition/],
    ['body does not parse', { ...ok, body: 'function twice(x) { return add(x, x) ' }, 'ERR_BODY_PARSE', /tool "twice": body: does not parse: Unexpected token/],
    ['body is not one function', { ...ok, body: 'const twice = (x) => add(x, x);' }, 'ERR_BODY_SHAPE', /tool "twice": body: must be exactly one function declaration/],
    ['pre does not parse', { ...ok, pre: 'x >' }, 'ERR_CONTRACT_PARSE', /tool "twice": pre: is not a JavaScript expression/],
    ['no body', { ...ok, body: undefined }, 'ERR_NO_BODY', /tool "twice": body: missing/],
    ['no examples', { ...ok, examples: [] }, 'ERR_NO_EXAMPLES', /tool "twice": examples: none/],
    ['missing signature', { ...ok, signature: undefined }, 'ERR_RECORD', /Expected "twice.signature" to be a non-empty string/],
    ['bad signature', { ...ok, signature: '(float -> float' }, 'ERR_TYPE_PARSE', /twice/],
    ['non-plain example result', { ...ok, examples: [{ args: [2], result: undefined }] }, 'ERR_EXEC_VALUE', /tool "twice": examples\[0\].result is undefined, not plain data/],
    ['non-plain example args', { ...ok, examples: [{ args: [new Date(0)], result: 4 }] }, 'ERR_EXEC_VALUE', /tool "twice": examples\[0\].args\[0\] is a Date instance/],
    ['example without args', { ...ok, examples: [{ result: 4 }] }, 'ERR_RECORD', /tool "twice": examples\[0\].args must be an array/],
    ['async body', { ...ok, body: 'async function twice(x) { return add(x, x); }' }, 'ERR_BODY_SHAPE', /must not be async/],
    ['tool used as a value', { ...ok, body: 'function twice(x) { return [x].map(neg)[0]; }' }, 'ERR_BODY_INDIRECT_CALL', /uses tool "neg" as a value/],
  ];
  for (const [what, cand, code, re] of cases) {
    it(`${what} → ${code}, library unchanged`, async () => {
      const d = await insert(base, cand, code === 'ERR_EXAMPLE_FAILED' ? 500 : undefined);
      expectUnchanged(d, base);
      expect(d.code).toBe(code);
      expect(d.reason).toMatch(re);
      expect(base.has('twice')).toBe(false);
    });
  }

  it('rejects a different tool under a taken name, and a child without a body', async () => {
    const d = await insert(base, { ...ok, name: 'neg', body: 'function neg(x) { return add(x, x); }' });
    expectUnchanged(d, base);
    expect(d).toMatchObject({ code: 'ERR_NAME_TAKEN', reason: expect.stringMatching(/a different tool named "neg" already exists/) });
    // …even when it behaves exactly like another tool: it never merges into a different name
    const asSub = await insert(base, { name: 'add', signature: '(a: float, b: float) -> float', examples: [{ args: [5, 3], result: 2 }], body: 'function add(a, b) { return a - b; }' });
    expectUnchanged(asSub, base);
    expect(asSub).toMatchObject({ action: 'REJECT', code: 'ERR_NAME_TAKEN' });
    const withRemote = base.add({ name: 'remote_rate', signature: '(currency: str) -> float', origin: 'imported' });
    const r = await insert(withRemote, { name: 'eur_rate', signature: '() -> float', examples: [{ args: [], result: 1 }], body: 'function eur_rate() { return remote_rate("EUR"); }' });
    expectUnchanged(r, withRemote);
    expect(r).toMatchObject({ code: 'ERR_CHILD_NO_BODY', reason: expect.stringMatching(/calls "remote_rate", a schema-only tool without a body/) });
  });
});

describe('InsertTool: MERGE', () => {
  it('merges an update that behaves like the tool it would replace into it', async () => {
    const d = await insert(base, {
      name: 'abs', signature: '(x: float) -> float', examples: [{ args: [-7], result: 7 }, { args: [-4], result: 4 }],
      body: 'function abs(x) { return Math.abs(x); }',
    });
    expect(d).toMatchObject({ action: 'MERGE', mergedInto: 'abs', reason: 'MERGE: abs into the existing abs (same behaviour on 5 examples; 1 example appended)' });
    expect(d.version.record('abs')!.body).toBe(base.record('abs')!.body);
  });

  it('does not merge tools that only agree on some examples', async () => {
    const d = await insert(base, {
      name: 'clamp0', signature: '(x: float) -> float', examples: [{ args: [3], result: 3 }, { args: [0], result: 0 }],
      body: 'function clamp0(x) { return max2(x, 0); }',
    });
    // abs agrees on both of clamp0's examples but not on its own (abs(-4) = 4, clamp0(-4) = 0).
    expect(d).toMatchObject({ action: 'ADD', depth: 1 });
  });

  it('keeps the library unchanged when every example is already there', async () => {
    const d = await insert(base, { name: 'plus', signature: '(a: float, b: float) -> float', examples: [{ args: [1, 2], result: 3 }], body: 'function plus(a, b) { return b + a; }' });
    expect(d).toMatchObject({ action: 'MERGE', mergedInto: 'add' });
    expect(d.version).toBe(base);
  });
});

describe('InsertTool on the primitive set', () => {
  it('adds every primitive and seed composite, one by one, into an empty library', async () => {
    let v = ToolDag.empty();
    const decisions: string[] = [];
    for (const r of seedRecords()) {
      const d = await insert(v, r);
      decisions.push(d.reason);
      v = d.version;
    }
    expect(decisions.filter((r) => !r.startsWith('ADD: '))).toEqual([]);
    expect(v.size).toBe(seedRecords().length);
    expect(v.depth('sum_where')).toBe(1);
  });
});

describe('libraryInserter', () => {
  it('fits the teacher seam (dag, candidate) => decision with dag/into', async () => {
    const ins = libraryInserter({ sandbox });
    const d = await ins(base, QUADRATIC);
    expect(d.dag).toBe(d.version);
    expect(d.dag.has('quadratic_expr')).toBe(true);
  });
});
