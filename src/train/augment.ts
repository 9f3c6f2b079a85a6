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
 * Library views for SFT: `n` dependency-closed sub-libraries of `dag` — view 0 has the primitives
 * only, view 1 is `dag` itself, the others keep each composite with a per-view probability drawn
 * from U(0.2, 0.9) (plus whatever composites a kept one calls). Demonstrated against many views,
 * the student learns to call a composite because its card is shown, not because its name was
 * memorised: composites the library gains after SFT reach it only through their cards.
 */
export function libraryViews(dag: ToolDag, n: number, rng: Rng): ToolDag[] {
  const recs = dag.records();
  const isComposite = (name: string) => dag.children(name).length > 0;
  const views: ToolDag[] = [ToolDag.empty().add(recs.filter((r) => !isComposite(r.name)))];
  if (n > 1) views.push(dag);
  const composites = recs.filter((r) => isComposite(r.name)).map((r) => r.name);
  for (let v = 2; v < n; v++) {
    const p = 0.2 + 0.7 * rng.uniform();
    const keep = new Set<string>();
    const visit = (name: string) => {
      if (keep.has(name) || !isComposite(name)) return;
      keep.add(name);
      for (const c of dag.children(name)) visit(c);
    };
    for (const c of composites) if (rng.uniform() < p) visit(c);
    // records() is in insertion (topological) order, so children precede their callers.
    views.push(ToolDag.empty().add(recs.filter((r) => !isComposite(r.name) || keep.has(r.name))));
  }
  return views;
}
