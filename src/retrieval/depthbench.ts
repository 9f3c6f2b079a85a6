/**
 * The DepthBench evaluation set for retrieval: one typed sub-goal per gold call of
 * `queries.json` (TIER's DepthBench, 1,710 queries), to be retrieved among the 163 DepthBench
 * tools and the 4,211 xLAM distractors.
 *
 * * Input types come from the gold argument values, positionally, in the order the gold call
 *   lists them (the sub-goal does not know the tool's parameter names: names would leak the
 *   answer). A scalar value has its literal type (`"SOL"` → `enum["SOL"]`, a subtype of `str` and
 *   of any enum containing it); arrays and objects are typed element- and field-wise; an empty
 *   array is `list[?]`; list elements are joined (`[1, 2]` → `list[enum[1, 2]]`). The `tag`
 *   argument of GetDate/GetLocation/GetTime is TIER's scenario selector, not a tool argument, and
 *   is dropped. A value `"API_RESPONSE_i"` takes the type of what call i returns: the field
 *   named by the producing tool's `returns.index` when it has one, else its whole return type.
 * * The output type is the gold tool's return type; `?` (unknown) where it has no `returns`.
 *   `?` is gradual: it unifies with every type in both directions, so an unknown output
 *   constrains nothing and a tool returning `?` serves every output type.
 * * The intent is the query text.
 *
 * The values themselves are carried by the literal input types (checked at L1), so the sub-goals
 * carry no separate `args`. Inputs are positional in the gold call's order; retrieval on this set
 * treats them as unordered ({@link UnorderedInputsL1}), as the gold order is not the schema's.
 *
 * Metric: hit@1 / hit@5 of the gold tool in a method's ranking, per sub-goal.
 */
import { readFileSync } from 'node:fs';
import type { Literal, Type } from '../types/ast.ts';
import { printType } from '../types/print.ts';
import { joinTypes } from '../types/subtype.ts';
import { schemaToSignature } from '../library/import-schema.ts';
import { depthbenchFile } from '../library/depthbench.ts';
import { CocodaError } from '../errors.ts';
import type { SubGoal } from './cascade.ts';
import type { UnorderedInputsL1 } from './l1.ts';

export interface EvalSubGoal extends SubGoal {
  /** `queries.json` key and the call's index in its `api_calls`. */
  query: string;
  call: number;
  /** Name of the gold tool. */
  gold: string;
  /** The query's composition depth (`num_calls`). */
  depth: number;
  signature: string;
  /** The gold call's arguments as written (by name; for reports, not given to retrievers). */
  goldArgs: Record<string, unknown>;
}

export interface EvalSet {
  subgoals: EvalSubGoal[];
  /** Queries that yield no sub-goal, with the reason (no gold calls, unknown tool, …). */
  skipped: Array<{ query: string; reason: string }>;
}

const REF = /^API_RESPONSE_(\d+)$/;

function literalOrBase(v: Literal): Type {
  return { kind: 'enum', values: [v] };
}

