/**
 * The neural planner at work: one backbone writes the decomposition, the runtime retrieves cards
 * for it, the same backbone writes the program (CoDA's planner/executor roles on one model).
 * Everything is batched: all episodes' decompositions are sampled in one KV-cached `generate`
 * call, then all programs in a second one.
 *
 * Each {@link Episode} carries its whole token sequence with the loss mask (1 only on tokens the
 * policy wrote) and the sampling log-probs aligned with it — what a GRPO step trains on. Garbage
 * never throws: an unparsable decomposition gets no cards (and a reason), a context that would
 * overflow the model gets no program (and a reason); the program text is scored by the caller.
 *
 * @example
 * ```ts
 * const eps = await runEpisodes(policy, dag, new TdrCards(), tasks, { temperature: 0.7, topP: 0.95, seed: 1 });
 * eps[0].programText; // '{"calls":[{"tool":"mul",...}],"answer":{"ref":0}}'
 * ```
 */
import type { ToolDag } from '../library/dag.ts';
import type { Policy } from '../policy/policy.ts';
import { safeDecode, type FinishReason, type GenerateOptions } from '../policy/sampling.ts';
import { chatStopIds, IM_END } from '../policy/chat.ts';
import { CocodaError } from '../errors.ts';
import { NO_CARDS, type CardSource, type ShownCards } from './cards.ts';
import { parseDecomposition, type PlannedSubGoal } from './decompose.ts';
import { cardsSegment, promptSegment, type PlannerQuery } from './prompt.ts';

export interface EpisodeOptions {
  /** Sampling temperature (0 = greedy); default 0. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Token budget of the decomposition turn; default 160. */
  maxDecompositionTokens?: number;
  /** Token budget of the program turn; default 192. */
  maxProgramTokens?: number;
  /**
   * Rows per `generate` call (default 16): bounds the activations of one prefill (the WASM heap
   * is limited). Chunk `c` samples with seed `hash(seed, c)`, so streams depend on (seed, maxBatch).
   */
  maxBatch?: number;
}

/** `generate` over `prompts` in chunks of `maxBatch` rows (chunk c seeded by hash(seed, c)). */
async function generateChunked(policy: Policy, prompts: number[][], opts: GenerateOptions, maxBatch: number) {
  const out = { tokens: [] as number[][], logProbs: [] as number[][], finishReason: [] as FinishReason[] };
  for (let i = 0; i < prompts.length; i += maxBatch) {
    const part = prompts.slice(i, i + maxBatch);
    const c = i / maxBatch;
    const seed = c === 0 ? (opts.seed ?? 0) : (Math.imul((opts.seed ?? 0) ^ 0x7f4a7c15, 0x9e3779b1) + Math.imul(c, 0x85ebca6b)) >>> 0;
    const r = await policy.generate(part, { ...opts, seed });
    out.tokens.push(...r.tokens);
    out.logProbs.push(...r.logProbs);
    out.finishReason.push(...r.finishReason);
  }
  return out;
}

/** What any planner's episode says (the policy's {@link Episode}, the LLM planner's episode). */
export interface EpisodeText {
  /** Index of the query in the input. */
  query: number;
  decompositionText: string;
  goals: PlannedSubGoal[] | undefined;
  /** Why the decomposition gave no sub-goals, when it did not. */
  decompositionError?: string;
  shown: ShownCards;
  programText: string;
  /** Why no program was written (context overflow), when none was. */
  programError?: string;
}

export interface Episode extends EpisodeText {
  /** prompt + decomposition + cards + program. */
  tokens: number[];
  /** 1 on decomposition and program tokens. */
  mask: number[];
  /** Sampling log-probs (softmax(logits / T)) aligned with `tokens`; 0 where mask is 0. */
  logProbs: number[];
  finish: [FinishReason, FinishReason | 'none'];
}


/** Decoded assistant text without its end marker. */
function turnText(policy: Policy, ids: number[]): string {
  const s = safeDecode(policy.tokenizer!, ids);
  const k = s.indexOf(IM_END);
  return (k >= 0 ? s.slice(0, k) : s).trim();
}

