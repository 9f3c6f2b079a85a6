/**
 * Augmentation of SFT demonstrations toward unseen queries (the held-out split has new phrasings
 * and new values). Two general transformations of the query, never of what the policy must write
 * beyond keeping it consistent:
 *
 * * **Literal swap** — a string literal the program copies from the query (a filter value such as
 *   `"North"`) is replaced, in the query and in the program alike, by a random string of the same
 *   shape (case, digits, length). Train values form a small closed set, so without this a small
 *   model learns to *classify* them instead of *copying* them, and fails on any value it has not
 *   seen. Column and input names are never swapped (they are the schema, shown in `Inputs:`).
 * * **Word dropout** — words of the query that neither the decomposition nor the program mentions
 *   are dropped at a per-demonstration rate drawn from U(0, 2p): the model cannot lean on one
 *   phrasing and learns from input names and the words that matter.
 *
 * Both are redrawn every epoch from the trainer's seeded RNG.
 *
 * @example
 * ```ts
 * const segs = augmentDemo(ep, task, { wordDropout: 0.3, literalSwap: 0.5 }, rng);
 * ```
 */
import { ToolDag } from '../library/dag.ts';
import type { TeacherEpisode } from '../planner/demos.ts';
import { episodeSegments, type Segment } from '../planner/prompt.ts';
import type { Rng } from '../policy/rng.ts';
import type { Task } from '../tasks/generate.ts';
import { proposeComposites, type SolvedTrajectory } from '../teacher/abstract.ts';
import type { ToolExecutor } from '../trajectory/executor.ts';
import { scoreTrajectory } from '../trajectory/score.ts';

export interface AugmentOptions {
  /** Mean word-dropout rate p (the per-demonstration rate is U(0, 2p), capped at 0.9). */
  wordDropout: number;
  /** Probability that each copied string literal is swapped for a random one. */
  literalSwap: number;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

/** A random string with `s`'s shape: upper/lower case letters and digits by position, other characters kept. */
export function sameShape(s: string, rng: Rng): string {
  let out = '';
  for (const ch of s) {
    if (ch >= 'a' && ch <= 'z') out += LOWER[rng.int(26)];
    else if (ch >= 'A' && ch <= 'Z') out += UPPER[rng.int(26)];
    else if (ch >= '0' && ch <= '9') out += String(rng.int(10));
    else out += ch;
  }
  return out;
}

function strings(v: unknown, into: Set<string>): void {
  if (typeof v === 'string') into.add(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, into));
  else if (v && typeof v === 'object') Object.values(v as Record<string, unknown>).forEach((x) => strings(x, into));
}

function replaceStrings(v: unknown, map: Map<string, string>): unknown {
  if (typeof v === 'string') return map.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => replaceStrings(x, map));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, replaceStrings(x, map)]));
  return v;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Schema names: input names and the column names of table inputs (never swapped). */
function schemaNames(inputs: Record<string, unknown>): Set<string> {
  const out = new Set(Object.keys(inputs));
  for (const v of Object.values(inputs)) {
    if (Array.isArray(v)) for (const row of v) if (row && typeof row === 'object' && !Array.isArray(row)) for (const k of Object.keys(row)) out.add(k);
  }
  return out;
}

/** The demonstration's four segments with the query augmented (see the module comment). */
export function augmentDemo(ep: TeacherEpisode, task: Pick<Task, 'query' | 'inputs'>, o: AugmentOptions, rng: Rng): Segment[] {
  let query = task.query;
  let programText = ep.programText;
  if (o.literalSwap > 0) {
    const lits = new Set<string>();
    for (const c of ep.program.calls) strings(c.args, lits);
    const schema = schemaNames(task.inputs);
    const map = new Map<string, string>();
    for (const v of lits) {
      if (v.length < 2 || schema.has(v) || /^[\d.,\s-]+$/.test(v) || !/[A-Za-z]/.test(v)) continue;
      const re = new RegExp(`(?<![\\p{L}\\p{N}_])${escapeRe(v)}(?![\\p{L}\\p{N}_])`, 'gu');
      if (!re.test(query) || rng.uniform() >= o.literalSwap) continue;
      const w = sameShape(v, rng);
      map.set(v, w);
      query = query.replace(new RegExp(re.source, 'gu'), w);
    }
    if (map.size > 0) programText = JSON.stringify({ ...ep.program, calls: ep.program.calls.map((c) => ({ tool: c.tool, args: replaceStrings(c.args, map) })) });
  }
  if (o.wordDropout > 0) {
    const p = Math.min(0.9, 2 * o.wordDropout * rng.uniform());
    const protect = (programText + ' ' + ep.decomposition).toLowerCase();
    query = query
      .split(/\s+/)
      .filter(Boolean)
      .filter((w) => {
        const core = w.toLowerCase().replace(/[^\p{L}\p{N}_]/gu, '');
        return core === '' || protect.includes(core) || rng.uniform() >= p;
      })
      .join(' ');
  }
  return episodeSegments({ query, inputs: task.inputs }, ep.decomposition, ep.shown.cards, programText);
}

