/**
 * LLM-backed library roles through one {@link LlmClient}:
 *
 * * {@link llmDedup} — InsertTool's semantic dedup (paper prompt D.8), plugged in as
 *   `insertTool(…, { dedup })`: MERGE into one of the offered neighbours, or DISTINCT. A failed
 *   call makes the insert a REJECT `ERR_DEDUP_FAILED` (the library is not written).
 * * {@link llmAbstractor} — the teacher's tool abstraction (prompt D.1), plugged in as
 *   `foldIntoLibrary(…, { abstractor })`: successful trajectories → candidate composites whose
 *   bodies call existing tools; each still has to pass InsertTool (its examples are run). A failed
 *   call proposes nothing.
 *
 * @example
 * ```ts
 * const llm = new LlmClient({ baseURL, model });
 * const d = await insertTool(dag, candidate, { dedup: llmDedup(llm) });
 * const fold = await foldIntoLibrary(dag, solved, inserter, { abstractor: llmAbstractor(llm) });
 * ```
 */
import type { ToolDag, ToolInput } from '../library/dag.ts';
import type { ToolRecord } from '../library/record.ts';
import { flatCard } from '../retrieval/cards.ts';
import type { SolvedTrajectory } from '../teacher/abstract.ts';
import type { FoldCandidate } from '../teacher/fold.ts';
import { isInput, isLit, isRef, type Arg } from '../trajectory/ir.ts';
import type { LlmClient } from './client.ts';
import { abstractionPrompt, dedupPrompt, parseDedup } from './prompts.ts';

/** D.8 as InsertTool's `dedup` option. */
export function llmDedup(llm: LlmClient): (candidate: Readonly<ToolRecord>, neighbours: ReadonlyArray<Readonly<ToolRecord>>) => Promise<{ merge: string | null; reason: string }> {
  return async (candidate, neighbours) => {
    const r = await llm.json('dedup', dedupPrompt(flatCard(candidate), neighbours.map((n) => flatCard(n))), (v) => parseDedup(v, neighbours.length));
    return { merge: r.merge === null ? null : neighbours[r.merge]!.name, reason: r.reason };
  };
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + '…' : s;
}

function argText(a: Arg, s: SolvedTrajectory): string {
  if (isRef(a)) return `${show(s.outputs[a.ref])} /* result of call ${a.ref} */`;
  if (isInput(a)) return `${show(s.inputs[a.input])} /* input ${a.input} */`;
  if (isLit(a)) return show(a.lit);
  return show(a);
}

/** A trajectory as numbered `tool(args) -> result` lines. */
export function trajectoryText(s: SolvedTrajectory): string {
  return s.trajectory.calls.map((c, i) => `  ${i}: ${c.tool}(${c.args.map((a) => argText(a, s)).join(', ')}) -> ${show(s.outputs[i])}`).join('\n');
}

function parseTools(v: unknown, maxTools: number): ToolInput[] {
  const arr = Array.isArray(v) ? v : (v as { tools?: unknown })?.tools;
  if (!Array.isArray(arr)) throw new TypeError('expected {"tools": [...]}');
  const out: ToolInput[] = [];
  for (const t of arr) {
    if (typeof t !== 'object' || t === null) continue;
    const o = t as Record<string, unknown>;
    if (typeof o.name !== 'string' || typeof o.signature !== 'string' || typeof o.body !== 'string') continue;
    const rec: Record<string, unknown> = { name: o.name, signature: o.signature, body: o.body, origin: 'teacher' };
    for (const k of ['description', 'pre', 'post', 'complexity', 'conditions'] as const) if (typeof o[k] === 'string') rec[k] = o[k];
    if (Array.isArray(o.tags)) rec.tags = o.tags.filter((x) => typeof x === 'string');
    if (Array.isArray(o.examples)) rec.examples = o.examples.filter((e) => typeof e === 'object' && e !== null && Array.isArray((e as { args?: unknown }).args) && 'result' in e);
    out.push(rec as unknown as ToolInput);
    if (out.length >= maxTools) break;
  }
  if (arr.length > 0 && out.length === 0) throw new RangeError('no proposed tool has a string name, signature and body');
  return out;
}

/** D.1 as `foldIntoLibrary`'s `abstractor` option. */
export function llmAbstractor(llm: LlmClient, opts: { maxTools?: number; maxTrajectories?: number } = {}): (solved: readonly SolvedTrajectory[], dag: ToolDag) => Promise<FoldCandidate[]> {
  const maxTools = opts.maxTools ?? 4;
  return async (solved, dag) => {
    const shown = solved.slice(0, opts.maxTrajectories ?? 8);
    if (shown.length === 0) return [];
    const used = [...new Set(shown.flatMap((s) => s.trajectory.calls.map((c) => c.tool)))].filter((n) => dag.has(n));
    const tools = used.map((n) => {
      const r = dag.record(n)!;
      return `${r.name} :: ${r.signature} — ${r.description}`;
    });
    let proposed: ToolInput[];
    try {
      proposed = await llm.json('teacher', abstractionPrompt(shown.map(trajectoryText), tools, maxTools), (v) => parseTools(v, maxTools));
    } catch (e) {
      if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_LLM')) return [];
      throw e;
    }
    return proposed.map((record) => ({ name: record.name, record }));
  };
}