/**
 * Runs `queries` as episodes against library version `dag` (one episode per query; repeat a
 * query G times for a GRPO group — rows draw independent streams from `seed`).
 */
export async function runEpisodes(policy: Policy, dag: ToolDag, source: CardSource, queries: readonly PlannerQuery[], opts: EpisodeOptions = {}): Promise<Episode[]> {
  const tok = policy.tokenizer;
  if (!tok) throw new CocodaError('the planner policy needs a tokenizer', 'ERR_POLICY_NO_TOKENIZER');
  if (queries.length === 0) return [];
  const stop = chatStopIds(tok);
  const maxLen = policy.config.maxSeqLen;
  const gen = { temperature: opts.temperature ?? 0, topP: opts.topP ?? 1, seed: opts.seed ?? 0, eosId: stop };
  const promptCache = new Map<PlannerQuery, number[]>();
  const p1 = queries.map((q) => {
    let ids = promptCache.get(q);
    if (!ids) promptCache.set(q, (ids = tok.encode(promptSegment(q))));
    return ids;
  });
  const maxP1 = Math.max(...p1.map((p) => p.length));
  if (maxP1 + 8 > maxLen) throw new CocodaError(`a planner prompt has ${maxP1} tokens; the policy's maxSeqLen (${maxLen}) leaves no room to write`, 'ERR_CONTEXT_OVERFLOW');
  const maxBatch = opts.maxBatch ?? 16;
  const d = await generateChunked(policy, p1, { ...gen, maxNewTokens: opts.maxDecompositionTokens ?? 160 }, maxBatch);

  const episodes: Episode[] = queries.map((_, i) => {
    const decTokens = d.tokens[i]!;
    const text = turnText(policy, decTokens);
    const parsed = parseDecomposition(text);
    let shown = NO_CARDS;
    let decompositionError: string | undefined;
    if (parsed.ok) {
      shown = source.cards(dag, parsed.goals);
      const bad = shown.perGoal.map((g, j) => (g.error ? `sub-goal ${j}: ${g.error}` : '')).filter(Boolean);
      if (bad.length) decompositionError = `ERR_DECOMP_SUBGOAL: ${bad[0]}`;
    } else decompositionError = `${parsed.code}: ${parsed.message}`;
    const tokens = [...p1[i]!, ...decTokens];
    const mask = [...p1[i]!.map(() => 0), ...decTokens.map(() => 1)];
    const logProbs = [...p1[i]!.map(() => 0), ...d.logProbs[i]!];
    const e: Episode = {
      query: i, decompositionText: text, goals: parsed.ok ? parsed.goals : undefined, shown,
      programText: '', tokens, mask, logProbs, finish: [d.finishReason[i]!, 'none'],
    };
    if (decompositionError) e.decompositionError = decompositionError;
    return e;
  });

  // Phase 2: cards, then the program.
  const maxProg = opts.maxProgramTokens ?? 192;
  const rows: number[] = [];
  const p2: number[][] = [];
  for (const e of episodes) {
    const cardIds = tok.encode(cardsSegment(e.shown.cards));
    const prompt = [...e.tokens, ...cardIds];
    e.tokens = prompt;
    e.mask.push(...cardIds.map(() => 0));
    e.logProbs.push(...cardIds.map(() => 0));
    if (prompt.length + 8 > maxLen) {
      e.programError = `ERR_CONTEXT_OVERFLOW: the cards leave no room for a program (${prompt.length} of ${maxLen} tokens)`;
      continue;
    }
    rows.push(e.query);
    p2.push(prompt);
  }
  if (p2.length > 0) {
    const g = await generateChunked(policy, p2, { ...gen, seed: (gen.seed + 0x9e3779b1) >>> 0, maxNewTokens: maxProg }, maxBatch);
    rows.forEach((q, j) => {
      const e = episodes[q]!;
      const ids = g.tokens[j]!;
      e.programText = turnText(policy, ids);
      e.tokens.push(...ids);
      e.mask.push(...ids.map(() => 1));
      e.logProbs.push(...g.logProbs[j]!);
      e.finish[1] = g.finishReason[j]!;
    });
  }
  return episodes;
}
