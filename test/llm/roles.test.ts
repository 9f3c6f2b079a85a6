/**
 * The LLM-backed roles through one client: happy paths against a scripted OpenAI-compatible
 * upstream (answers chosen by the test), failure paths (fallback / REJECT), and end to end against
 * `cocoda serve` over loopback (a real, untrained policy: the plumbing, usage accounting and
 * fallbacks are real; its answers are noise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolDag } from '../../src/library/dag.ts';
import { insertTool } from '../../src/library/insert.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { Corpus, Retriever, cardL2 } from '../../src/retrieval/index.ts';
import { foldIntoLibrary } from '../../src/teacher/fold.ts';
import { libraryInserter } from '../../src/library/insert.ts';
import { LlmClient, llmAbstractor, llmDedup, llmStages, EmbeddingRanker } from '../../src/llm/index.ts';
import { startServer, type RunningServer } from '../../src/serve/index.ts';
import { completion, startUpstream, type Upstream } from './upstream.ts';
import { tinyChatPolicy } from '../serve/helpers.ts';
import type { Policy } from '../../src/policy/index.ts';
import { spawn } from 'node:child_process';

/** Async spawn: the in-process server must keep serving while the child runs. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initLibrary, saveLibrary } from '../../src/library/store.ts';

const dag = ToolDag.fromRecords(seedRecords());
const corpus = Corpus.fromDag(dag);
const goal = { signature: '(float, float) -> float', intent: 'add two numbers' };

/** Card numbers by tool name in a prompt's `[i] name…` lines. */
function numbers(body: Record<string, unknown>): Map<string, number> {
  const text = (body.messages as Array<{ content: string }>)[1]!.content;
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\[(\d+)\] ([A-Za-z_][\w.]*)/gm)) out.set(m[2]!, Number(m[1]));
  return out;
}

