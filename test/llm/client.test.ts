import { afterEach, describe, expect, it } from 'vitest';
import { LlmClient, extractJson, llmConfigFromEnv } from '../../src/llm/index.ts';
import { completion, startUpstream, type Upstream } from './upstream.ts';

let up: Upstream | undefined;
afterEach(async () => {
  await up?.close();
  up = undefined;
});

const msgs = [{ role: 'user' as const, content: 'hi' }];

describe('LlmClient (scripted OpenAI-compatible upstream, loopback)', () => {
  it('records the server-reported usage per role, sends the paper sampling defaults', async () => {
    up = await startUpstream(() => ({ json: completion('hello', { prompt_tokens: 5, completion_tokens: 2 }) }));
    const llm = new LlmClient({ baseURL: up.url, model: 'm', backoffMs: 0 });
    expect((await llm.chat('l2', msgs)).text).toBe('hello');
    await llm.chat('l3', msgs);
    await llm.chat('l3', msgs);
    const u = llm.usage.toJSON();
    expect(u.roles.l2).toMatchObject({ requests: 1, promptTokens: 5, completionTokens: 2 });
    expect(u.roles.l3).toMatchObject({ requests: 2, promptTokens: 10, completionTokens: 4 });
    expect(u.total.requests).toBe(3);
    expect(up.requests[0]!.body).toMatchObject({ model: 'm', temperature: 0.2, top_p: 0.95 });
  });

  it('retries 5xx / 429 with backoff and succeeds; gives up with ERR_LLM_HTTP after maxRetries', async () => {
    up = await startUpstream((_b, n) => (n < 2 ? { status: n === 0 ? 503 : 429, json: { error: { message: 'busy' } }, headers: { 'retry-after-ms': '10' } } : { json: completion('ok') }));
    const llm = new LlmClient({ baseURL: up.url, model: 'm', maxRetries: 3, backoffMs: 0 });
    expect((await llm.chat('l2', msgs)).text).toBe('ok');
    expect(llm.usage.httpAttempts).toBe(3);
    await up.close();
    up = await startUpstream(() => ({ status: 500, json: { error: { message: 'boom' } }, headers: { 'retry-after-ms': '5' } }));
    const bad = new LlmClient({ baseURL: up.url, model: 'm', maxRetries: 2, backoffMs: 0 });
    await expect(bad.chat('l2', msgs)).rejects.toMatchObject({ code: 'ERR_LLM_HTTP' });
    expect(up.requests).toHaveLength(3);
    expect(bad.usage.role('l2').failures).toBe(1);
  });

  it('times out (and retries the timeout) with ERR_LLM_TIMEOUT', async () => {
    up = await startUpstream(() => ({ delayMs: 400, json: completion('late') }));
    const llm = new LlmClient({ baseURL: up.url, model: 'm', timeoutMs: 80, maxRetries: 1, backoffMs: 0 });
    const t = Date.now();
    await expect(llm.chat('l2', msgs)).rejects.toMatchObject({ code: 'ERR_LLM_TIMEOUT' });
    expect(Date.now() - t).toBeLessThan(3000);
    expect(up.requests.length).toBe(2);
  });

  it('re-asks a garbled response or a malformed answer, then fails with ERR_LLM_BAD_OUTPUT', async () => {
    up = await startUpstream((_b, n) => (n === 0 ? { raw: '<html>proxy error' } : n === 1 ? { json: completion('sure! here it is') } : n === 2 ? { json: { choices: [] } } : { json: completion('```json\n{"ranking": [2, 0]}\n```') }));
    const llm = new LlmClient({ baseURL: up.url, model: 'm', maxRetries: 3, backoffMs: 0 });
    const got = await llm.json('l2', msgs, (v) => (v as { ranking: number[] }).ranking);
    expect(got).toEqual([2, 0]);
    expect(llm.usage.role('l2').reasks).toBe(3);
    expect(llm.usage.role('l2').failures).toBe(0);
    await up.close();
    up = await startUpstream(() => ({ json: completion('no json here') }));
    const never = new LlmClient({ baseURL: up.url, model: 'm', maxRetries: 1, backoffMs: 0 });
    await expect(never.json('l4', msgs, (v) => v)).rejects.toMatchObject({ code: 'ERR_LLM_BAD_OUTPUT', message: expect.stringMatching(/l4.*2 tries/) });
  });

  it('never has more than `concurrency` requests in flight', async () => {
    up = await startUpstream(() => ({ delayMs: 30, json: completion('x') }));
    const llm = new LlmClient({ baseURL: up.url, model: 'm', concurrency: 3 });
    await Promise.all(Array.from({ length: 12 }, () => llm.chat('l2', msgs)));
    expect(up.maxInFlight).toBe(3);
    expect(llm.usage.role('l2').requests).toBe(12);
  });

  it('validates its config and reads the environment', () => {
    expect(() => new LlmClient({ baseURL: 'not a url', model: 'm' })).toThrow(/"baseURL"/);
    expect(() => new LlmClient({ baseURL: 'http://x/v1', model: '' })).toThrow(/"model"/);
    expect(() => new LlmClient({ baseURL: 'http://x/v1', model: 'm', concurrency: 0 })).toThrow(/"concurrency"/);
    expect(llmConfigFromEnv({}, {})).toBeUndefined();
    expect(llmConfigFromEnv({}, { OPENAI_BASE_URL: 'http://h/v1', COCODA_LLM_MODEL: 'q', OPENAI_API_KEY: 'k' })).toEqual({ baseURL: 'http://h/v1', model: 'q', apiKey: 'k' });
    expect(() => llmConfigFromEnv({}, { OPENAI_BASE_URL: 'http://h/v1' })).toThrow(/--llm-model/);
    expect(extractJson('<think>hmm</think> The answer: {"a": [1, "}"]} done')).toEqual({ a: [1, '}'] });
  });
});
