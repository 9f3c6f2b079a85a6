/**
 * The primitive set: 43 atomic tools with complete L1–L4 records and JavaScript bodies, the
 * paper's ~42 primitives shared across domains (arithmetic, comparison and logic, lists, tables),
 * plus {@link SEED_COMPOSITES} (tools built from them that a fresh library starts with).
 *
 * Conventions every gold program and teacher can rely on (names and argument order are stable):
 * * numbers are JavaScript numbers (`int` and `float` in signatures); lists are arrays;
 * * a table (`DataFrame`) is an array of row objects, e.g. `[{ "region": "EU", "amount": 3 }]`;
 * * a `Predicate` is plain data so it can appear in examples and arguments:
 *   `{ "col": "region", "op": "==", "value": "EU" }` with `op` one of `== != < <= > >= in contains`
 *   (`in`: the cell is one of `value`, an array; `contains`: the cell, a string or array, contains
 *   `value`; `column` is accepted for `col`), combined with `{ "and": [p, …] }`, `{ "or": [p, …] }`, `{ "not": p }`; inside a
 *   composite a JavaScript function `(row) => boolean` is accepted too;
 * * `nth` is 0-based; `round(x, digits)` rounds half away from zero;
 * * no primitive mutates its arguments.
 */
import type { ToolRecord } from '../library/record.ts';

type Prim = Omit<ToolRecord, 'origin' | 'body'> & { body: string };

/** The predicate evaluator, inlined into every table primitive that takes a Predicate. */
const PRED = `function test(p, row) {
    if (typeof p === 'function') return !!p(row);
    if (p === null || typeof p !== 'object') throw new TypeError('predicate must be an object like {col, op, value}');
    if (Array.isArray(p.and)) return p.and.every((q) => test(q, row));
    if (Array.isArray(p.or)) return p.or.some((q) => test(q, row));
    if (p.not !== undefined) return !test(p.not, row);
    const cell = row[p.col !== undefined ? p.col : p.column];
    switch (p.op) {
      case '==': return cell === p.value;
      case '!=': return cell !== p.value;
      case '<': return cell < p.value;
      case '<=': return cell <= p.value;
      case '>': return cell > p.value;
      case '>=': return cell >= p.value;
      case 'in': return Array.isArray(p.value) && p.value.includes(cell);
      case 'contains': return (typeof cell === 'string' || Array.isArray(cell)) && cell.includes(p.value);
      default: throw new TypeError('unknown predicate op ' + String(p.op));
    }
  }`;

const IS_TABLE = 'Array.isArray(df) && df.every((r) => r !== null && typeof r === "object" && !Array.isArray(r))';
const IS_PRED = '(typeof pred === "function" || (pred !== null && typeof pred === "object" && !Array.isArray(pred)))';
const NUMS = (v: string): string => `Array.isArray(${v}) && ${v}.every((x) => Number.isFinite(x))`;

const SALES = [
  { region: 'EU', product: 'pen', amount: 12.5 },
  { region: 'US', product: 'pen', amount: 7 },
  { region: 'EU', product: 'ink', amount: 30 },
  { region: 'APAC', product: 'pen', amount: 4 },
];
const EU = { col: 'region', op: '==', value: 'EU' };

