/**
 * What the runtime appends to the planner's context between its two turns: tool cards for the
 * sub-goals it wrote.
 *
 * * {@link TdrCards} (the method): Typed DAG Retrieval (src/retrieval) per sub-goal; the top
 *   `perGoal` tools of each cascade ranking are shown, then the DAG is climbed across sub-goals:
 *   composites whose primitive expansion fits within the winners' expansions (a composite that
 *   covers several sub-goals at once) are shown too, largest first, at most `cover`. Composites
 *   added to the library after SFT reach the policy only this way.
 * * {@link FlatBm25Cards} (the "w/o TDR" ablation): the same card budget filled by BM25 over all
 *   tools' names, descriptions and tags — no types, no DAG.
 *
 * Token cost per query (the figure reports call `tokensPerQuery`): for TDR, the cards each
 * cascade materialised at L2–L4 (the cost defined by the paper; L1 is free) plus the cover cards;
 * for flat BM25 (free ranking), the cards shown. Counted with the Qwen3 tokenizer.
 *
 * @example
 * ```ts
 * const src = new TdrCards({ perGoal: 2, cover: 3 });
 * const shown = src.cards(dag, [{ signature: '(int, float) -> float', intent: 'multiply two real numbers' }]);
 * shown.cards; // ['mul(a: float, b: float) -> float: Multiply two real numbers.', …]
 * ```
 */
import MiniSearch from 'minisearch';
import type { ToolDag } from '../library/dag.ts';
import type { ToolRecord } from '../library/record.ts';
import { Corpus } from '../retrieval/corpus.ts';
import { Retriever } from '../retrieval/cascade.ts';
import { CardTokens } from '../retrieval/tokens.ts';
import { LexicalRanker } from '../retrieval/lexical.ts';
import { ContractChecker, type L3Checker, type L3Verdict, type ResolvedGoal, type RunOutcome } from '../retrieval/stages.ts';
import type { Signature } from '../types/ast.ts';
import { argError } from '../errors.ts';
import type { PlannedSubGoal } from './decompose.ts';

/** The compact card the planner reads: `name(params) -> result: first sentence of the description`. */
export function plannerCard(r: Readonly<ToolRecord>): string {
  let sig = r.signature.trim();
  const m = r.body ? /^\s*function\s+[A-Za-z_$][\w$]*\s*\(([^)]*)\)/.exec(r.body) : null;
  const names = m ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean) : [];
  // Unnamed parameters get the body's names: a composite's card then shows how to wire it.
  if (names.length > 0 && sig.startsWith('(') && !/^\(\s*[A-Za-z_]\w*\s*\??:/.test(sig)) {
    const close = matchingParen(sig);
    const params = splitTop(sig.slice(1, close));
    if (params.length === names.length) sig = `(${params.map((p, i) => `${names[i]}: ${p.trim()}`).join(', ')})${sig.slice(close + 1)}`;
  }
  const desc = r.description.replace(/\s+/g, ' ').trim();
  const sentence = (/^(.*?\.)(\s|$)/.exec(desc)?.[1] ?? desc).slice(0, 200);
  return `${r.name}${sig.startsWith('(') ? '' : ' :: '}${sig}: ${sentence}`;
}

