/**
 * The embedded, programmatic teacher abstractor (paper Algorithm 1 lines 7 and 29; prompt D.1's
 * role without an LLM): from successful trajectories, propose composites whose bodies call only
 * tools already in the library.
 *
 * * Candidates: every closed, connected data-flow sub-program of ≥ 2 calls — a set S of calls with
 *   one sink whose other members feed only calls of S. Arguments coming from outside S (query
 *   inputs, literals, earlier outputs) become parameters; identical references share one.
 * * L1: each parameter's type is the meet of the parameter types it feeds (type variables and
 *   `any` replaced by the join of the observed values' types); the result type is the sink's.
 * * L2: composed from the children's descriptions; tags are the union of theirs.
 * * L3: `pre` is the conjunction of the children's preconditions that read parameters directly
 *   (renamed); `post` checks the result's runtime type; the conditions text spells out the body.
 * * L4: argument/result pairs actually observed in the trajectories (three smallest distinct).
 * * Utility (Stitch-like compression): frequency (trajectories containing the sub-program) × Φ,
 *   Φ = Σ flat(calls of S) − 1.
 */
import type { ToolDag, ToolInput } from '../library/dag.ts';
import { analyzeBody } from '../library/edges.ts';
import { isReservedToolName, IDENTIFIER_RE } from '../library/edges.ts';
import type { Signature, Type } from '../types/ast.ts';
import { printSignature } from '../types/print.ts';
import { hasTypeVars, isSubtype, joinTypes, meetTypes } from '../types/subtype.ts';
import { isInput, isLit, isRef, type Arg, type Trajectory } from '../trajectory/ir.ts';
import { toolSignature, typeOfValue } from '../trajectory/schema.ts';
import { canonicalize, isLocal, isParam, patternBody, patternExpression, patternKey, type PArg, type Pattern } from './pattern.ts';
import { consumers, libraryPatterns } from './planner.ts';

export interface SolvedTrajectory {
  trajectory: Trajectory;
  inputs: Record<string, unknown>;
  /** Output of each call, from its execution. */
  outputs: unknown[];
}

export interface Candidate {
  name: string;
  /** Canonical pattern text (see `patternKey`). */
  key: string;
  pattern: Pattern;
  record: ToolInput;
  /** Calls the sub-program has. */
  size: number;
  /** Σ flat of its calls: primitive calls in the expansion. */
  flat: number;
  phi: number;
  /** Trajectories containing it. */
  frequency: number;
  utility: number;
}

export interface AbstractOptions {
  /** Largest sub-program considered; default 6. */
  maxSize?: number;
  /** Minimum number of trajectories containing a candidate; default 2. */
  minFrequency?: number;
  /** At most this many candidates, best utility first; default 8. */
  maxCandidates?: number;
}

interface Occurrence {
  pattern: Pattern;
  /** Values of the canonical parameters, and the sink's result. */
  args: unknown[];
  result: unknown;
  /** For naming: the external argument behind each canonical parameter. */
  sources: Arg[];
}

const UNKNOWN: Type = { kind: 'unknown' };
const isVague = (t: Type): boolean => t.kind === 'unknown' || (t.kind === 'base' && t.name === 'any') || hasTypeVars(t);

function argKey(a: Arg): string {
  if (isRef(a)) return `r${a.ref}`;
  if (isInput(a)) return `i${a.input}`;
  return '';
}

function valueOf(a: Arg, s: SolvedTrajectory): unknown {
  if (isRef(a)) return s.outputs[a.ref];
  if (isInput(a)) return s.inputs[a.input];
  if (isLit(a)) return a.lit;
  return a;
}

/** Every closed single-sink sub-program of `s` with 2..maxSize calls. */
function occurrences(s: SolvedTrajectory, maxSize: number): Occurrence[] {
  const calls = s.trajectory.calls;
  const n = calls.length;
  if (n < 2 || n > 16) return [];
  const cons = consumers(s.trajectory);
  const out: Occurrence[] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    let size = 0;
    for (let m = mask; m; m &= m - 1) size++;
    if (size < 2 || size > maxSize) continue;
    const inS = (i: number) => (mask >> i) & 1;
    let sink = -1;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      if (!inS(i)) continue;
      const internal = cons[i]!.filter((c) => c >= 0 && inS(c)).length;
      if (internal === 0) {
        if (sink !== -1) ok = false;
        sink = i;
      } else if (cons[i]!.some((c) => c < 0 || !inS(c))) ok = false;
    }
    if (!ok || sink === -1) continue;
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (inS(i)) members.push(i);
    // The sink must be the last member so that every local is defined before use.
    if (members[members.length - 1] !== sink) continue;
    const local = new Map(members.map((m, k) => [m, k]));
    const paramOf = new Map<string, number>();
    const sources: Arg[] = [];
    const pcalls = members.map((m) => ({
      tool: calls[m]!.tool,
      args: calls[m]!.args.map((a): PArg => {
        if (isRef(a) && local.has(a.ref)) return { local: local.get(a.ref)! };
        const k = argKey(a);
        if (k && paramOf.has(k)) return { param: paramOf.get(k)! };
        const p = sources.length;
        sources.push(a);
        if (k) paramOf.set(k, p);
        return { param: p };
      }),
    }));
    const { pattern, paramOrder } = canonicalize({ params: sources.length, calls: pcalls });
    const srcs = paramOrder.map((p) => sources[p]!);
    out.push({ pattern, sources: srcs, args: srcs.map((a) => valueOf(a, s)), result: s.outputs[sink] });
  }
  return out;
}