const ARITHMETIC: Prim[] = [
  {
    name: 'add',
    signature: '(a: float, b: float) -> float',
    description: 'Return the sum of two real numbers.',
    tags: ['arithmetic', 'primitive'],
    pre: 'Number.isFinite(a) && Number.isFinite(b)',
    post: 'result === a + b',
    conditions: 'a, b are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [1, 2], result: 3 }, { args: [-1.5, 2.5], result: 1 }, { args: [0, 0], result: 0 }],
    body: 'function add(a, b) { return a + b; }',
  },
  {
    name: 'sub',
    signature: '(a: float, b: float) -> float',
    description: 'Subtract b from a.',
    tags: ['arithmetic', 'primitive', 'difference'],
    pre: 'Number.isFinite(a) && Number.isFinite(b)',
    post: 'result === a - b',
    conditions: 'a, b are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [5, 3], result: 2 }, { args: [1, 2.5], result: -1.5 }, { args: [0, -4], result: 4 }],
    body: 'function sub(a, b) { return a - b; }',
  },
  {
    name: 'mul',
    signature: '(a: float, b: float) -> float',
    description: 'Multiply two real numbers.',
    tags: ['arithmetic', 'primitive', 'product'],
    pre: 'Number.isFinite(a) && Number.isFinite(b)',
    post: 'result === a * b',
    conditions: 'a, b are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [3, 4], result: 12 }, { args: [-2, 0.5], result: -1 }, { args: [7, 0], result: 0 }],
    body: 'function mul(a, b) { return a * b; }',
  },
  {
    name: 'div',
    signature: '(a: float, b: float) -> float',
    description: 'Divide a by b.',
    tags: ['arithmetic', 'primitive', 'ratio', 'quotient'],
    pre: 'b != 0 && Number.isFinite(a) && Number.isFinite(b)',
    post: 'result === a / b',
    conditions: 'a, b are finite numbers and b != 0',
    complexity: 'O(1)',
    examples: [{ args: [6, 3], result: 2 }, { args: [1, 4], result: 0.25 }, { args: [-9, 2], result: -4.5 }],
    body: 'function div(a, b) { return a / b; }',
  },
  {
    name: 'neg',
    signature: '(x: float) -> float',
    description: 'Negate a number (additive inverse).',
    tags: ['arithmetic', 'primitive', 'sign'],
    pre: 'Number.isFinite(x)',
    post: 'result + x === 0',
    conditions: 'x is a finite number',
    complexity: 'O(1)',
    examples: [{ args: [3], result: -3 }, { args: [-2.5], result: 2.5 }, { args: [0], result: 0 }],
    body: 'function neg(x) { return 0 - x; }',
  },
  {
    name: 'abs',
    signature: '(x: float) -> float',
    description: 'Absolute value of a number.',
    tags: ['arithmetic', 'primitive', 'magnitude'],
    pre: 'Number.isFinite(x)',
    post: 'result >= 0 && (result === x || result === -x)',
    conditions: 'x is a finite number',
    complexity: 'O(1)',
    examples: [{ args: [-4], result: 4 }, { args: [2.5], result: 2.5 }, { args: [0], result: 0 }],
    body: 'function abs(x) { return x < 0 ? -x : x; }',
  },
  {
    name: 'mod',
    signature: '(a: int, b: int) -> int',
    description: 'Remainder of a divided by b, with the sign of b (mathematical modulo: mod(-1, 3) = 2).',
    tags: ['arithmetic', 'primitive', 'remainder', 'integer'],
    pre: 'Number.isInteger(a) && Number.isInteger(b) && b != 0',
    post: 'Number.isInteger(result) && Math.abs(result) < Math.abs(b) && Number.isInteger((a - result) / b)',
    conditions: 'a, b are integers and b != 0',
    complexity: 'O(1)',
    examples: [{ args: [7, 3], result: 1 }, { args: [-1, 3], result: 2 }, { args: [10, 5], result: 0 }],
    body: 'function mod(a, b) { const r = a % b; return r !== 0 && (r < 0) !== (b < 0) ? r + b : r + 0; }',
  },
  {
    name: 'pow_int',
    signature: '(x: float, n: int) -> float',
    description: 'Raise x to the integer power n (x^n).',
    tags: ['arithmetic', 'primitive', 'power', 'exponent'],
    pre: 'Number.isFinite(x) && Number.isInteger(n) && (n >= 0 || x != 0)',
    post: 'n !== 0 || result === 1',
    conditions: 'x is a finite number, n an integer; x != 0 when n < 0',
    complexity: 'O(1)',
    examples: [{ args: [2, 3], result: 8 }, { args: [5, 0], result: 1 }, { args: [2, -1], result: 0.5 }, { args: [-3, 2], result: 9 }],
    body: 'function pow_int(x, n) { return Math.pow(x, n); }',
  },
  {
    name: 'sqrt',
    signature: '(x: float) -> float',
    description: 'Non-negative square root of x.',
    tags: ['arithmetic', 'primitive', 'root'],
    pre: 'Number.isFinite(x) && x >= 0',
    post: 'result >= 0 && Math.abs(result * result - x) <= 1e-9 * Math.max(1, x)',
    conditions: 'x is a finite number and x >= 0',
    complexity: 'O(1)',
    examples: [{ args: [9], result: 3 }, { args: [2.25], result: 1.5 }, { args: [0], result: 0 }],
    body: 'function sqrt(x) { return Math.sqrt(x); }',
  },
  {
    name: 'round',
    signature: '(x: float, digits: int) -> float',
    description: 'Round x to the given number of decimal digits, halves away from zero (round(2.5, 0) = 3, round(1.005, 2) = 1.01).',
    tags: ['arithmetic', 'primitive', 'rounding', 'decimal'],
    pre: 'Number.isFinite(x) && Number.isInteger(digits) && digits >= 0 && digits <= 12',
    post: 'Math.abs(result - x) <= 0.5 * Math.pow(10, -digits) + 1e-9 * Math.max(1, Math.abs(x))',
    conditions: 'x is a finite number; digits an integer in [0, 12]',
    complexity: 'O(1)',
    examples: [{ args: [2.5, 0], result: 3 }, { args: [3.14159, 2], result: 3.14 }, { args: [-1.25, 1], result: -1.3 }, { args: [1.005, 2], result: 1.01 }],
    body: `function round(x, digits) {
  // Decimal shift through the number's text avoids binary artefacts (1.005 * 100 = 100.49999…).
  const m = Math.abs(x);
  const s = String(m);
  const f = Math.pow(10, digits);
  let r;
  if (s.includes('e')) {
    r = Math.round(m * f) / f;
  } else {
    const k = Math.round(Number(s + 'e' + digits));
    r = String(k).includes('e') ? k / f : Number(k + 'e-' + digits);
  }
  return x < 0 && r !== 0 ? -r : r;
}`,
  },
  {
    name: 'floor',
    signature: '(x: float) -> int',
    description: 'Largest integer less than or equal to x.',
    tags: ['arithmetic', 'primitive', 'rounding', 'integer'],
    pre: 'Number.isFinite(x)',
    post: 'Number.isInteger(result) && result <= x && x < result + 1',
    conditions: 'x is a finite number',
    complexity: 'O(1)',
    examples: [{ args: [2.7], result: 2 }, { args: [-2.1], result: -3 }, { args: [5], result: 5 }],
    body: 'function floor(x) { return Math.floor(x); }',
  },
  {
    name: 'ceil',
    signature: '(x: float) -> int',
    description: 'Smallest integer greater than or equal to x.',
    tags: ['arithmetic', 'primitive', 'rounding', 'integer'],
    pre: 'Number.isFinite(x)',
    post: 'Number.isInteger(result) && result >= x && x > result - 1',
    conditions: 'x is a finite number',
    complexity: 'O(1)',
    examples: [{ args: [2.1], result: 3 }, { args: [-2.7], result: -2 }, { args: [4], result: 4 }],
    body: 'function ceil(x) { return Math.ceil(x) + 0; }',
  },
  {
    name: 'min2',
    signature: '(a: float, b: float) -> float',
    description: 'The smaller of two numbers.',
    tags: ['arithmetic', 'primitive', 'minimum', 'comparison'],
    pre: 'Number.isFinite(a) && Number.isFinite(b)',
    post: 'result <= a && result <= b && (result === a || result === b)',
    conditions: 'a, b are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [3, 7], result: 3 }, { args: [-1, -5], result: -5 }, { args: [2, 2], result: 2 }],
    body: 'function min2(a, b) { return a <= b ? a : b; }',
  },
  {
    name: 'max2',
    signature: '(a: float, b: float) -> float',
    description: 'The larger of two numbers.',
    tags: ['arithmetic', 'primitive', 'maximum', 'comparison'],
    pre: 'Number.isFinite(a) && Number.isFinite(b)',
    post: 'result >= a && result >= b && (result === a || result === b)',
    conditions: 'a, b are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [3, 7], result: 7 }, { args: [-1, -5], result: -1 }, { args: [2, 2], result: 2 }],
    body: 'function max2(a, b) { return a >= b ? a : b; }',
  },
  {
    name: 'percent_of',
    signature: '(p: float, x: float) -> float',
    description: 'p percent of x, i.e. p / 100 * x (percent_of(20, 50) = 10).',
    tags: ['arithmetic', 'primitive', 'percentage', 'finance'],
    pre: 'Number.isFinite(p) && Number.isFinite(x)',
    post: 'Math.abs(result - (p * x) / 100) <= 1e-9 * Math.max(1, Math.abs(result))',
    conditions: 'p, x are finite numbers',
    complexity: 'O(1)',
    examples: [{ args: [20, 50], result: 10 }, { args: [150, 8], result: 12 }, { args: [12.5, 80], result: 10 }],
    body: 'function percent_of(p, x) { return (p * x) / 100; }',
  },
];

