/**
 * The planner's two turns through an OpenAI-compatible endpoint (paper prompts D.3 decomposition
 * and D.7 program): the same prompts as the in-process planner (`src/planner/prompt.ts`: system
 * prompt, user turn, cards turn), the same parsing and card retrieval (`parseDecomposition`, a
 * {@link CardSource}), so an endpoint model can stand in for the policy — as a teacher, a
 * baseline, or for evaluation. Episodes carry texts, sub-goals and shown cards (no token ids or
 * log-probs: those exist only for the in-process policy that GRPO trains).
 *
 * Garbage never throws (as `runEpisodes`): a failed or unparsable decomposition gets no cards and
 * a reason; a failed program call leaves `programText` empty with a reason.
 *
 * @example
 * ```ts
 * const llm = new LlmClient({ baseURL: 'http://127.0.0.1:8000/v1', model: 'Qwen/Qwen3-8B' });
 * const eps = await runLlmEpisodes(llm, dag, new TdrCards(), [{ query: 'What is 3 + 4?', inputs: { a: 3, b: 4 } }]);
 * eps[0].programText; // '{"calls":[{"tool":"add","args":[{"input":"a"},{"input":"b"}]}],"answer":{"ref":0}}'
 * ```
 */
import { CocodaError } from '../errors.ts';
import type { ToolDag } from '../library/dag.ts';
import { NO_CARDS, type CardSource } from '../planner/cards.ts';
import type { EpisodeText } from '../planner/runner.ts';
import type { PlannerQuery } from '../planner/prompt.ts';
import type { ChatMessageIn, LlmClient } from './client.ts';

export interface LlmEpisodeOptions {
  /** Sampling temperature (default 0: greedy, like `runEpisodes`). */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** Token budget of the decomposition turn; default 160. */
  maxDecompositionTokens?: number;
  /** Token budget of the program turn; default 192. */
  maxProgramTokens?: number;
}

/** One episode through the endpoint: what any planner's episode says, plus the messages. */
export interface LlmEpisode extends EpisodeText {
  /** The two turns' messages, as sent (for logs and SFT data). */
  messages: ChatMessageIn[];
}


/** Strips a reasoning block and surrounding space from an answer. */
function answerText(s: string): string {
  return s.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
}

function failure(e: unknown): string {
  return e instanceof CocodaError ? `${e.code}: ${e.message}` : `ERR_LLM_REQUEST: ${(e as Error).message}`;
}

/**
 * Runs each query's decomposition and program turns through `llm` (roles `planner.decompose`
 * and `planner.program` in its usage), retrieving cards from `source` over library version `dag`.
 */
export async function runLlmEpisodes(llm: LlmClient, dag: ToolDag, source: CardSource, queries: readonly PlannerQuery[], opts: LlmEpisodeOptions = {}): Promise<LlmEpisode[]> {
  // Loaded on use: `cocoda/llm` stays free of the planner's policy modules (layering test).
  const { parseDecomposition } = await import('../planner/decompose.ts');
  const { PLANNER_SYSTEM, cardsMessage, userMessage } = await import('../planner/prompt.ts');
  const sampling = { temperature: opts.temperature ?? 0, ...(opts.topP !== undefined ? { topP: opts.topP } : {}), ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
  return Promise.all(
    queries.map(async (q, i): Promise<LlmEpisode> => {
      const messages: ChatMessageIn[] = [
        { role: 'system', content: PLANNER_SYSTEM },
        { role: 'user', content: userMessage(q) },
      ];
      const ep: LlmEpisode = { query: i, decompositionText: '', goals: undefined, shown: NO_CARDS, programText: '', messages };
      try {
        ep.decompositionText = answerText((await llm.chat('planner.decompose', messages, { ...sampling, maxTokens: opts.maxDecompositionTokens ?? 160 })).text);
      } catch (e) {
        ep.decompositionError = failure(e);
        ep.programError = 'no decomposition';
        return ep;
      }
      const parsed = parseDecomposition(ep.decompositionText);
      if (parsed.ok) {
        ep.goals = parsed.goals;
        ep.shown = source.cards(dag, parsed.goals);
        const bad = ep.shown.perGoal.map((g, j) => (g.error ? `sub-goal ${j}: ${g.error}` : '')).filter(Boolean);
        if (bad.length) ep.decompositionError = `ERR_DECOMP_SUBGOAL: ${bad[0]}`;
      } else ep.decompositionError = `${parsed.code}: ${parsed.message}`;
      messages.push({ role: 'assistant', content: ep.decompositionText }, { role: 'user', content: cardsMessage(ep.shown.cards) });
      try {
        ep.programText = answerText((await llm.chat('planner.program', messages, { ...sampling, maxTokens: opts.maxProgramTokens ?? 192 })).text);
        messages.push({ role: 'assistant', content: ep.programText });
      } catch (e) {
        ep.programError = failure(e);
      }
      return ep;
    }),
  );
}
