/**
 * Reference semantics of the primitive vocabulary the task programs use. Gold answers come from
 * here, independently of any library under evolution (a library tool that is wrong must not move
 * the gold answer); tests check that the library's primitives agree with it on every gold program.
 *
 * Names, argument orders and data conventions are those of src/primitives: tables are arrays
 * of row objects; a predicate is plain data `{col, op, value}` with op one of `== != < <= > >=`.
 */
import { CocodaError } from '../errors.ts';
import { isInput, isLit, isRef, type Arg, type Trajectory } from '../trajectory/ir.ts';

export type Row = Record<string, string | number>;
export interface Predicate {
  col: string;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  value: string | number;
}

const num = (x: unknown): number => {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new CocodaError(`expected a finite number, got ${JSON.stringify(x)}`, 'ERR_TASK_REFERENCE');
  return x;
};
const list = (x: unknown): number[] => {
  if (!Array.isArray(x)) throw new CocodaError('expected a list', 'ERR_TASK_REFERENCE');
  return x.map(num);
};
const rows = (x: unknown): Row[] => {
  if (!Array.isArray(x)) throw new CocodaError('expected a table (array of rows)', 'ERR_TASK_REFERENCE');
  return x as Row[];
};

export function testPredicate(row: Row, p: Predicate): boolean {
  const v = row[p.col];
  switch (p.op) {
    case '==': return v === p.value;
    case '!=': return v !== p.value;
    case '<': return (v as number) < (p.value as number);
    case '<=': return (v as number) <= (p.value as number);
    case '>': return (v as number) > (p.value as number);
    case '>=': return (v as number) >= (p.value as number);
  }
}

/** name → (positional args) → result. */
export const REFERENCE: Readonly<Record<string, (...a: unknown[]) => unknown>> = {
  add: (a, b) => num(a) + num(b),
  sub: (a, b) => num(a) - num(b),
  mul: (a, b) => num(a) * num(b),
  div: (a, b) => {
    if (num(b) === 0) throw new CocodaError('division by zero', 'ERR_TASK_REFERENCE');
    return num(a) / num(b);
  },
  percent_of: (p, x) => (num(p) * num(x)) / 100,
  sum_list: (xs) => list(xs).reduce((s, v) => s + v, 0),
  mean: (xs) => {
    const l = list(xs);
    if (l.length === 0) throw new CocodaError('mean of an empty list', 'ERR_TASK_REFERENCE');
    return l.reduce((s, v) => s + v, 0) / l.length;
  },
  max_list: (xs) => Math.max(...list(xs)),
  min_list: (xs) => Math.min(...list(xs)),
  count_rows: (t) => rows(t).length,
  group_sum: (t, key, col) => {
    const out: Record<string, number> = {};
    for (const r of rows(t)) {
      const k = String(r[key as string]);
      out[k] = (out[k] ?? 0) + num(r[col as string]);
    }
    return out;
  },
  filter_rows: (t, p) => rows(t).filter((r) => testPredicate(r, p as Predicate)),
  select_column: (t, c) => rows(t).map((r) => r[c as string]),
};

function argValue(a: Arg, outputs: unknown[], inputs: Record<string, unknown>): unknown {
  if (isRef(a)) return outputs[a.ref];
  if (isInput(a)) return inputs[a.input];
  if (isLit(a)) return a.lit;
  return a;
}

/** Runs a gold program on the reference semantics. */
export function evaluateReference(program: Trajectory, inputs: Record<string, unknown>): unknown {
  const outputs: unknown[] = [];
  for (const c of program.calls) {
    const f = REFERENCE[c.tool];
    if (!f) throw new CocodaError(`no reference semantics for tool "${c.tool}"`, 'ERR_TASK_REFERENCE');
    outputs.push(f(...c.args.map((a) => argValue(a, outputs, inputs))));
  }
  return argValue(program.answer, outputs, inputs);
}