const LOGIC: Prim[] = [
  {
    name: 'eq',
    signature: "(a: 'a, b: 'a) -> bool",
    description: 'Whether two values are equal (numbers, strings and booleans by value; lists and records structurally).',
    tags: ['comparison', 'logic', 'primitive', 'equality'],
    pre: 'a !== undefined && b !== undefined',
    post: 'typeof result === "boolean" && (a !== b || result)',
    conditions: 'a, b are plain values of the same type',
    complexity: 'O(size of a and b)',
    examples: [{ args: [2, 2], result: true }, { args: ['EU', 'US'], result: false }, { args: [[1, { x: 2 }], [1, { x: 2 }]], result: true }],
    body: `function eq(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}`,
  },
  {
    name: 'neq',
    signature: "(a: 'a, b: 'a) -> bool",
    description: 'Whether two values differ (the negation of eq).',
    tags: ['comparison', 'logic', 'primitive', 'equality'],
    pre: 'a !== undefined && b !== undefined',
    post: 'typeof result === "boolean" && (a !== b || !result)',
    conditions: 'a, b are plain values of the same type',
    complexity: 'O(size of a and b)',
    examples: [{ args: [2, 3], result: true }, { args: ['EU', 'EU'], result: false }, { args: [[1], [1, 2]], result: true }],
    body: `function neq(a, b) {
  if (a === b) return false;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return true;
  return JSON.stringify(a) !== JSON.stringify(b);
}`,
  },
  ...(
    [
      ['lt', '<', 'strictly less than', [[1, 2, true], [2, 2, false], [-3.5, -4, false]]],
      ['le', '<=', 'less than or equal to', [[1, 2, true], [2, 2, true], [3, 2, false]]],
      ['gt', '>', 'strictly greater than', [[3, 2, true], [2, 2, false], [-1, 0, false]]],
      ['ge', '>=', 'greater than or equal to', [[3, 2, true], [2, 2, true], [1, 2, false]]],
    ] as Array<[string, string, string, Array<[number, number, boolean]>]>
  ).map(
    ([name, op, words, ex]): Prim => ({
      name,
      signature: '(a: float, b: float) -> bool',
      description: `Whether a is ${words} b.`,
      tags: ['comparison', 'logic', 'primitive', 'order'],
      pre: 'typeof a === "number" && typeof b === "number" && !Number.isNaN(a) && !Number.isNaN(b)',
      post: `result === (a ${op} b)`,
      conditions: 'a, b are numbers (not NaN)',
      complexity: 'O(1)',
      examples: ex.map(([a, b, r]) => ({ args: [a, b], result: r })),
      body: `function ${name}(a, b) { return a ${op} b; }`,
    }),
  ),
  {
    name: 'and',
    signature: '(a: bool, b: bool) -> bool',
    description: 'Logical conjunction: true when both a and b are true.',
    tags: ['logic', 'primitive', 'boolean'],
    pre: 'typeof a === "boolean" && typeof b === "boolean"',
    post: 'result === (a && b)',
    conditions: 'a, b are booleans',
    complexity: 'O(1)',
    examples: [{ args: [true, true], result: true }, { args: [true, false], result: false }, { args: [false, false], result: false }],
    body: 'function and(a, b) { return a && b; }',
  },
  {
    name: 'or',
    signature: '(a: bool, b: bool) -> bool',
    description: 'Logical disjunction: true when a or b (or both) is true.',
    tags: ['logic', 'primitive', 'boolean'],
    pre: 'typeof a === "boolean" && typeof b === "boolean"',
    post: 'result === (a || b)',
    conditions: 'a, b are booleans',
    complexity: 'O(1)',
    examples: [{ args: [true, false], result: true }, { args: [false, true], result: true }, { args: [false, false], result: false }],
    body: 'function or(a, b) { return a || b; }',
  },
  {
    name: 'not',
    signature: '(x: bool) -> bool',
    description: 'Logical negation.',
    tags: ['logic', 'primitive', 'boolean'],
    pre: 'typeof x === "boolean"',
    post: 'result === !x',
    conditions: 'x is a boolean',
    complexity: 'O(1)',
    examples: [{ args: [true], result: false }, { args: [false], result: true }],
    body: 'function not(x) { return !x; }',
  },
];