/** The calls' tools joined in order; when that is long, the sink named after the first tool it builds on. */
function candidateName(p: Pattern): string {
  const full = p.calls.map((c) => c.tool).join('_');
  if (full.length <= 40) return full;
  const sink = p.calls[p.calls.length - 1]!.tool;
  const first = p.calls[0]!.tool;
  return (first === sink ? sink : `${sink}_of_${first}`).slice(0, 64);
}

/** First sentence of a description (child summaries must not nest whole descriptions). */
function firstSentence(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = /^(.*?[.!?])(\s|$)/.exec(t);
  return (m ? m[1]! : t).trim();
}

function uniqueName(base: string, taken: (n: string) => boolean): string {
  let name = base.replace(/[^A-Za-z0-9_$]/g, '_');
  if (!IDENTIFIER_RE.test(name)) name = `t_${name}`;
  if (!taken(name) && !isReservedToolName(name)) return name;
  for (let k = 2; ; k++) if (!taken(`${name}_${k}`)) return `${name}_${k}`;
}

/** Parameter names of a child tool (its body's), for naming composite parameters. */
function childParamNames(dag: ToolDag, tool: string): string[] {
  const body = dag.record(tool)?.body;
  if (!body) return [];
  try {
    return analyzeBody(tool, body, (n) => dag.has(n)).params;
  } catch {
    return [];
  }
}

function renameIdentifiers(expr: string, map: Map<string, string>): string {
  return expr.replace(/(?<![.\w$])([A-Za-z_$][\w$]*)/g, (m) => map.get(m) ?? m);
}