/**
 * Library views for SFT: `n` dependency-closed sub-libraries — view 0 has the primitives only,
 * view 1 is `dag` itself, the others are random subsets of `pool`'s composites (`pool` ⊇ `dag`,
 * e.g. {@link compositePool}; default `dag`) of about `dag`'s composite count (×U(0.2, 0.9) when
 * the pool is `dag`, ×U(0.5, 1.5) otherwise), plus whatever composites a kept one calls.
 * Demonstrated against many views, the student learns to call a composite because its card is
 * shown, not because its name was memorised: composites the library gains after SFT reach it only
 * through their cards.
 */
export function libraryViews(dag: ToolDag, n: number, rng: Rng, pool: ToolDag = dag): ToolDag[] {
  const isComposite = (d: ToolDag, name: string) => d.children(name).length > 0;
  const views: ToolDag[] = [ToolDag.empty().add(dag.records().filter((r) => !isComposite(dag, r.name)))];
  if (n > 1) views.push(dag);
  const recs = pool.records();
  const composites = recs.filter((r) => isComposite(pool, r.name)).map((r) => r.name);
  const own = dag.names().filter((x) => isComposite(dag, x)).length;
  for (let v = 2; v < n; v++) {
    const p = pool === dag ? 0.2 + 0.7 * rng.uniform() : Math.min(1, (own * (0.5 + rng.uniform())) / Math.max(1, composites.length));
    const keep = new Set<string>();
    const visit = (name: string) => {
      if (keep.has(name) || !isComposite(pool, name)) return;
      keep.add(name);
      for (const c of pool.children(name)) visit(c);
    };
    for (const c of composites) if (rng.uniform() < p) visit(c);
    // records() is in insertion (topological) order, so children precede their callers.
    views.push(ToolDag.empty().add(recs.filter((r) => !isComposite(pool, r.name) || keep.has(r.name))));
  }
  return views;
}

/**
 * A larger pool of composites for SFT library views: `dag` plus up to `max` composites the
 * teacher abstractor proposes from the train tasks' gold programs (executed for their
 * intermediate values) at frequency ≥ 1 — the sub-programs co-evolution could fold later.
 * The pool exists only to vary the cards of SFT demonstrations (never written to a library):
 * with a few dozen composite names a small student memorises them, and a composite GRPO adds
 * later — a name it has never read — derails it; with many, it learns to read cards.
 */
export async function compositePool(dag: ToolDag, tasks: readonly Task[], executor: ToolExecutor, max: number): Promise<ToolDag> {
  if (max <= 0 || tasks.length === 0) return dag;
  const solved: SolvedTrajectory[] = [];
  const runs = await Promise.all(tasks.map((t) => scoreTrajectory(t.program, { dag, inputs: t.inputs, answer: t.answer, executor })));
  runs.forEach((s, i) => {
    if (s.rRes === 1 && s.execution?.ok) solved.push({ trajectory: tasks[i]!.program, inputs: tasks[i]!.inputs, outputs: s.execution.outputs });
  });
  let pool = dag;
  for (const c of proposeComposites(solved, dag, { minFrequency: 1, maxCandidates: max })) {
    try {
      pool = pool.add(c.record);
    } catch {
      // a candidate the DAG refuses (a name or pattern clash) is simply not in the pool
    }
  }
  return pool;
}
