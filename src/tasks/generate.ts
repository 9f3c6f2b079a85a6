/**
 * The embedded task family: generated, verifiable, compositional problems, deterministic from a
 * seed, in two domains (GSM8K-like `math`, WikiTableQuestions/FinQA-like `table`).
 *
 * **Depth** (DepthBench's definition): the number of tool calls in the task's gold program over
 * the primitives, 1–6. Composites can solve a task in fewer calls; the depth stays a property of
 * the task.
 *
 * **Splits**: train and test share program skeletons (so tools learned in training transfer) but
 * use disjoint phrasings (`template` ids ending `#train…` vs `#test…`), disjoint name/item/region
 * vocabularies and disjoint, larger parameter ranges (see `RANGES` and the table generator).
 */
import { argError } from '../errors.ts';
import type { Trajectory } from '../trajectory/ir.ts';
import { evaluateReference } from './reference.ts';
import { Rng, mixSeed } from './rng.ts';
import { fill, type Domain, type Scenario, type Split } from './scenario.ts';
import { MATH_SCENARIOS } from './math.ts';
import { TABLE_SCENARIOS } from './table.ts';

export interface Task {
  /** `domain/scenario#split<k>:seed:index`, unique per (seed, split, index). */
  id: string;
  domain: Domain;
  query: string;
  inputs: Record<string, unknown>;
  /** Gold program over the primitives (trajectory IR). */
  program: Trajectory;
  answer: unknown;
  /** Calls in the gold program (1–6). */
  depth: number;
  /** Phrasing template id, e.g. `math/purchase2#train1`. */
  template: string;
  split: Split;
}

export interface TaskOptions {
  seed?: number;
  n?: number;
  split?: Split;
  /** Restrict to one domain; default both, alternating. */
  domain?: Domain;
  /** Restrict to one depth 1–6. */
  depth?: number;
}

export const ALL_SCENARIOS: readonly Scenario[] = [...MATH_SCENARIOS, ...TABLE_SCENARIOS];

const depthCache = new Map<string, number>();
/** Depth of a scenario (its program length is fixed). */
export function scenarioDepth(s: Scenario): number {
  let d = depthCache.get(s.id);
  if (d === undefined) {
    d = s.make(new Rng(1), 'train').program.calls.length;
    depthCache.set(s.id, d);
  }
  return d;
}

/** Names of the tools the gold programs call (all scenarios): what a library must hold to solve the tasks. */
export function taskVocabulary(): string[] {
  const names = new Set<string>();
  for (const s of ALL_SCENARIOS) for (const c of s.make(new Rng(1), 'train').program.calls) names.add(c.tool);
  return [...names].sort();
}

/** Scenarios matching a domain / depth filter. */
export function scenarios(domain?: Domain, depth?: number): Scenario[] {
  return ALL_SCENARIOS.filter((s) => (domain === undefined || s.domain === domain) && (depth === undefined || scenarioDepth(s) === depth));
}

/** One task from a scenario. */
export function makeTask(s: Scenario, split: Split, seed: number, index: number): Task {
  const rng = new Rng(mixSeed(seed, index, split === 'train' ? 1 : 2, ALL_SCENARIOS.indexOf(s)));
  const inst = s.make(rng, split);
  const k = Math.floor(rng.next() * s.phrasings[split].length);
  const template = `${s.domain}/${s.id}#${split}${k}`;
  return {
    id: `${template}:${seed}:${index}`,
    domain: s.domain,
    query: fill(s.phrasings[split][k]!, inst.slots),
    inputs: inst.inputs,
    program: inst.program,
    answer: evaluateReference(inst.program, inst.inputs),
    depth: inst.program.calls.length,
    template,
    split,
  };
}

/**
 * Generates `n` tasks deterministically from `seed`. Without a domain filter the stream alternates
 * math and table; scenarios are drawn uniformly within the domain.
 *
 * @example
 * ```ts
 * const [t] = generateTasks({ seed: 7, n: 1, domain: 'math', depth: 3, split: 'test' });
 * t.query;  // "What is the total for an order of 12 lamps priced $35.25 apiece plus ..."
 * t.answer; // number; verifyAnswer(x, t.answer) scores a candidate
 * ```
 */
export function generateTasks(options: TaskOptions = {}): Task[] {
  const seed = options.seed ?? 0;
  const n = options.n ?? 10;
  const split = options.split ?? 'train';
  if (!Number.isInteger(seed) || seed < 0) throw argError('range', 'seed', 'a non-negative integer', seed);
  if (!Number.isInteger(n) || n < 0) throw argError('range', 'n', 'a non-negative integer', n);
  if (split !== 'train' && split !== 'test') throw argError('range', 'split', '"train" or "test"', split);
  if (options.domain !== undefined && options.domain !== 'math' && options.domain !== 'table') {
    throw argError('range', 'domain', '"math" or "table"', options.domain);
  }
  if (options.depth !== undefined && (!Number.isInteger(options.depth) || options.depth < 1 || options.depth > 6)) {
    throw argError('range', 'depth', 'an integer from 1 to 6', options.depth);
  }
  const domains: Domain[] = options.domain ? [options.domain] : ['math', 'table'];
  const pools = domains.map((d) => scenarios(d, options.depth)).filter((p) => p.length > 0);
  if (pools.length === 0) return [];
  const rng = new Rng(mixSeed(seed, 0xc0c0da, split === 'train' ? 1 : 2));
  const out: Task[] = [];
  for (let i = 0; i < n; i++) {
    const pool = pools[i % pools.length]!;
    out.push(makeTask(rng.pick(pool), split, seed, i));
  }
  return out;
}
