/**
 * Prompts of the LLM-billed roles, after the CoCoDA paper's appendix D (the paper gives each
 * prompt's role and placeholders; the wording here is ours): D.1 teacher tool abstraction, D.4 L2
 * semantic ranker, D.5 L3 constraint check, D.6 L4 example-based rerank, D.8 InsertTool semantic
 * dedup. Every prompt asks for one JSON object and says its exact shape; the parsers next to them
 * validate it (a wrong shape is re-asked by `LlmClient.json`).
 *
 * Candidates are numbered `[0]`, `[1]`, … and answers refer to those numbers, so tool names never
 * have to be spelled back exactly.
 */
import type { ChatMessageIn } from './client.ts';

const SYSTEM_PLANNER =
  'You are the planner of a tool-augmented agent. You work with a library of executable tools, each described by ' +
  'a typed signature (L1), a description (L2), pre/post-conditions and complexity (L3) and worked examples (L4). ' +
  'Answer with one JSON object only, no prose.';

export interface GoalText {
  signature: string;
  intent: string;
  args?: unknown;
}

function goalLines(g: GoalText): string {
  const lines = [`Sub-goal signature: ${g.signature}`, `Intent: ${g.intent}`];
  if (g.args !== undefined) lines.push(`Argument values: ${JSON.stringify(g.args)}`);
  return lines.join('\n');
}

function numbered(cards: string[]): string {
  return cards.map((c, i) => `[${i}] ${c.replace(/\n/g, '\n    ')}`).join('\n');
}

/** D.4 — L2 semantic ranker: one pass over every L1 survivor, returns a top-k shortlist. */
export function l2RankPrompt(goal: GoalText, cards: string[], k: number): ChatMessageIn[] {
  return [
    { role: 'system', content: SYSTEM_PLANNER },
    {
      role: 'user',
      content:
        `${goalLines(goal)}\n\nCandidate tools (their signatures already fit the sub-goal):\n${numbered(cards)}\n\n` +
        `Rank the candidates by how well their description fits the intent. Prefer the highest-level tool (a composite) ` +
        `that fully covers the sub-goal over a primitive that only does part of it. ` +
        `Return at most ${k} candidate numbers, best first: {"ranking": [<number>, ...]}`,
    },
  ];
}

/** D.5 — L3 constraint check: hard accept/reject per shortlisted tool. */
export function l3CheckPrompt(goal: GoalText, cards: string[]): ChatMessageIn[] {
  return [
    { role: 'system', content: SYSTEM_PLANNER },
    {
      role: 'user',
      content:
        `${goalLines(goal)}\n\nShortlisted tools with their pre/post-conditions and complexity:\n${numbered(cards)}\n\n` +
        `For each tool decide: can its pre-conditions be satisfied in this sub-goal, and do its post-conditions imply ` +
        `the outcome the intent asks for? Reject a tool only when one of them fails. ` +
        `Answer with one verdict per tool: {"verdicts": [{"index": <number>, "ok": true|false, "reason": "<short reason when false>"}, ...]}`,
    },
  ];
}

/** D.6 — L4 example-based rerank of the tools that passed L3. */
export function l4RerankPrompt(goal: GoalText, cards: string[]): ChatMessageIn[] {
  return [
    { role: 'system', content: SYSTEM_PLANNER },
    {
      role: 'user',
      content:
        `${goalLines(goal)}\n\nTools that passed the constraint check, with worked examples:\n${numbered(cards)}\n\n` +
        `Rerank them by how clearly their examples show the tool doing exactly what the sub-goal needs ` +
        `(argument and result types, the computation itself). Return every number, best first: {"ranking": [<number>, ...]}`,
    },
  ];
}

/** D.8 — InsertTool semantic dedup: merge into an existing tool, or distinct. */
export function dedupPrompt(candidate: string, existing: string[]): ChatMessageIn[] {
  return [
    { role: 'system', content: SYSTEM_PLANNER },
    {
      role: 'user',
      content:
        `A candidate tool passed validation and is about to be added to the library:\n${candidate.replace(/^/gm, '    ')}\n\n` +
        `Existing tools with compatible signatures:\n${numbered(existing)}\n\n` +
        `Is the candidate a semantic duplicate of one existing tool — the same computation on every valid input, ` +
        `whatever the names? Answer {"decision": "MERGE", "into": <number>, "reason": "..."} or ` +
        `{"decision": "DISTINCT", "reason": "..."}`,
    },
  ];
}