describe('retrieval stages through a scripted endpoint', () => {
  let up: Upstream;
  let favour = 'mul';
  let rejectL3: string | null = null;
  beforeAll(async () => {
    up = await startUpstream((body) => {
      const text = (body.messages as Array<{ content: string }>)[1]!.content;
      const nums = numbers(body);
      const first = nums.get(favour)!;
      const rest = [...nums.values()].filter((i) => i !== first);
      if (text.includes('pre/post-conditions')) {
        return { json: completion(JSON.stringify({ verdicts: [...nums].map(([name, i]) => ({ index: i, ok: name !== rejectL3, reason: name === rejectL3 ? 'multiplies instead' : '' })) })) };
      }
      return { json: completion(JSON.stringify({ ranking: [first, ...rest] }), { prompt_tokens: text.length, completion_tokens: 9 }) };
    });
  });
  afterAll(() => up.close());

  it('D.4/D.5/D.6 decide the winner, and usage is recorded per role', async () => {
    const llm = new LlmClient({ baseURL: up.url, model: 'm', backoffMs: 0 });
    favour = 'mul';
    const r = await new Retriever(corpus, llmStages(llm, ['l2', 'l3', 'l4'])).retrieveAsync(goal);
    expect(r.winner!.name).toBe('mul');
    const u = llm.usage.toJSON().roles;
    expect(Object.keys(u).sort()).toEqual(['l2', 'l3', 'l4']);
    for (const role of ['l2', 'l3', 'l4']) expect(u[role]!.requests).toBe(1);
    expect(u.l2!.promptTokens).toBeGreaterThan(100);
    // The cascade's own token accounting is unchanged by who ranks.
    const embedded = new Retriever(corpus).retrieve(goal);
    expect(r.stages.map((s) => s.tokens)).toEqual(embedded.stages.map((s) => s.tokens));
  });

  it('an L3 rejection by the model removes the tool with its reason', async () => {
    const llm = new LlmClient({ baseURL: up.url, model: 'm', backoffMs: 0 });
    favour = 'mul';
    rejectL3 = 'mul';
    const r = await new Retriever(corpus, llmStages(llm, ['l3'])).retrieveAsync(goal);
    rejectL3 = null;
    expect(r.rejected).toContainEqual({ tool: 'mul', reason: 'LLM check: multiplies instead' });
    expect(r.winner!.name).toBe('add');
  });

  it('an endpoint that keeps failing falls back to the embedded stages (same answer as without it)', async () => {
    const bad = await startUpstream(() => ({ status: 500, json: { error: { message: 'down' } }, headers: { 'retry-after-ms': '1' } }));
    try {
      const llm = new LlmClient({ baseURL: bad.url, model: 'm', maxRetries: 1, backoffMs: 0 });
      const stages = llmStages(llm, ['l2', 'l3', 'l4']);
      const r = await new Retriever(corpus, stages).retrieveAsync(goal);
      expect(r.winner!.name).toBe(new Retriever(corpus).retrieve(goal).winner!.name);
      expect(stages.stages.map((s) => s.fallbacks)).toEqual([1, 1, 1]);
      expect(llm.usage.total().failures).toBe(3);
    } finally {
      await bad.close();
    }
  });

  it('D.8 semantic dedup: MERGE into the named neighbour; a failed call REJECTs and writes nothing', async () => {
    const cand = { name: 'plus', signature: '(a: float, b: float) -> float', description: 'Sum of a and b.', tags: ['arithmetic'], examples: [{ args: [1, 2], result: 3 }, { args: [10, 5], result: 15 }], body: 'function plus(a, b) { return a + b + 0 * a; }', origin: 'user' as const };
    // `plus` equals `add` behaviourally on these examples, so make it differ on add's own examples to reach the semantic step.
    const odd = { ...cand, body: 'function plus(a, b) { return a === 0 ? NaN : a + b; }' };
    const sem = await startUpstream((body) => {
      const nums = numbers(body);
      return { json: completion(JSON.stringify({ decision: 'MERGE', into: nums.get('add') ?? 0, reason: 'both add two numbers' })) };
    });
    try {
      const llm = new LlmClient({ baseURL: sem.url, model: 'm', backoffMs: 0 });
      const d = await insertTool(dag, odd, { dedup: llmDedup(llm) });
      expect(d.action).toBe('MERGE');
      expect(d.mergedInto).toBe('add');
      expect(d.reason).toMatch(/semantic duplicate: both add two numbers/);
      expect(d.version.has('plus')).toBe(false);
      expect(llm.usage.role('dedup').requests).toBe(1);
      const down = new LlmClient({ baseURL: 'http://127.0.0.1:9/v1', model: 'm', maxRetries: 0, timeoutMs: 500 });
      const f = await insertTool(dag, odd, { dedup: llmDedup(down) });
      expect(f.action).toBe('REJECT');
      expect(f.code).toBe('ERR_DEDUP_FAILED');
      expect(f.version).toBe(dag);
    } finally {
      await sem.close();
    }
  });

  it('D.1 teacher abstraction: proposed composites go through InsertTool', async () => {
    const teach = await startUpstream(() => ({
      json: completion(JSON.stringify({ tools: [{ name: 'sum_times', signature: '(a: float, b: float, c: float) -> float', description: 'Multiply the sum of a and b by c.', tags: ['arithmetic'], pre: '', post: '', complexity: 'O(1)', examples: [{ args: [1, 2, 3], result: 9 }], body: 'function sum_times(a, b, c) { return mul(add(a, b), c); }' }] })),
    }));
    try {
      const llm = new LlmClient({ baseURL: teach.url, model: 'm', backoffMs: 0 });
      const solved = [{ trajectory: { calls: [{ tool: 'add', args: [{ input: 'a' }, { input: 'b' }] }, { tool: 'mul', args: [{ ref: 0 }, { input: 'c' }] }], answer: { ref: 1 } }, inputs: { a: 1, b: 2, c: 3 }, outputs: [3, 9] }];
      const fold = await foldIntoLibrary(dag, solved as never, libraryInserter(), { abstractor: llmAbstractor(llm) });
      expect(fold.added).toEqual(['sum_times']);
      expect([...fold.dag.children('sum_times')].sort()).toEqual(['add', 'mul']);
      const prompt = (teach.requests[0]!.body.messages as Array<{ content: string }>)[1]!.content;
      expect(prompt).toContain('add(1 /* input a */, 2 /* input b */) -> 3');
    } finally {
      await teach.close();
    }
  });
});

