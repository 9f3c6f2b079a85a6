import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../src/serve/index.ts';
import { chatStopIds, encodeChat, type Policy } from '../../src/policy/index.ts';
import { tinyChatPolicy } from './helpers.ts';

const post = (url: string, body: string | object, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('cocoda serve (OpenAI-compatible, loopback)', () => {
  let policy: Policy;
  let server: RunningServer;
  let client: OpenAI;
  const messages = [{ role: 'system' as const, content: 'You rank tools.' }, { role: 'user' as const, content: 'add two numbers' }];

  beforeAll(async () => {
    policy = await tinyChatPolicy();
    server = await startServer({ policy, modelName: 'tiny', port: 0, maxBatch: 8, maxQueue: 64 });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
    policy.dispose();
  });

  it('lists the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny']);
  });

  it('greedy completion = policy.generate on the chat template; usage counts tokens', async () => {
    const r = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0, max_tokens: 12 });
    const prompt = encodeChat(policy.tokenizer!, messages);
    const ref = await policy.generate([prompt], { maxNewTokens: 12, temperature: 0, eosId: chatStopIds(policy.tokenizer!) });
    const refTokens = ref.tokens[0]!.filter((t) => !chatStopIds(policy.tokenizer!).includes(t));
    expect(r.choices[0]!.message.content).toBe(policy.tokenizer!.decode(refTokens));
    expect(r.choices[0]!.finish_reason).toBe(ref.finishReason[0] === 'length' ? 'length' : 'stop');
    expect(r.usage).toEqual({ prompt_tokens: prompt.length, completion_tokens: ref.tokens[0]!.length, total_tokens: prompt.length + ref.tokens[0]!.length });
    expect(r.object).toBe('chat.completion');
  });

  it('streams the same text as the non-streaming answer, with usage at the end', async () => {
    const whole = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0.8, seed: 5, max_tokens: 20 });
    const stream = await client.chat.completions.create({ model: 'tiny', messages, temperature: 0.8, seed: 5, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage;
    for await (const c of stream) {
      if (c.usage) usage = c.usage;
      for (const ch of c.choices) {
        text += ch.delta.content ?? '';
        finish = ch.finish_reason ?? finish;
      }
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe(whole.choices[0]!.finish_reason);
    expect(usage).toEqual(whole.usage);
  });

  it('n choices: seeded, reproducible, distinct rows; stop strings cut the text', async () => {
    const a = await client.chat.completions.create({ model: 'tiny', messages, temperature: 1, seed: 9, n: 3, max_tokens: 10 });
    const b = await client.chat.completions.create({ model: 'tiny', messages, temperature: 1, seed: 9, n: 3, max_tokens: 10 });
    expect(a.choices.map((c) => c.message.content)).toEqual(b.choices.map((c) => c.message.content));
    expect(new Set(a.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
    const full = a.choices[0]!.message.content!;
    const stop = full.slice(3, 5);
    expect(stop.length).toBe(2);
    const cut = await client.chat.completions.create({ model: 'tiny', messages, temperature: 1, seed: 9, max_tokens: 10, stop: [stop] });
    expect(cut.choices[0]!.message.content).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.choices[0]!.finish_reason).toBe('stop');
  });

  it('concurrent requests share decode steps (continuous batching)', async () => {
    const before = server.engine.stats();
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: `q ${i}` }], max_tokens: 16, seed: i })));
    const after = server.engine.stats();
    expect(after.maxBatchSeen).toBeGreaterThan(1);
    expect((after.tokens - before.tokens) / (after.steps - before.steps)).toBeGreaterThan(1.5);
  });

  it('bad input: a 400 naming the field, 404 model, 413 body, and the server keeps serving', async () => {
    const url = `${server.url}/v1/chat/completions`;
    const cases: Array<[string | object, number, string | null]> = [
      ['{"messages": [', 400, null],
      [{ messages }, 200, null],
      [{ model: 'tiny', messages, tools: [] }, 400, 'tools'],
      [{ model: 'tiny' }, 400, 'messages'],
      [{ model: 'tiny', messages: [{ role: 'wizard', content: 'x' }] }, 400, 'messages[0].role'],
      [{ model: 'tiny', messages, n: 99 }, 400, 'n'],
      [{ model: 'tiny', messages, max_tokens: 0 }, 400, 'max_tokens'],
      [{ model: 'tiny', messages, max_tokens: 100_000 }, 400, 'max_tokens'],
      [{ model: 'tiny', messages, temperature: 'hot' }, 400, 'temperature'],
      [{ model: 'tiny', messages, frequency_penalty: 0.5 }, 400, 'frequency_penalty'],
      [{ model: 'other', messages }, 404, 'model'],
      [{ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(2 << 20) }] }, 413, null],
    ];
    for (const [body, status, param] of cases) {
      const res = await post(url, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      const j = (await res.json()) as { error?: { message: string; param: string | null } };
      if (status !== 200) {
        expect(j.error!.message.length).toBeGreaterThan(5);
        expect(j.error!.param).toBe(param);
      }
    }
    const long = await post(url, { model: 'tiny', messages: [{ role: 'user', content: 'word '.repeat(400) }] });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { param: string } }).error.param).toBe('messages');
    const ok = await client.chat.completions.create({ model: 'tiny', messages, max_tokens: 2 });
    expect(ok.choices).toHaveLength(1);
  });

  it('a client that disconnects mid-stream leaves the batch; others are unaffected', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'tiny', messages, max_tokens: 200, stream: true, temperature: 1, seed: 1 }),
      signal: ctl.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const other = client.chat.completions.create({ model: 'tiny', messages, max_tokens: 30 });
    ctl.abort();
    await expect(reader.read()).rejects.toThrow();
    expect((await other).choices[0]!.finish_reason).toBeDefined();
    for (let i = 0; i < 100 && server.engine.stats().running > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.engine.stats().running).toBe(0);
  });

  it('embeddings: float and base64 (the openai client default) agree; identical inputs give identical vectors', async () => {
    const r = await client.embeddings.create({ model: 'tiny', input: ['add two numbers', 'hello world', 'add two numbers'] });
    expect(r.data).toHaveLength(3);
    const [a, b, c] = r.data.map((d) => d.embedding);
    expect(a).toHaveLength(32);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a!, c!)).toBeCloseTo(1, 5);
    expect(dot(a!, b!)).toBeLessThan(0.9999);
    const f = await post(`${server.url}/v1/embeddings`, { model: 'tiny', input: 'add two numbers', encoding_format: 'float' });
    const fj = (await f.json()) as { data: Array<{ embedding: number[] }>; usage: { prompt_tokens: number } };
    fj.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(a![i]!, 5));
    expect(fj.usage.prompt_tokens).toBe(policy.tokenizer!.encode('add two numbers').length);
    expect((await post(`${server.url}/v1/embeddings`, { model: 'tiny', input: [] })).status).toBe(400);
  });
});