const LISTS: Prim[] = [
  {
    name: 'len',
    signature: "(xs: list['a]) -> int",
    description: 'Number of elements in a list.',
    tags: ['list', 'primitive', 'length', 'size'],
    pre: 'Array.isArray(xs)',
    post: 'result === xs.length',
    conditions: 'xs is a list',
    complexity: 'O(1)',
    examples: [{ args: [[4, 5, 6]], result: 3 }, { args: [[]], result: 0 }, { args: [['a']], result: 1 }],
    body: 'function len(xs) { return xs.length; }',
  },
  {
    name: 'sum_list',
    signature: '(xs: list[float]) -> float',
    description: 'Sum of a list of numbers (0 for the empty list).',
    tags: ['list', 'primitive', 'aggregation', 'total'],
    pre: NUMS('xs'),
    post: 'Number.isFinite(result) || xs.length > 0',
    conditions: 'xs is a list of finite numbers',
    complexity: 'O(n)',
    examples: [{ args: [[1, 2, 3.5]], result: 6.5 }, { args: [[]], result: 0 }, { args: [[-2, 2]], result: 0 }],
    body: 'function sum_list(xs) { let s = 0; for (const x of xs) s += x; return s; }',
  },
  {
    name: 'product_list',
    signature: '(xs: list[float]) -> float',
    description: 'Product of a list of numbers (1 for the empty list).',
    tags: ['list', 'primitive', 'aggregation', 'product'],
    pre: NUMS('xs'),
    post: 'xs.length > 0 || result === 1',
    conditions: 'xs is a list of finite numbers',
    complexity: 'O(n)',
    examples: [{ args: [[2, 3, 4]], result: 24 }, { args: [[]], result: 1 }, { args: [[0.5, -4]], result: -2 }],
    body: 'function product_list(xs) { let p = 1; for (const x of xs) p *= x; return p; }',
  },
  {
    name: 'mean',
    signature: '(xs: list[float]) -> float',
    description: 'Arithmetic mean (average) of a non-empty list of numbers.',
    tags: ['list', 'primitive', 'aggregation', 'average', 'statistics'],
    pre: `${NUMS('xs')} && xs.length > 0`,
    post: 'xs.some((x) => x <= result + 1e-9) && xs.some((x) => x >= result - 1e-9)',
    conditions: 'xs is a non-empty list of finite numbers',
    complexity: 'O(n)',
    examples: [{ args: [[1, 2, 3, 4]], result: 2.5 }, { args: [[7]], result: 7 }, { args: [[-1, 1, 3]], result: 1 }],
    body: 'function mean(xs) { let s = 0; for (const x of xs) s += x; return s / xs.length; }',
  },
  {
    name: 'max_list',
    signature: '(xs: list[float]) -> float',
    description: 'Largest element of a non-empty list of numbers.',
    tags: ['list', 'primitive', 'aggregation', 'maximum'],
    pre: `${NUMS('xs')} && xs.length > 0`,
    post: 'xs.includes(result) && xs.every((x) => x <= result)',
    conditions: 'xs is a non-empty list of finite numbers',
    complexity: 'O(n)',
    examples: [{ args: [[3, 9, 2]], result: 9 }, { args: [[-5]], result: -5 }, { args: [[1.5, 1.25]], result: 1.5 }],
    body: 'function max_list(xs) { let m = xs[0]; for (const x of xs) if (x > m) m = x; return m; }',
  },
  {
    name: 'min_list',
    signature: '(xs: list[float]) -> float',
    description: 'Smallest element of a non-empty list of numbers.',
    tags: ['list', 'primitive', 'aggregation', 'minimum'],
    pre: `${NUMS('xs')} && xs.length > 0`,
    post: 'xs.includes(result) && xs.every((x) => x >= result)',
    conditions: 'xs is a non-empty list of finite numbers',
    complexity: 'O(n)',
    examples: [{ args: [[3, 9, 2]], result: 2 }, { args: [[-5]], result: -5 }, { args: [[1.5, 1.25]], result: 1.25 }],
    body: 'function min_list(xs) { let m = xs[0]; for (const x of xs) if (x < m) m = x; return m; }',
  },
  {
    name: 'sort_list',
    signature: "(xs: list['a]) -> list['a]",
    description: 'The list sorted ascending (numbers numerically, strings lexicographically); the input is not changed.',
    tags: ['list', 'primitive', 'sort', 'order'],
    pre: 'Array.isArray(xs) && (xs.every((x) => typeof x === "number" && !Number.isNaN(x)) || xs.every((x) => typeof x === "string"))',
    post: 'result.length === xs.length && result.every((v, i) => i === 0 || result[i - 1] <= v)',
    conditions: 'xs is a list of numbers (not NaN) or a list of strings',
    complexity: 'O(n log n)',
    examples: [{ args: [[3, 1, 2]], result: [1, 2, 3] }, { args: [['pear', 'apple']], result: ['apple', 'pear'] }, { args: [[]], result: [] }],
    body: 'function sort_list(xs) { return [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); }',
  },
  {
    name: 'reverse_list',
    signature: "(xs: list['a]) -> list['a]",
    description: 'The list in reverse order; the input is not changed.',
    tags: ['list', 'primitive', 'order'],
    pre: 'Array.isArray(xs)',
    post: 'result.length === xs.length && result.every((v, i) => v === xs[xs.length - 1 - i])',
    conditions: 'xs is a list',
    complexity: 'O(n)',
    examples: [{ args: [[1, 2, 3]], result: [3, 2, 1] }, { args: [['a']], result: ['a'] }, { args: [[]], result: [] }],
    body: 'function reverse_list(xs) { return [...xs].reverse(); }',
  },
  {
    name: 'count',
    signature: "(xs: list['a], x: 'a) -> int",
    description: 'How many elements of the list are identical to x (===: numbers, strings, booleans, null).',
    tags: ['list', 'primitive', 'aggregation', 'frequency'],
    pre: 'Array.isArray(xs) && x !== undefined',
    post: 'Number.isInteger(result) && result >= 0 && result <= xs.length',
    conditions: 'xs is a list; x a value of its element type',
    complexity: 'O(n)',
    examples: [{ args: [[1, 2, 1, 1], 1], result: 3 }, { args: [['a', 'b'], 'c'], result: 0 }, { args: [[], 5], result: 0 }],
    body: 'function count(xs, x) { let n = 0; for (const v of xs) if (v === x) n++; return n; }',
  },
  {
    name: 'first',
    signature: "(xs: list['a]) -> 'a",
    description: 'The first element of a non-empty list.',
    tags: ['list', 'primitive', 'access', 'head'],
    pre: 'Array.isArray(xs) && xs.length > 0',
    post: 'result === xs[0]',
    conditions: 'xs is a non-empty list',
    complexity: 'O(1)',
    examples: [{ args: [[7, 8, 9]], result: 7 }, { args: [['only']], result: 'only' }, { args: [[[1], [2]]], result: [1] }],
    body: 'function first(xs) { return xs[0]; }',
  },
  {
    name: 'last',
    signature: "(xs: list['a]) -> 'a",
    description: 'The last element of a non-empty list.',
    tags: ['list', 'primitive', 'access', 'tail'],
    pre: 'Array.isArray(xs) && xs.length > 0',
    post: 'result === xs[xs.length - 1]',
    conditions: 'xs is a non-empty list',
    complexity: 'O(1)',
    examples: [{ args: [[7, 8, 9]], result: 9 }, { args: [['only']], result: 'only' }, { args: [[true, false]], result: false }],
    body: 'function last(xs) { return xs[xs.length - 1]; }',
  },
  {
    name: 'nth',
    signature: "(xs: list['a], i: int) -> 'a",
    description: 'The element at 0-based position i of a list.',
    tags: ['list', 'primitive', 'access', 'index'],
    pre: 'Array.isArray(xs) && Number.isInteger(i) && i >= 0 && i < xs.length',
    post: 'result === xs[i]',
    conditions: 'xs is a list and 0 <= i < len(xs)',
    complexity: 'O(1)',
    examples: [{ args: [[7, 8, 9], 1], result: 8 }, { args: [['a', 'b'], 0], result: 'a' }, { args: [[1, 2, 3], 2], result: 3 }],
    body: 'function nth(xs, i) { return xs[i]; }',
  },
];

