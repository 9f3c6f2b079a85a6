/** The planner's two turns through an endpoint: a scripted upstream, then `cocoda serve` (loopback). */
import { afterAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { TdrCards } from '../../src/planner/cards.ts';
import { PLANNER_SYSTEM } from '../../src/planner/prompt.ts';
import { LlmClient, runLlmEpisodes } from '../../src/llm/index.ts';
import { startServer } from '../../src/serve/index.ts';
import { completion, startUpstream, type Upstream } from './upstream.ts';
import { tinyChatPolicy } from '../serve/helpers.ts';

const dag = ToolDag.fromRecords(seedRecords());
const query = { query: 'What is 3 plus 4?', inputs: { a: 3, b: 4 } };
let up: Upstream | undefined;
afterAll(async () => up?.close());

describe('runLlmEpisodes', () => {
  it('decomposition → cards → program with the planner prompts; usage per turn', async () => {
    up = await startUpstream((body) => {
      const msgs = body.messages as Array<{ role: string; content: string }>;
      if (msgs.length === 2) return { json: completion('<think>easy</think>[{"signature":"(float, float) -> float","intent":"add two numbers"}]') };
      return { json: completion('{"calls":[{"tool":"add","args":[{"input":"a"},{"input":"b"}]}],"answer":{"ref":0}}') };
    });
    const llm = new LlmClient({ baseURL: up.url, model: 'm', backoffMs: 0 });
    const [ep] = await runLlmEpisodes(llm, dag, new TdrCards(), [query]);
    expect(ep!.goals).toEqual([{ signature: '(float, float) -> float', intent: 'add two numbers' }]);
    expect(ep!.decompositionError).toBeUndefined();
    expect(ep!.shown.tools).toContain('add');
    expect(JSON.parse(ep!.programText).calls[0].tool).toBe('add');
    const second = up.requests[1]!.body.messages as Array<{ role: string; content: string }>;
    expect(second[0]).toEqual({ role: 'system', content: PLANNER_SYSTEM });
    expect(second[2]!.role).toBe('assistant');
    expect(second[3]!.content).toMatch(/^<tool_response>\n[\s\S]*add[\s\S]*<\/tool_response>$/);
    expect(up.requests[0]!.body.temperature).toBe(0);
    const u = llm.usage.toJSON().roles;
    expect(u['planner.decompose']!.requests).toBe(1);
    expect(u['planner.program']!.requests).toBe(1);
  });

  it('against cocoda serve: noise is an episode with reasons, never a throw; an endpoint that is down too', async () => {
    const policy = await tinyChatPolicy(6, 1024);
    const server = await startServer({ policy, modelName: 'tiny', port: 0 });
    try {
      const llm = new LlmClient({ baseURL: `${server.url}/v1`, model: 'tiny', maxRetries: 0 });
      const eps = await runLlmEpisodes(llm, dag, new TdrCards(), [query, query], { maxDecompositionTokens: 12, maxProgramTokens: 12, temperature: 1, seed: 3 });
      expect(eps).toHaveLength(2);
      for (const e of eps) {
        expect(e.decompositionError).toMatch(/^ERR_DECOMP/);
        expect(e.messages.length).toBe(e.programError ? 4 : 5);
      }
      expect(llm.usage.role('planner.decompose').requests).toBe(2);
      const down = new LlmClient({ baseURL: 'http://127.0.0.1:9/v1', model: 'x', maxRetries: 0, timeoutMs: 500 });
      const [d] = await runLlmEpisodes(down, dag, new TdrCards(), [query]);
      expect(d!.decompositionError).toMatch(/^ERR_LLM/);
      expect(d!.programText).toBe('');
    } finally {
      await server.close();
      policy.dispose();
    }
  });
});