function matchingParen(s: string): number {
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(' || s[i] === '[' || s[i] === '{') d++;
    else if (s[i] === ')' || s[i] === ']' || s[i] === '}') {
      d--;
      if (d === 0) return i;
    }
  }
  return s.length - 1;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let d = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[' || ch === '{') d++;
    if (ch === ')' || ch === ']' || ch === '}') d--;
    if (ch === ',' && d === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** Cards shown for one decomposition. */
export interface ShownCards {
  /** Tool names shown, in display order (per sub-goal, then cover composites), deduplicated. */
  tools: string[];
  /** The card text of each shown tool. */
  cards: string[];
  /** Per sub-goal: the names it contributed (its top-ranked first), or why it contributed none. */
  perGoal: Array<{ tools: string[]; error?: string }>;
  /** Composites shown because they cover several sub-goals. */
  cover: string[];
  /** Retrieval token cost (see the module comment). */
  tokens: number;
}

/** The cards of an episode that showed none (no sub-goals). */
export const NO_CARDS: ShownCards = Object.freeze({ tools: [], cards: [], perGoal: [], cover: [], tokens: 0 }) as ShownCards;

/** A strategy that turns sub-goals into cards over one library version. */
export interface CardSource {
  readonly name: string;
  cards(dag: ToolDag, goals: readonly PlannedSubGoal[]): ShownCards;
}

export interface CardBudget {
  /** Tools shown per sub-goal (top of its ranking); default 2. */
  perGoal?: number;
  /** Extra composites shown that cover several sub-goals; default 3. */
  cover?: number;
}

function budget(o: CardBudget): Required<CardBudget> {
  const perGoal = o.perGoal ?? 2;
  const cover = o.cover ?? 3;
  if (!Number.isInteger(perGoal) || perGoal < 1) throw argError('range', 'perGoal', 'a positive integer', perGoal);
  if (!Number.isInteger(cover) || cover < 0) throw argError('range', 'cover', 'a non-negative integer', cover);
  return { perGoal, cover };
}

/** Per library version: each tool's primitive expansion as a multiset (name → count). */
const expansions = new WeakMap<ToolDag, Map<string, Map<string, number>>>();
export function primitiveExpansion(dag: ToolDag, name: string): Map<string, number> {
  let memo = expansions.get(dag);
  if (!memo) expansions.set(dag, (memo = new Map()));
  const hit = memo.get(name);
  if (hit) return hit;
  const out = new Map<string, number>();
  const ch = dag.children(name);
  if (ch.length === 0) out.set(name, 1);
  else for (const c of ch) for (const [k, v] of primitiveExpansion(dag, c)) out.set(k, (out.get(k) ?? 0) + v);
  memo.set(name, out);
  return out;
}

/**
 * Composites (≥ 2 primitive calls) whose expansion fits within the multiset `have`, largest flat
 * size first (ties: deeper first, then by name), excluding `exclude`; at most `k`.
 */
export function coveringComposites(dag: ToolDag, have: Map<string, number>, k: number, exclude: ReadonlySet<string> = new Set()): string[] {
  if (k <= 0) return [];
  const found: Array<{ name: string; flat: number; depth: number }> = [];
  for (const r of dag.records()) {
    if (exclude.has(r.name) || dag.children(r.name).length === 0) continue;
    const ex = primitiveExpansion(dag, r.name);
    let ok = true;
    let flat = 0;
    for (const [p, n] of ex) {
      flat += n;
      if ((have.get(p) ?? 0) < n) {
        ok = false;
        break;
      }
    }
    if (ok && flat >= 2) found.push({ name: r.name, flat, depth: dag.depth(r.name) });
  }
  found.sort((a, b) => b.flat - a.flat || b.depth - a.depth || (a.name < b.name ? -1 : 1));
  return found.slice(0, k).map((f) => f.name);
}

function addAll(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

/**
 * L3 for the planner's sub-goals: the contract check, plus certified coverage on the abstraction
 * axis. The cascade shows a composite instead of the S1 tools it calls; that is right only when
 * the composite does what the sub-goal asks. A composite passes only if the intent matches it
 * better than every one of its children (lexically, ties to the child); otherwise it is rejected
 * and the cascade descends to its children — e.g. `add_percent_of` no longer hides `add` from the
 * sub-goal "return the sum of two real numbers".
 */
export class CoverageChecker implements L3Checker {
  readonly #base = new ContractChecker();
  check(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): L3Verdict {
    const base = this.#base.check(corpus, v, tool, goal, run);
    if (!base.ok) return base;
    const kids = [...new Set(corpus.children(v))].filter((u) => u !== v);
    if (kids.length === 0) return base;
    const ranker = corpus.memoize('planner-coverage-l2', () => new LexicalRanker(corpus.records));
    const r = ranker.rank(goal.intent, Int32Array.from([...kids, v]), 1);
    const top = r.ids[0];
    if (top !== undefined && top !== v) {
      return { ok: false, reason: `does not certifiably cover the sub-goal: its child ${corpus.records[top]!.name} matches the intent better` };
    }
    return base;
  }
}

/** Typed DAG Retrieval cards (see the module comment). */
export class TdrCards implements CardSource {
  readonly name = 'tdr';
  readonly budget: Required<CardBudget>;
  readonly #tokens = new CardTokens();
  #corpus: { dag: ToolDag; retriever: Retriever } | undefined;
  readonly #cache = new Map<string, ShownCards>();
  #cacheDag: ToolDag | undefined;

  constructor(opts: CardBudget = {}) {
    this.budget = budget(opts);
  }

  #retriever(dag: ToolDag): Retriever {
    if (this.#corpus?.dag !== dag) this.#corpus = { dag, retriever: new Retriever(Corpus.fromDag(dag, this.#tokens), { l3: new CoverageChecker() }) };
    return this.#corpus.retriever;
  }

  cards(dag: ToolDag, goals: readonly PlannedSubGoal[]): ShownCards {
    if (this.#cacheDag !== dag) {
      this.#cache.clear();
      this.#cacheDag = dag;
    }
    const key = JSON.stringify(goals);
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const retriever = this.#retriever(dag);
    const recs = retriever.corpus.records;
    const tools: string[] = [];
    const perGoal: ShownCards['perGoal'] = [];
    const have = new Map<string, number>();
    let tokens = 0;
    for (const g of goals) {
      try {
        const r = retriever.retrieve({ signature: g.signature, intent: g.intent });
        tokens += r.tokens;
        const names = Array.from(r.ranked.subarray(0, this.budget.perGoal), (id) => recs[id]!.name);
        perGoal.push({ tools: names });
        for (const n of names) if (!tools.includes(n)) tools.push(n);
        if (names[0] !== undefined) addAll(have, primitiveExpansion(dag, names[0]));
      } catch (e) {
        perGoal.push({ tools: [], error: (e as Error).message });
      }
    }
    const cover = coveringComposites(dag, have, this.budget.cover, new Set(tools));
    const cards = tools.map((n) => plannerCard(dag.record(n)!));
    for (const n of cover) {
      const c = plannerCard(dag.record(n)!);
      cards.push(c);
      tokens += this.#tokens.counter.count(c + '\n');
    }
    const out: ShownCards = { tools: [...tools, ...cover], cards, perGoal, cover, tokens };
    if (this.#cache.size > 4096) this.#cache.clear();
    this.#cache.set(key, out);
    return out;
  }
}

/** Flat BM25 over all tools (the "w/o TDR" ablation); the same budget as {@link TdrCards}. */
export class FlatBm25Cards implements CardSource {
  readonly name = 'bm25';
  readonly budget: Required<CardBudget>;
  readonly #tokens = new CardTokens();
  #index: { dag: ToolDag; search: MiniSearch<{ id: number; name: string; description: string; tags: string }> } | undefined;

  constructor(opts: CardBudget = {}) {
    this.budget = budget(opts);
  }

  #search(dag: ToolDag) {
    if (this.#index?.dag !== dag) {
      const ms = new MiniSearch<{ id: number; name: string; description: string; tags: string }>({
        fields: ['name', 'description', 'tags'],
        storeFields: ['name'],
        tokenize: (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean),
        processTerm: (t) => t.toLowerCase(),
      });
      ms.addAll(dag.records().map((r, id) => ({ id, name: r.name, description: r.description, tags: r.tags.join(' ') })));
      this.#index = { dag, search: ms };
    }
    return this.#index.search;
  }

  cards(dag: ToolDag, goals: readonly PlannedSubGoal[]): ShownCards {
    const ms = this.#search(dag);
    const tools: string[] = [];
    const perGoal: ShownCards['perGoal'] = [];
    for (const g of goals) {
      const hits = g.intent.trim() ? ms.search(g.intent, { combineWith: 'OR' }) : [];
      const names = hits.slice(0, this.budget.perGoal).map((h) => h.name as string);
      perGoal.push(names.length > 0 ? { tools: names } : { tools: [], error: 'no lexical match' });
      for (const n of names) if (!tools.includes(n)) tools.push(n);
    }
    // The cover slots: BM25 over all the intents together.
    const cover: string[] = [];
    const all = goals.map((g) => g.intent).join(' ');
    if (all.trim()) {
      for (const h of ms.search(all, { combineWith: 'OR' })) {
        if (cover.length >= this.budget.cover) break;
        const n = h.name as string;
        if (!tools.includes(n) && !cover.includes(n)) cover.push(n);
      }
    }
    const shown = [...tools, ...cover];
    const cards = shown.map((n) => plannerCard(dag.record(n)!));
    const tokens = cards.reduce((s, c) => s + this.#tokens.counter.count(c + '\n'), 0);
    return { tools: shown, cards, perGoal, cover, tokens };
  }
}
