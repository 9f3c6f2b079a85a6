/**
 * THE client of every LLM-billed role (docs/llm.md): one
 * OpenAI-compatible endpoint (vLLM, llama.cpp server, Ollama, SGLang, `cocoda serve` …) through the
 * official `openai` package.
 *
 * * **Timeouts** per request (`timeoutMs`, default 60 s).
 * * **Retries with backoff**: transport failures, timeouts, 408/409/429/5xx are retried by the
 *   `openai` package (exponential backoff with jitter, honouring `Retry-After`), `maxRetries` times;
 *   an answer that is not what the role asked for (not JSON, wrong shape) is re-asked up to
 *   `maxRetries` times with the same backoff, then the call fails with `ERR_LLM_BAD_OUTPUT`.
 * * **Concurrency limit**: at most `concurrency` requests in flight (p-limit), whatever the number
 *   of callers.
 * * **Usage accounting**: the server's reported `usage` per role ({@link LlmUsage}), which
 *   retrieval and training reports print.
 *
 * Configuration: `--llm-base-url URL --llm-model NAME` on the commands, or the environment:
 * `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `COCODA_LLM_MODEL` ({@link llmConfigFromEnv}).
 *
 * @example
 * ```ts
 * const llm = new LlmClient({ baseURL: 'http://127.0.0.1:8000/v1', model: 'Qwen/Qwen3-8B' });
 * const { text } = await llm.chat('l2', [{ role: 'user', content: 'Say hi' }]);
 * const order = await llm.json('l2', messages, (v) => parseRanking(v));
 * llm.usage.total(); // { requests, promptTokens, completionTokens, … }
 * ```
 */
import OpenAI from 'openai';
import pLimit from 'p-limit';
import { CocodaError, argError, checkNonEmptyString, checkNonNegativeInt, checkPositiveInt } from '../errors.ts';

export interface LlmConfig {
  /** Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:8000/v1`. */
  baseURL: string;
  /** Model name for chat completions. */
  model: string;
  /** Model name for embeddings (default: `model`). */
  embeddingModel?: string;
  /** Bearer key (default `OPENAI_API_KEY`, else `EMPTY`, which local servers accept). */
  apiKey?: string;
  /** Per-request timeout (ms, default 60 000). */
  timeoutMs?: number;
  /** Retries of a failed request and re-asks of a malformed answer (default 3). */
  maxRetries?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Sampling for the auxiliary prompts (paper: temperature 0.2, top-p 0.95). */
  temperature?: number;
  topP?: number;
  /** Completion budget per request (default 1024). */
  maxTokens?: number;
  /** First backoff before re-asking (ms, default 250; doubles, with jitter). */
  backoffMs?: number;
  /** A `fetch` to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

/** Token usage of one role (or the total). */
export interface RoleUsage {
  /** Successful requests. */
  requests: number;
  promptTokens: number;
  completionTokens: number;
  /** Answers re-asked because they were malformed. */
  reasks: number;
  /** Calls that failed after every retry. */
  failures: number;
  /** Responses without a `usage` block (their tokens are unknown, not counted). */
  missingUsage: number;
}

const zero = (): RoleUsage => ({ requests: 0, promptTokens: 0, completionTokens: 0, reasks: 0, failures: 0, missingUsage: 0 });

/** Usage by role, as reported by the server. */
export class LlmUsage {
  readonly #roles = new Map<string, RoleUsage>();
  /** HTTP attempts made (retries included). */
  httpAttempts = 0;

  role(name: string): RoleUsage {
    let u = this.#roles.get(name);
    if (!u) this.#roles.set(name, (u = zero()));
    return u;
  }

