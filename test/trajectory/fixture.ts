// A small primitive library for trajectory tests (the vocabulary of the task programs).
import { ToolDag } from '../../src/library/dag.ts';
import type { ToolInput } from '../../src/library/dag.ts';

export const FIXTURE_PRIMITIVES: ToolInput[] = [
  { name: 'add', signature: '(float, float) -> float', body: 'function add(a, b) { return a + b; }', origin: 'primitive' },
  { name: 'sub', signature: '(float, float) -> float', body: 'function sub(a, b) { return a - b; }', origin: 'primitive' },
  { name: 'mul', signature: '(float, float) -> float', body: 'function mul(a, b) { return a * b; }', origin: 'primitive' },
  { name: 'div', signature: '(float, float) -> float', pre: 'b !== 0', body: 'function div(a, b) { if (b === 0) throw new Error("division by zero"); return a / b; }', origin: 'primitive' },
  { name: 'percent', signature: '(float, float) -> float', body: 'function percent(x, p) { return x * p / 100; }', origin: 'primitive' },
  { name: 'sum_list', signature: '(list[float]) -> float', body: 'function sum_list(xs) { let s = 0; for (const x of xs) s += x; return s; }', origin: 'primitive' },
  { name: 'mean', signature: '(list[float]) -> float', body: 'function mean(xs) { if (xs.length === 0) throw new Error("empty"); let s = 0; for (const x of xs) s += x; return s / xs.length; }', origin: 'primitive' },
  { name: 'max_list', signature: '(list[float]) -> float', body: 'function max_list(xs) { return Math.max(...xs); }', origin: 'primitive' },
  { name: 'min_list', signature: '(list[float]) -> float', body: 'function min_list(xs) { return Math.min(...xs); }', origin: 'primitive' },
  { name: 'count', signature: '(any) -> int', body: 'function count(xs) { return xs.length; }', origin: 'primitive' },
  { name: 'filter_rows', signature: '(DataFrame, Predicate) -> DataFrame', body: 'function filter_rows(t, p) { return t.filter((r) => p.op === "==" ? r[p.column] === p.value : p.op === "!=" ? r[p.column] !== p.value : p.op === "<" ? r[p.column] < p.value : p.op === "<=" ? r[p.column] <= p.value : p.op === ">" ? r[p.column] > p.value : r[p.column] >= p.value); }', origin: 'primitive' },
  { name: 'select_column', signature: '(DataFrame, str) -> list[any]', body: 'function select_column(t, c) { return t.map((r) => r[c]); }', origin: 'primitive' },
  { name: 'spin', signature: '(int) -> int', body: 'function spin(n) { while (true) {} }', origin: 'primitive' },
];

export function fixtureDag(): ToolDag {
  return ToolDag.empty().add(FIXTURE_PRIMITIVES);
}