describe('cocoda serve: queue bound and API key', () => {
  it('answers 429 with Retry-After when the queue is full, and recovers', async () => {
    const policy = await tinyChatPolicy(2);
    const server = await startServer({ policy, port: 0, maxBatch: 1, maxQueue: 2 });
    try {
      const body = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 40 };
      const res = await Promise.all(Array.from({ length: 8 }, () => post(`${server.url}/v1/chat/completions`, body)));
      const codes = res.map((r) => r.status);
      expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
      expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(1);
      const limited = res.find((r) => r.status === 429)!;
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
      const again = await post(`${server.url}/v1/chat/completions`, body);
      expect(again.status).toBe(200);
    } finally {
      await server.close();
      policy.dispose();
    }
  });

  it('needs the key when one is set; refuses a non-loopback bind without one', async () => {
    const policy = await tinyChatPolicy(3);
    await expect(startServer({ policy, host: '0.0.0.0', port: 0 })).rejects.toThrow(/--api-key/);
    const server = await startServer({ policy, port: 0, apiKey: 'sekret' });
    try {
      expect((await fetch(`${server.url}/v1/models`)).status).toBe(401);
      expect((await fetch(`${server.url}/v1/models`, { headers: { authorization: 'Bearer sekret' } })).status).toBe(200);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await server.close();
      policy.dispose();
    }
  });
});