const TABLES: Prim[] = [
  {
    name: 'filter_rows',
    signature: '(df: DataFrame, pred: Predicate) -> DataFrame',
    description: 'The rows of a table that satisfy a predicate, in order.',
    tags: ['table', 'primitive', 'filter', 'selection', 'where'],
    pre: `${IS_TABLE} && ${IS_PRED}`,
    post: 'Array.isArray(result) && result.length <= df.length',
    conditions: 'df is a table (list of row records); pred a Predicate {col, op, value} (or and/or/not of them)',
    complexity: 'O(n)',
    examples: [
      { args: [SALES, EU], result: [SALES[0], SALES[2]] },
      { args: [SALES, { col: 'amount', op: '>', value: 10 }], result: [SALES[0], SALES[2]] },
      { args: [SALES, { and: [{ col: 'product', op: '==', value: 'pen' }, { not: EU }] }], result: [SALES[1], SALES[3]] },
      { args: [[], EU], result: [] },
    ],
    body: `function filter_rows(df, pred) {
  ${PRED}
  return df.filter((row) => test(pred, row));
}`,
  },
  {
    name: 'select_column',
    signature: '(df: DataFrame, col: str) -> list[any]',
    description: 'The values of one column of a table, in row order.',
    tags: ['table', 'primitive', 'column', 'projection'],
    pre: `${IS_TABLE} && typeof col === "string" && df.every((r) => Object.prototype.hasOwnProperty.call(r, col))`,
    post: 'result.length === df.length && result.every((v, i) => v === df[i][col])',
    conditions: 'df is a table and every row has column col',
    complexity: 'O(n)',
    examples: [
      { args: [SALES, 'amount'], result: [12.5, 7, 30, 4] },
      { args: [SALES.slice(0, 2), 'region'], result: ['EU', 'US'] },
      { args: [[], 'x'], result: [] },
    ],
    body: 'function select_column(df, col) { return df.map((row) => row[col]); }',
  },
  {
    name: 'group_sum',
    signature: '(df: DataFrame, key: str, col: str) -> dict[str, float]',
    description: 'Sum a numeric column per distinct value of a key column: {key value: sum}, keys in order of first appearance.',
    tags: ['table', 'primitive', 'aggregation', 'group by', 'total'],
    pre: `${IS_TABLE} && typeof key === "string" && typeof col === "string" && df.every((r) => Number.isFinite(r[col]) && r[key] !== undefined)`,
    post: 'Object.keys(result).length <= df.length',
    conditions: 'df is a table; every row has key column key and a finite number in column col',
    complexity: 'O(n)',
    examples: [
      { args: [SALES, 'region', 'amount'], result: { EU: 42.5, US: 7, APAC: 4 } },
      { args: [SALES, 'product', 'amount'], result: { pen: 23.5, ink: 30 } },
      { args: [[], 'region', 'amount'], result: {} },
    ],
    body: `function group_sum(df, key, col) {
  const out = Object.create(null);
  for (const row of df) {
    const k = String(row[key]);
    out[k] = (k in out ? out[k] : 0) + row[col];
  }
  return out;
}`,
  },
  {
    name: 'lookup',
    signature: '(df: DataFrame, key_col: str, key: any, col: str) -> any',
    description: 'The value in column col of the first row whose column key_col equals key (a table lookup, like VLOOKUP).',
    tags: ['table', 'primitive', 'lookup', 'access', 'find'],
    pre: `${IS_TABLE} && typeof key_col === "string" && typeof col === "string" && df.some((r) => r[key_col] === key && r[col] !== undefined)`,
    post: 'result === df.find((r) => r[key_col] === key)[col]',
    conditions: 'df is a table with a row whose key_col equals key, and that row has column col',
    complexity: 'O(n)',
    examples: [
      { args: [SALES, 'product', 'ink', 'amount'], result: 30 },
      { args: [SALES, 'region', 'US', 'product'], result: 'pen' },
      { args: [SALES, 'amount', 4, 'region'], result: 'APAC' },
    ],
    body: 'function lookup(df, key_col, key, col) { for (const row of df) if (row[key_col] === key) return row[col]; return null; }',
  },
  {
    name: 'sort_rows',
    signature: '(df: DataFrame, col: str, descending: bool) -> DataFrame',
    description: 'The rows of a table sorted by one column (stable), ascending or descending; the input is not changed.',
    tags: ['table', 'primitive', 'sort', 'order', 'rank'],
    pre: `${IS_TABLE} && typeof col === "string" && typeof descending === "boolean" && (df.every((r) => typeof r[col] === "number") || df.every((r) => typeof r[col] === "string"))`,
    post: 'result.length === df.length && result.every((r, i) => i === 0 || (descending ? result[i - 1][col] >= r[col] : result[i - 1][col] <= r[col]))',
    conditions: 'df is a table whose column col holds only numbers or only strings',
    complexity: 'O(n log n)',
    examples: [
      { args: [SALES, 'amount', true], result: [SALES[2], SALES[0], SALES[1], SALES[3]] },
      { args: [SALES, 'region', false], result: [SALES[3], SALES[0], SALES[2], SALES[1]] },
      { args: [[], 'x', false], result: [] },
    ],
    body: `function sort_rows(df, col, descending) {
  const sign = descending ? -1 : 1;
  return [...df].sort((a, b) => (a[col] < b[col] ? -sign : a[col] > b[col] ? sign : 0));
}`,
  },
  {
    name: 'count_rows',
    signature: '(df: DataFrame) -> int',
    description: 'Number of rows in a table.',
    tags: ['table', 'primitive', 'count', 'size'],
    pre: IS_TABLE,
    post: 'result === df.length',
    conditions: 'df is a table',
    complexity: 'O(1)',
    examples: [{ args: [SALES], result: 4 }, { args: [[]], result: 0 }, { args: [[{ a: 1 }]], result: 1 }],
    body: 'function count_rows(df) { return df.length; }',
  },
  {
    name: 'head_rows',
    signature: '(df: DataFrame, n: int) -> DataFrame',
    description: 'The first n rows of a table (all of them when it has fewer).',
    tags: ['table', 'primitive', 'limit', 'top'],
    pre: `${IS_TABLE} && Number.isInteger(n) && n >= 0`,
    post: 'result.length === Math.min(n, df.length) && result.every((r, i) => r === df[i])',
    conditions: 'df is a table; n a non-negative integer',
    complexity: 'O(n)',
    examples: [{ args: [SALES, 2], result: SALES.slice(0, 2) }, { args: [SALES, 0], result: [] }, { args: [SALES.slice(0, 1), 5], result: SALES.slice(0, 1) }],
    body: 'function head_rows(df, n) { return df.slice(0, n); }',
  },
];