describe('LLM roles end to end against `cocoda serve` (loopback)', () => {
  let policy: Policy;
  let server: RunningServer;
  beforeAll(async () => {
    policy = await tinyChatPolicy(4, 2048);
    server = await startServer({ policy, modelName: 'tiny', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    policy.dispose();
  });

  it('every retrieval role sends real requests; usage is what the server reported; retrieval still answers', async () => {
    const llm = new LlmClient({ baseURL: `${server.url}/v1`, model: 'tiny', maxTokens: 24, maxRetries: 1, backoffMs: 0, concurrency: 2 });
    // Few cards per prompt: the tiny policy's tokenizer spends about a token per byte.
    const stages = llmStages(llm, ['embed', 'l2', 'l3', 'l4'], { maxCards: 6 });
    const r = await new Retriever(corpus, { ...stages, k2: 3 }).retrieveAsync(goal);
    expect(r.winner).not.toBeNull();
    const u = llm.usage.toJSON();
    expect(u.roles.embed!.requests).toBeGreaterThan(0);
    expect(u.roles.embed!.promptTokens).toBeGreaterThan(0);
    // The server answered every chat request (noise, so the roles re-ask and then fall back).
    for (const role of ['l2', 'l3', 'l4']) expect(u.roles[role]!.requests, role).toBeGreaterThan(0);
    expect(u.total.promptTokens).toBeGreaterThan(u.roles.embed!.promptTokens);
    // Completion tokens come from the server's usage (≤ max_tokens per request).
    expect(u.total.completionTokens).toBeLessThanOrEqual(24 * u.total.requests);
    expect(server.engine.stats().tokens).toBeGreaterThan(0);
  });

  it('the embedding ranker through /v1/embeddings puts the tool whose card is the intent first', async () => {
    const llm = new LlmClient({ baseURL: `${server.url}/v1`, model: 'tiny' });
    const ranker = new EmbeddingRanker(llm);
    const ids = Int32Array.from({ length: corpus.n }, (_, i) => i).filter((v) => corpus.records[v]!.examples.length >= 0);
    const target = corpus.records.findIndex((r) => r.name === 'sum_where');
    const r = await ranker.rank(cardL2(corpus.records[target]!), ids, 5, { corpus, goal: { signature: { params: [], result: { kind: 'unknown' } }, intent: 'x' } });
    expect(r.ids[0]).toBe(target);
    expect(ranker.fallbacks).toBe(0);
  });

  it('cocoda retrieve --llm-base-url … reports llmUsage in its JSON (real process)', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-llm-cli-'));
    try {
      const lib = path.join(tmp, 'lib');
      initLibrary(lib);
      saveLibrary(lib, dag);
      const bin = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cocoda.mjs');
      const r = await run([bin, 'retrieve', lib, '--sig', goal.signature, '--intent', goal.intent, '--json', '--llm-base-url', `${server.url}/v1`, '--llm-model', 'tiny', '--llm-roles', 'embed,l2', '--llm-retries', '0']);
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.winner).not.toBeNull();
      expect(j.llmUsage.roles.embed.requests).toBe(1);
      expect(j.llmUsage.roles.embed.promptTokens).toBeGreaterThan(0);
      const bad = await run([bin, 'retrieve', lib, '--sig', goal.signature, '--intent', goal.intent, '--llm-roles', 'l9', '--llm-base-url', 'http://127.0.0.1:9/v1', '--llm-model', 'x']);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/--llm-roles/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