/** D.1 — teacher tool abstraction: successful trajectories → candidate composites over existing tools. */
export function abstractionPrompt(trajectories: string[], tools: string[], maxTools: number): ChatMessageIn[] {
  return [
    { role: 'system', content: SYSTEM_PLANNER },
    {
      role: 'user',
      content:
        `Successful trajectories (each call: tool(arguments) -> result):\n${trajectories.map((t, i) => `Trajectory ${i}:\n${t}`).join('\n\n')}\n\n` +
        `Library tools they use:\n${tools.join('\n')}\n\n` +
        `Propose at most ${maxTools} reusable composite tools that would shorten such trajectories. A composite's body is ` +
        `one JavaScript function named as the tool that calls only the library tools above (no imports, no I/O). Give each ` +
        `a typed signature like "(a: float, b: float) -> float", a one-sentence description, tags, a JavaScript boolean ` +
        `pre-condition over the parameters ("" for none), a post-condition over the parameters and \`result\` ("" for none), ` +
        `a complexity, and 1-3 worked examples taken from the trajectories. Answer ` +
        `{"tools": [{"name", "signature", "description", "tags": [...], "pre", "post", "complexity", "examples": [{"args": [...], "result": ...}], "body"}]}`,
    },
  ];
}

/** `{"ranking": [ints]}` (or a bare array) → distinct valid indices in [0, n), in order; throws if none. */
export function parseRanking(v: unknown, n: number): number[] {
  const arr = Array.isArray(v) ? v : (v as { ranking?: unknown })?.ranking;
  if (!Array.isArray(arr)) throw new TypeError('expected {"ranking": [numbers]}');
  const seen = new Set<number>();
  for (const x of arr) {
    const i = typeof x === 'string' && /^\s*\[?\d+\]?\s*$/.test(x) ? Number(x.replace(/[[\]\s]/g, '')) : x;
    if (typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < n) seen.add(i);
  }
  if (seen.size === 0 && n > 0) throw new RangeError(`the ranking names no candidate in 0..${n - 1}`);
  return [...seen];
}

/** `{"verdicts": [...]}` → per index: ok/reason (missing indices: undefined). Throws without any verdict. */
export function parseVerdicts(v: unknown, n: number): Array<{ ok: boolean; reason?: string } | undefined> {
  const arr = Array.isArray(v) ? v : (v as { verdicts?: unknown })?.verdicts;
  if (!Array.isArray(arr)) throw new TypeError('expected {"verdicts": [{"index", "ok", "reason"}]}');
  const out: Array<{ ok: boolean; reason?: string } | undefined> = new Array(n).fill(undefined);
  let any = false;
  arr.forEach((x, pos) => {
    if (typeof x !== 'object' || x === null) return;
    const o = x as { index?: unknown; ok?: unknown; reason?: unknown };
    const i = typeof o.index === 'number' ? o.index : pos;
    if (!Number.isInteger(i) || i < 0 || i >= n || typeof o.ok !== 'boolean') return;
    out[i] = { ok: o.ok, ...(typeof o.reason === 'string' && o.reason ? { reason: o.reason } : {}) };
    any = true;
  });
  if (!any && n > 0) throw new RangeError('no usable verdict (each needs "index" and a boolean "ok")');
  return out;
}

/** `{"decision": "MERGE", "into": i}` / `{"decision": "DISTINCT"}`. */
export function parseDedup(v: unknown, n: number): { merge: number | null; reason: string } {
  const o = v as { decision?: unknown; into?: unknown; reason?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.decision !== 'string') throw new TypeError('expected {"decision": "MERGE"|"DISTINCT", ...}');
  const reason = typeof o.reason === 'string' ? o.reason : '';
  const d = o.decision.toUpperCase();
  if (d === 'DISTINCT') return { merge: null, reason };
  if (d !== 'MERGE') throw new RangeError(`unknown decision "${o.decision}"`);
  if (typeof o.into !== 'number' || !Number.isInteger(o.into) || o.into < 0 || o.into >= n) throw new RangeError(`"into" must be a candidate number in 0..${n - 1}`);
  return { merge: o.into, reason };
}