  total(): RoleUsage {
    const t = zero();
    for (const u of this.#roles.values()) for (const k of Object.keys(t) as Array<keyof RoleUsage>) t[k] += u[k];
    return t;
  }

  /** `{ total, roles: { l2: {...}, ... }, httpAttempts }` for JSON reports. */
  toJSON(): { total: RoleUsage; roles: Record<string, RoleUsage>; httpAttempts: number } {
    return { total: this.total(), roles: Object.fromEntries([...this.#roles].map(([k, v]) => [k, { ...v }])), httpAttempts: this.httpAttempts };
  }

  /** Difference since a {@link toJSON} snapshot (per-call accounting). */
  since(before: ReturnType<LlmUsage['toJSON']>): ReturnType<LlmUsage['toJSON']> {
    const now = this.toJSON();
    const diff = (a: RoleUsage, b: RoleUsage | undefined): RoleUsage => {
      const d = zero();
      for (const k of Object.keys(d) as Array<keyof RoleUsage>) d[k] = a[k] - (b?.[k] ?? 0);
      return d;
    };
    const roles: Record<string, RoleUsage> = {};
    for (const [k, v] of Object.entries(now.roles)) {
      const d = diff(v, before.roles[k]);
      if (Object.values(d).some((x) => x !== 0)) roles[k] = d;
    }
    return { total: diff(now.total, before.total), roles, httpAttempts: now.httpAttempts - before.httpAttempts };
  }
}

export interface ChatMessageIn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
}

/** Reads the endpoint from the environment (`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `COCODA_LLM_MODEL`) with overrides. */
export function llmConfigFromEnv(overrides: Partial<LlmConfig> = {}, env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  const baseURL = overrides.baseURL ?? env.OPENAI_BASE_URL;
  if (!baseURL) return undefined;
  const model = overrides.model ?? env.COCODA_LLM_MODEL;
  if (!model) throw argError('range', '--llm-model', `given with --llm-base-url / OPENAI_BASE_URL (${baseURL}) (or set COCODA_LLM_MODEL)`);
  const cfg: LlmConfig = { ...overrides, baseURL, model };
  const key = overrides.apiKey ?? env.OPENAI_API_KEY;
  if (key) cfg.apiKey = key;
  return cfg;
}

/** Extracts the first JSON value from a model's answer (code fences and surrounding prose allowed). */
export function extractJson(text: string): unknown {
  const t = text.replace(/<think>[\s\S]*?<\/think>/g, '').trim();
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(t);
  const body = fence ? fence[1]!.trim() : t;
  try {
    return JSON.parse(body);
  } catch {
    /* look for the first balanced {...} or [...] */
  }
  for (let i = 0; i < body.length; i++) {
    const open = body[i];
    if (open !== '{' && open !== '[') continue;
    const close = open === '{' ? '}' : ']';
    let depth = 0;
    let inStr = false;
    for (let j = i; j < body.length; j++) {
      const ch = body[j];
      if (inStr) {
        if (ch === '\\') j++;
        else if (ch === '"') inStr = false;
        continue;
      }
      if (ch === '"') inStr = true;
      else if (ch === open) depth++;
      else if (ch === close && --depth === 0) {
        try {
          return JSON.parse(body.slice(i, j + 1));
        } catch {
          break;
        }
      }
    }
  }
  throw new SyntaxError(`no JSON value in the answer: ${JSON.stringify(text.slice(0, 120))}`);
}

/** See the module comment. */
export class LlmClient {
  readonly config: Readonly<Required<Omit<LlmConfig, 'apiKey' | 'fetch' | 'embeddingModel'>>> & { embeddingModel: string };
  readonly usage = new LlmUsage();
  readonly #openai: OpenAI;
  readonly #limit: ReturnType<typeof pLimit>;

  constructor(cfg: LlmConfig) {
    if (typeof cfg !== 'object' || cfg === null) throw argError('type', 'config', 'an object {baseURL, model, …}', cfg);
    checkNonEmptyString('baseURL', cfg.baseURL);
    try {
      new URL(cfg.baseURL);
    } catch {
      throw argError('range', 'baseURL', 'an http(s) URL such as http://127.0.0.1:8000/v1', cfg.baseURL);
    }
    checkNonEmptyString('model', cfg.model);
    const timeoutMs = checkPositiveInt('timeoutMs', cfg.timeoutMs ?? 60_000);
    const maxRetries = checkNonNegativeInt('maxRetries', cfg.maxRetries ?? 3);
    const concurrency = checkPositiveInt('concurrency', cfg.concurrency ?? 4);
    this.config = {
      baseURL: cfg.baseURL,
      model: cfg.model,
      embeddingModel: cfg.embeddingModel ?? cfg.model,
      timeoutMs,
      maxRetries,
      concurrency,
      temperature: cfg.temperature ?? 0.2,
      topP: cfg.topP ?? 0.95,
      maxTokens: checkPositiveInt('maxTokens', cfg.maxTokens ?? 1024),
      backoffMs: checkNonNegativeInt('backoffMs', cfg.backoffMs ?? 250),
    };
    const baseFetch = cfg.fetch ?? globalThis.fetch;
    const counting: typeof fetch = (input, init) => {
      this.usage.httpAttempts++;
      return baseFetch(input, init);
    };
    this.#openai = new OpenAI({
      baseURL: cfg.baseURL,
      apiKey: cfg.apiKey ?? process.env.OPENAI_API_KEY ?? 'EMPTY',
      timeout: timeoutMs,
      maxRetries,
      fetch: counting,
    });
    this.#limit = pLimit(concurrency);
  }

  /** Requests waiting for a concurrency slot. */
  get pending(): number {
    return this.#limit.pendingCount;
  }

  /** Requests in flight. */
  get active(): number {
    return this.#limit.activeCount;
  }

  async #backoff(attempt: number): Promise<void> {
    const ms = this.config.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }

  /**
   * One chat completion for `role`; returns the text and the server's usage. Transport failures are
   * retried by the `openai` package; when they persist it throws `CocodaError` `ERR_LLM_REQUEST`
   * (`ERR_LLM_TIMEOUT` for timeouts).
   */
  async chat(role: string, messages: ChatMessageIn[], opts: ChatOptions = {}): Promise<{ text: string; promptTokens: number; completionTokens: number }> {
    const u = this.usage.role(role);
    return this.#limit(async () => {
      let res;
      try {
        res = await this.#openai.chat.completions.create({
          model: this.config.model,
          messages,
          temperature: opts.temperature ?? this.config.temperature,
          top_p: opts.topP ?? this.config.topP,
          max_tokens: opts.maxTokens ?? this.config.maxTokens,
          ...(opts.stop ? { stop: opts.stop } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        });
      } catch (e) {
        u.failures++;
        throw this.#wrap(e, role);
      }
      const choice = res?.choices?.[0];
      if (!choice || typeof choice.message?.content !== 'string') {
        u.failures++;
        throw new CocodaError(`LLM role "${role}": the server's answer has no choices[0].message.content (${JSON.stringify(res).slice(0, 160)})`, 'ERR_LLM_BAD_RESPONSE', { role });
      }
      u.requests++;
      const p = res.usage?.prompt_tokens;
      const c = res.usage?.completion_tokens;
      if (typeof p === 'number' && typeof c === 'number') {
        u.promptTokens += p;
        u.completionTokens += c;
      } else u.missingUsage++;
      return { text: choice.message.content, promptTokens: p ?? 0, completionTokens: c ?? 0 };
    });
  }

  /**
   * Asks for JSON and validates it with `parse` (which throws on a wrong shape). A malformed or
   * unparsable answer — or a garbled response — is re-asked up to `maxRetries` times with
   * exponential backoff; then it throws `ERR_LLM_BAD_OUTPUT` naming the role and the last problem.
   */
  async json<T>(role: string, messages: ChatMessageIn[], parse: (value: unknown) => T, opts: ChatOptions = {}): Promise<T> {
    let last = '';
    for (let attempt = 0; attempt <= this.config.maxRetries; attempt++) {
      if (attempt > 0) {
        this.usage.role(role).reasks++;
        await this.#backoff(attempt - 1);
      }
      let text: string;
      try {
        ({ text } = await this.chat(role, messages, opts));
      } catch (e) {
        if (e instanceof CocodaError && e.code === 'ERR_LLM_BAD_RESPONSE') {
          last = e.message;
          this.usage.role(role).failures--; // counted once below if every attempt fails
          continue;
        }
        throw e;
      }
      try {
        return parse(extractJson(text));
      } catch (e) {
        last = (e as Error).message;
      }
    }
    this.usage.role(role).failures++;
    throw new CocodaError(`LLM role "${role}" gave no usable answer after ${this.config.maxRetries + 1} tries: ${last}`, 'ERR_LLM_BAD_OUTPUT', { role });
  }

  /** Embeddings of `inputs` (one request per 128 inputs), unit-normalised. */
  async embed(role: string, inputs: string[]): Promise<Float32Array[]> {
    const u = this.usage.role(role);
    const out: Float32Array[] = [];
    for (let at = 0; at < inputs.length; at += 128) {
      const batch = inputs.slice(at, at + 128);
      const res = await this.#limit(async () => {
        try {
          return await this.#openai.embeddings.create({ model: this.config.embeddingModel, input: batch, encoding_format: 'float' });
        } catch (e) {
          u.failures++;
          throw this.#wrap(e, role);
        }
      });
      if (!Array.isArray(res?.data) || res.data.length !== batch.length) {
        u.failures++;
        throw new CocodaError(`LLM role "${role}": the embeddings answer has ${Array.isArray(res?.data) ? res.data.length : 'no'} vectors for ${batch.length} inputs`, 'ERR_LLM_BAD_RESPONSE', { role });
      }
      u.requests++;
      if (typeof res.usage?.prompt_tokens === 'number') u.promptTokens += res.usage.prompt_tokens;
      else u.missingUsage++;
      const sorted = [...res.data].sort((a, b) => a.index - b.index);
      for (const d of sorted) {
        const v = Float32Array.from(d.embedding as number[]);
        let n = 0;
        for (const x of v) n += x * x;
        n = Math.sqrt(n) || 1;
        for (let i = 0; i < v.length; i++) v[i]! /= n;
        out.push(v);
      }
    }
    return out;
  }

  #wrap(e: unknown, role: string): Error {
    if (e instanceof CocodaError) return e;
    const msg = (e as Error)?.message ?? String(e);
    if (e instanceof OpenAI.APIConnectionTimeoutError) return new CocodaError(`LLM role "${role}": ${this.config.baseURL} timed out after ${this.config.timeoutMs} ms (${this.config.maxRetries} retries)`, 'ERR_LLM_TIMEOUT', { role });
    if (e instanceof OpenAI.APIError) {
      const status = e.status;
      return new CocodaError(`LLM role "${role}": ${this.config.baseURL} answered ${status ?? 'no response'}: ${msg}`, status === undefined ? 'ERR_LLM_REQUEST' : 'ERR_LLM_HTTP', { role, status });
    }
    // Anything else (an unparsable body, a proxy's HTML page …) is a garbled response.
    return new CocodaError(`LLM role "${role}": garbled response from ${this.config.baseURL}: ${msg}`, 'ERR_LLM_BAD_RESPONSE', { role });
  }
}