/** Type of a JSON value, with `API_RESPONSE_i` references resolved through `refs`. */
export function typeOfValue(v: unknown, refs: (i: number) => Type | undefined): Type {
  if (v === null || v === undefined) return { kind: 'base', name: 'none' };
  if (typeof v === 'string') {
    const m = REF.exec(v);
    if (m) {
      const t = refs(Number(m[1]));
      if (t) return t;
    }
    return literalOrBase(v);
  }
  if (typeof v === 'number') return Number.isFinite(v) ? literalOrBase(v) : { kind: 'base', name: 'float' };
  if (typeof v === 'boolean') return literalOrBase(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return { kind: 'list', elem: { kind: 'unknown' } };
    // Elements of one list share a type: literals of one base collapse to an enum of all of them.
    // Elements of one list share their join (literals of one base join to an enum of them all).
    return { kind: 'list', elem: v.map((x) => typeOfValue(x, refs)).reduce((a, b) => joinTypes(a, b)) };
  }
  if (typeof v === 'object') {
    const fields = Object.entries(v as Record<string, unknown>)
      .map(([name, x]) => ({ name, type: typeOfValue(x, refs), optional: false }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { kind: 'record', fields };
  }
  return { kind: 'unknown' };
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(depthbenchFile(file), 'utf8')) as unknown;
}

/**
 * Builds the sub-goals (see the module comment) from `queries.json` and the tool specs.
 *
 * @example
 * ```ts
 * import { depthbenchEvalSet } from 'cocoda';
 * const { subgoals } = depthbenchEvalSet();
 * subgoals[0]; // { query: '0', call: 0, gold: 'SearchSKU', signature: '(enum["White"], …) -> …', intent: 'Create cart …', … }
 * ```
 */
export function depthbenchEvalSet(opts: { queries?: unknown; tools?: unknown; xlam?: unknown } = {}): EvalSet {
  const queries = (opts.queries ?? readJson('queries.json')) as Record<string, Record<string, unknown>>;
  const specs = { ...((opts.xlam ?? readJson('xlam_tools.json')) as Record<string, unknown>), ...((opts.tools ?? readJson('tools.json')) as Record<string, unknown>) };
  const resultOf = new Map<string, Type>();
  const passedOf = (name: string): Type | undefined => {
    if (resultOf.has(name)) return resultOf.get(name);
    const spec = specs[name] as Record<string, unknown> | undefined;
    if (!spec) return undefined;
    let t: Type;
    try {
      t = schemaToSignature(spec, name).signature.result;
    } catch {
      t = { kind: 'unknown' };
    }
    const idx = (spec.returns as Record<string, unknown> | undefined)?.index;
    if (typeof idx === 'string' && t.kind === 'record') {
      const f = t.fields.find((x) => x.name === idx);
      if (f) t = f.type;
    }
    resultOf.set(name, t);
    return t;
  };
  const subgoals: EvalSubGoal[] = [];
  const skipped: EvalSet['skipped'] = [];
  for (const [key, q] of Object.entries(queries)) {
    const prompt = q.prompt;
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      skipped.push({ query: key, reason: 'no prompt' });
      continue;
    }
    let calls: Record<string, Record<string, Record<string, unknown>>>;
    try {
      calls = typeof q.api_calls === 'string' && q.api_calls.trim() !== '' ? JSON.parse(q.api_calls) : {};
    } catch (e) {
      throw new CocodaError(`queries.json: query "${key}": api_calls is not valid JSON (${(e as Error).message})`, 'ERR_DATA_INVALID', { query: key, field: 'api_calls' });
    }
    const order = Object.keys(calls).sort((a, b) => Number(a) - Number(b));
    if (order.length === 0) {
      skipped.push({ query: key, reason: Number(q.num_calls) > 0 ? 'gold calls missing' : 'no tool applies (depth 0)' });
      continue;
    }
    const produced = new Map<number, string>();
    for (const ci of order) {
      const call = calls[ci]!;
      const [gold, args] = Object.entries(call)[0] ?? [];
      if (!gold || !specs[gold]) {
        skipped.push({ query: key, reason: `call ${ci}: unknown tool ${JSON.stringify(gold)}` });
        continue;
      }
      const refs = (i: number): Type | undefined => {
        const p = produced.get(i);
        return p ? passedOf(p) : undefined;
      };
      const argObj = { ...((args ?? {}) as Record<string, unknown>) };
      // `tag` selects the scenario state of GetDate/GetLocation/GetTime in TIER's harness; it is not
      // a tool argument (the tools take none), so it is not part of the sub-goal.
      if (typeof q.tag === 'string' && q.tag !== '' && argObj.tag === q.tag) delete argObj.tag;
      const params = Object.values(argObj).map((v) => printType(typeOfValue(v, refs)));
      const out = passedOf(gold) === undefined ? '?' : printType(schemaToSignature(specs[gold], gold).signature.result);
      produced.set(Number(ci), gold);
      subgoals.push({
        query: key,
        call: Number(ci),
        gold,
        depth: Number(q.num_calls) || order.length,
        signature: `(${params.join(', ')}) -> ${out}`,
        intent: prompt,
        goldArgs: argObj,
      });
    }
  }
  return { subgoals, skipped };
}

/** A JSON value's coarse type: `str`, `int`, `float`, `bool`, `none`, `list[any]` or `any` (objects, references). */
export function coarseTypeOfValue(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return REF.test(v) ? 'any' : 'str';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list[any]';
  return 'any';
}

/**
 * The loosely typed form of a sub-goal (a robustness check of graded L1): every input typed by its
 * JSON kind only ({@link coarseTypeOfValue}: no literal values, no element or field types), the
 * output unknown `?` — what a planner that knows little about types would emit.
 *
 * @example
 * ```ts
 * coarseForm(subgoal).signature; // '(str, str, str, str) -> ?'
 * ```
 */
export function coarseForm(sg: EvalSubGoal): EvalSubGoal {
  return { ...sg, signature: `(${Object.values(sg.goldArgs).map(coarseTypeOfValue).join(', ')}) -> ?` };
}

/** hit@k of `gold` in a ranking. */
export function hitAt(ranked: ArrayLike<number>, gold: number, k: number): boolean {
  const m = Math.min(k, ranked.length);
  for (let i = 0; i < m; i++) if (ranked[i] === gold) return true;
  return false;
}