function buildRecord(dag: ToolDag, name: string, pattern: Pattern, occs: Occurrence[]): ToolInput {
  const first = occs[0]!;
  const toolNames = new Set(dag.names());
  // Parameter names: the query input's name when the first occurrence read one, else the child's parameter name.
  const used = new Set<string>();
  const paramNames: string[] = [];
  const firstUse = new Array<{ tool: string; pos: number } | undefined>(pattern.params);
  for (const c of pattern.calls) c.args.forEach((a, j) => { if (isParam(a) && !firstUse[a.param]) firstUse[a.param] = { tool: c.tool, pos: j }; });
  for (let p = 0; p < pattern.params; p++) {
    const src = first.sources[p]!;
    const use = firstUse[p]!;
    let base = isInput(src) ? src.input : childParamNames(dag, use.tool)[use.pos] ?? `x${p}`;
    base = base.replace(/[^A-Za-z0-9_$]/g, '_');
    if (!IDENTIFIER_RE.test(base) || isReservedToolName(base) || toolNames.has(base) || base === name) base = `x${p}`;
    let nm = base;
    for (let k = 2; used.has(nm) || toolNames.has(nm); k++) nm = `${base}${k}`;
    used.add(nm);
    paramNames.push(nm);
  }
  // L1: meet of the parameter types fed; vague ones from observed values.
  const observed = (p: number): Type => occs.map((o) => typeOfValue(o.args[p])).reduce((a, b) => joinTypes(a, b));
  const paramTypes: Type[] = [];
  for (let p = 0; p < pattern.params; p++) {
    let t: Type | null = null;
    for (const c of pattern.calls) {
      const sig = toolSignature(dag, c.tool);
      c.args.forEach((a, j) => {
        if (!isParam(a) || a.param !== p) return;
        const want = sig?.params[j]?.type ?? UNKNOWN;
        if (isVague(want)) return;
        t = t === null ? want : meetTypes(t, want) ?? t;
      });
    }
    const obs = observed(p);
    paramTypes.push(t === null ? (isVague(obs) ? { kind: 'base', name: 'any' } : obs) : t);
  }
  const sinkCall = pattern.calls[pattern.calls.length - 1]!;
  const sinkSig = toolSignature(dag, sinkCall.tool);
  let result: Type = sinkSig?.result ?? UNKNOWN;
  if (isVague(result)) {
    const obs = occs.map((o) => typeOfValue(o.result)).reduce((a, b) => joinTypes(a, b));
    result = isVague(obs) ? { kind: 'base', name: 'any' } : obs;
  }
  const signature: Signature = { params: paramTypes.map((type) => ({ type, optional: false })), result };
  // L2: composed from the children.
  const expr = patternExpression(pattern, paramNames);
  const children = [...new Set(pattern.calls.map((c) => c.tool))];
  const parts = children.map((c) => `${c}: ${firstSentence(dag.record(c)?.description || c)}`);
  const description = `Computes ${expr}. Built from ${parts.join('; ')}`;
  const tags = [...new Set([...children.flatMap((c) => dag.record(c)?.tags ?? []), 'composite'])];
  // L3: children's preconditions over direct parameters, renamed.
  const pres: string[] = [];
  const conds: string[] = [];
  for (const c of pattern.calls) {
    const rec = dag.record(c.tool);
    if (!rec) continue;
    // Teacher composites' conditions restate their bodies; the primitives' ones carry the contract.
    if (rec.conditions && rec.origin !== 'teacher') conds.push(`${c.tool}: ${rec.conditions}`);
    if (!rec.pre) continue;
    const names = childParamNames(dag, c.tool);
    if (names.length !== c.args.length) continue;
    const map = new Map<string, string>();
    let direct = true;
    c.args.forEach((a, j) => {
      if (isParam(a)) map.set(names[j]!, paramNames[a.param]!);
      else if (new RegExp(`(?<![.\\w$])${names[j]}(?![\\w$])`).test(rec.pre)) direct = false;
    });
    if (direct) pres.push(`(${renameIdentifiers(rec.pre, map)})`);
  }
  const post = isSubtype(result, { kind: 'base', name: 'float' }) && !isVague(result)
    ? "typeof result === 'number' && Number.isFinite(result)"
    : result.kind === 'list' || (result.kind === 'base' && result.name === 'DataFrame')
      ? 'Array.isArray(result)'
      : '';
  const complexity = pattern.calls.some((c) => /n/.test(dag.record(c.tool)?.complexity ?? '')) ? 'O(n)' : 'O(1)';
  // L4: observed pairs, smallest first, distinct.
  const seen = new Set<string>();
  const examples = occs
    .map((o) => ({ args: o.args, result: o.result }))
    .filter((e) => {
      const k = JSON.stringify(e.args);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length)
    .slice(0, 3);
  return {
    name,
    signature: printSignature(signature),
    description,
    tags,
    pre: [...new Set(pres)].join(' && '),
    post,
    conditions: [`returns ${expr}`, ...new Set(conds)].join('; '),
    complexity,
    examples,
    body: patternBody(name, pattern, paramNames),
    origin: 'teacher',
  };
}

/**
 * Proposes composites from successful trajectories, best utility first. Sub-programs already
 * available as a library composite (same canonical pattern) are skipped.
 *
 * @example
 * ```ts
 * const cands = proposeComposites(solved, dag, { minFrequency: 2 });
 * cands[0]; // { name: 'mul_mul_add', frequency: 5, phi: 2, utility: 10, record: { body: 'function mul_mul_add(qa, pa, qb, pb) {...}' } }
 * ```
 */
export function proposeComposites(solved: readonly SolvedTrajectory[], dag: ToolDag, options: AbstractOptions = {}): Candidate[] {
  const maxSize = options.maxSize ?? 6;
  const minFrequency = options.minFrequency ?? 2;
  const maxCandidates = options.maxCandidates ?? 8;
  const existing = new Set(libraryPatterns(dag).map((lp) => patternKey(canonicalize(lp.pattern).pattern)));
  const groups = new Map<string, { pattern: Pattern; occs: Occurrence[]; trajectories: Set<number> }>();
  solved.forEach((s, ti) => {
    for (const o of occurrences(s, maxSize)) {
      if (o.pattern.calls.some((c) => !dag.has(c.tool))) continue;
      const key = patternKey(o.pattern);
      if (existing.has(key)) continue;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { pattern: o.pattern, occs: [], trajectories: new Set() }));
      g.occs.push(o);
      g.trajectories.add(ti);
    }
  });
  const ranked = [...groups.entries()]
    .map(([key, g]) => {
      const flat = g.pattern.calls.reduce((s, c) => s + dag.flat(c.tool), 0);
      return { key, g, flat, phi: flat - 1, frequency: g.trajectories.size };
    })
    .filter((c) => c.frequency >= minFrequency)
    .sort((a, b) => b.frequency * b.phi - a.frequency * a.phi || b.flat - a.flat || (a.key < b.key ? -1 : 1))
    .slice(0, maxCandidates);
  const taken = new Set(dag.names());
  return ranked.map(({ key, g, flat, phi, frequency }) => {
    const name = uniqueName(candidateName(g.pattern), (n) => taken.has(n));
    taken.add(name);
    return { name, key, pattern: g.pattern, record: buildRecord(dag, name, g.pattern, g.occs), size: g.pattern.calls.length, flat, phi, frequency, utility: frequency * phi };
  });
}

export { isLocal };