function finish(list: Prim[], origin: ToolRecord['origin']): readonly ToolRecord[] {
  return Object.freeze(list.map((p) => Object.freeze({ ...structuredClone(p), origin })));
}

/** The primitive set, depth 0, in a stable order. */
export const PRIMITIVES: readonly ToolRecord[] = finish([...ARITHMETIC, ...LOGIC, ...LISTS, ...TABLES], 'primitive');

/** Composites a fresh library starts with (built from {@link PRIMITIVES} only). */
export const SEED_COMPOSITES: readonly ToolRecord[] = finish(
  [
    {
      name: 'sum_where',
      signature: '(df: DataFrame, col: str, pred: Predicate) -> float',
      description: 'Sum a numeric column over the rows of a table that satisfy a predicate.',
      tags: ['table', 'aggregation', 'filter', 'total', 'composite'],
      pre: `${IS_TABLE} && typeof col === "string" && ${IS_PRED}`,
      post: 'Number.isFinite(result)',
      conditions: 'column col exists and is numeric on the matching rows; pred is a Predicate total on rows',
      complexity: 'O(n)',
      examples: [
        { args: [SALES, 'amount', EU], result: 42.5 },
        { args: [SALES, 'amount', { col: 'product', op: '==', value: 'pen' }], result: 23.5 },
        { args: [SALES, 'amount', { col: 'region', op: '==', value: 'LATAM' }], result: 0 },
      ],
      body: 'function sum_where(df, col, pred) { return sum_list(select_column(filter_rows(df, pred), col)); }',
    },
  ],
  'composite',
);

/** What `cocoda library init` puts in a new library: the primitives, then the seed composites. */
export function seedRecords(): ToolRecord[] {
  return [...PRIMITIVES, ...SEED_COMPOSITES].map((r) => structuredClone(r) as ToolRecord);
}

/** The sample sales table used in the primitives' examples (handy for docs and tests). */
export const SAMPLE_SALES: ReadonlyArray<Readonly<Record<string, string | number>>> = Object.freeze(SALES.map((r) => Object.freeze({ ...r })));
