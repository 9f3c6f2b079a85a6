/**
 * `cocoda serve`: an OpenAI-compatible HTTP server (fastify) for the in-process policy.
 *
 * * `GET /v1/models`, `GET /health`;
 * * `POST /v1/chat/completions`: non-streaming and SSE streaming (`stream`, `stream_options.
 *   include_usage`); `temperature`, `top_p`, `max_tokens` / `max_completion_tokens`, `stop`, `seed`,
 *   `n`, `logprobs`; `usage` token counts; the policy tokenizer's chat template (Qwen3 style,
 *   src/policy/chat.ts). Every request's rows join the running generate batch at the next step
 *   (continuous batching, {@link Engine}); a full queue answers 429 with `Retry-After`.
 * * `POST /v1/embeddings`: mean-pooled final hidden states (`Policy.embed`), `float` or `base64`.
 *
 * Bodies are checked against JSON schemas (types, ranges, sizes; unknown fields are refused) and
 * every error is an OpenAI-style `{"error": {"message", "type", "param", "code"}}` naming the
 * field. A client that disconnects mid-request or mid-stream leaves the batch at the next step.
 * With `apiKey`, `/v1/*` needs `Authorization: Bearer KEY`.
 *
 * @example
 * ```ts
 * const server = await startServer({ policy, modelName: 'planner', port: 8000 });
 * // curl http://127.0.0.1:8000/v1/chat/completions -d '{"model":"planner","messages":[{"role":"user","content":"hi"}]}'
 * await server.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { CocodaError, argError, checkPositiveInt } from '../errors.ts';
import { CHAT_ROLES, type ChatMessage, chatStopIds, encodeChat } from '../policy/chat.ts';
import type { DecodeEvent, DecodeRequest } from '../policy/decoder.ts';
import type { Policy } from '../policy/policy.ts';
import type { FinishReason } from '../policy/sampling.ts';
import type { PolicyTokenizer } from '../policy/tokenizer.ts';
import { Engine, QueueFullError, type Completion, type EngineOptions } from './engine.ts';

export interface ServeOptions extends EngineOptions {
  policy: Policy;
  /** The id `/v1/models` lists and requests must name (default `cocoda-policy`). */
  modelName?: string;
  /** Required as `Authorization: Bearer KEY` on `/v1/*` when set. */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Most choices per request (`n`, default 8). */
  maxN?: number;
  /** Most inputs per embeddings request (default 256). */
  maxEmbeddingInputs?: number;
  /** Fastify logger (default off). */
  logger?: boolean;
}

export interface StartOptions extends ServeOptions {
  host?: string;
  port?: number;
  /** Adds routes (e.g. MCP at `/mcp`) before the server starts listening. */
  setup?: (app: FastifyInstance) => void | Promise<void>;
}

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  /** e.g. `http://127.0.0.1:8000` */
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }
}

const nullable = (t: string | string[]) => ({ type: [...(Array.isArray(t) ? t : [t]), 'null'] });

const MESSAGE_SCHEMA = {
  type: 'object',
  required: ['role', 'content'],
  additionalProperties: false,
  properties: {
    role: { type: 'string', enum: [...CHAT_ROLES] },
    content: {
      anyOf: [
        { type: 'string', maxLength: 1_000_000 },
        {
          type: 'array',
          maxItems: 64,
          items: {
            type: 'object',
            required: ['type', 'text'],
            additionalProperties: false,
            properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string', maxLength: 1_000_000 } },
          },
        },
      ],
    },
    name: { type: 'string', maxLength: 256 },
  },
} as const;

function chatSchema(maxN: number) {
  return {
    type: 'object',
    required: ['messages'],
    additionalProperties: false,
    properties: {
      model: { type: 'string', maxLength: 256 },
      messages: { type: 'array', minItems: 1, maxItems: 1024, items: MESSAGE_SCHEMA },
      temperature: { ...nullable('number'), minimum: 0, maximum: 2 },
      top_p: { ...nullable('number'), exclusiveMinimum: 0, maximum: 1 },
      max_tokens: { ...nullable('integer'), minimum: 1, maximum: 1_000_000 },
      max_completion_tokens: { ...nullable('integer'), minimum: 1, maximum: 1_000_000 },
      stop: { type: ['string', 'array', 'null'], maxLength: 256, maxItems: 4, items: { type: 'string', minLength: 1, maxLength: 256 } },
      seed: { ...nullable('integer'), minimum: -9007199254740991, maximum: 9007199254740991 },
      n: { ...nullable('integer'), minimum: 1, maximum: maxN },
      stream: nullable('boolean'),
      stream_options: { type: ['object', 'null'], additionalProperties: false, properties: { include_usage: { type: 'boolean' } } },
      logprobs: nullable('boolean'),
      top_logprobs: { ...nullable('integer'), minimum: 0, maximum: 0 },
      presence_penalty: { ...nullable('number'), minimum: 0, maximum: 0 },
      frequency_penalty: { ...nullable('number'), minimum: 0, maximum: 0 },
      user: { type: 'string', maxLength: 256 },
    },
  };
}

function embeddingsSchema(maxInputs: number) {
  return {
    type: 'object',
    required: ['input'],
    additionalProperties: false,
    properties: {
      model: { type: 'string', maxLength: 256 },
      input: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 1_000_000 },
          { type: 'array', minItems: 1, maxItems: maxInputs, items: { type: 'string', minLength: 1, maxLength: 1_000_000 } },
          { type: 'array', minItems: 1, maxItems: 1_000_000, items: { type: 'integer', minimum: 0 } },
          { type: 'array', minItems: 1, maxItems: maxInputs, items: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } } },
        ],
      },
      encoding_format: { type: 'string', enum: ['float', 'base64'] },
      user: { type: 'string', maxLength: 256 },
    },
  };
}

interface ChatBody {
  model?: string;
  messages: Array<{ role: ChatMessage['role']; content: string | Array<{ type: 'text'; text: string }> }>;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  logprobs?: boolean | null;
}

interface EmbeddingsBody {
  model?: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
}

/** `/messages/0/role` → `messages[0].role` */
function paramOf(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** OpenAI's finish reasons: end-of-turn and stop sequences are both `stop`. */
function openaiFinish(r: FinishReason): 'stop' | 'length' {
  return r === 'length' ? 'length' : 'stop';
}

/**
 * Incremental text of one choice: strips the end-of-turn token, cuts at the first stop string and
 * holds back a tail that may still become a stop string (or an incomplete UTF-8 sequence).
 */
class TextTracker {
  tokens: number[] = [];
  sent = 0;
  stopped = false;
  constructor(
    private readonly tok: PolicyTokenizer,
    private readonly stops: string[],
    private readonly endIds: Set<number>,
  ) {}

  /** Adds a token; returns the new text that is safe to send. */
  push(token: number, last: boolean): string {
    if (this.stopped) return '';
    if (!(last && this.endIds.has(token))) this.tokens.push(token);
    const text = this.tok.decode(this.tokens);
    let end = text.length;
    let cut = -1;
    for (const s of this.stops) {
      const i = text.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      end = cut;
      this.stopped = true;
    } else if (!last) {
      if (text.endsWith('\uFFFD')) end = text.length - 1;
      for (const s of this.stops) {
        for (let k = Math.min(s.length - 1, text.length); k > 0; k--) {
          if (text.endsWith(s.slice(0, k))) {
            end = Math.min(end, text.length - k);
            break;
          }
        }
      }
    }
    if (end <= this.sent) return '';
    const out = text.slice(this.sent, end);
    this.sent = end;
    return out;
  }

  text(): string {
    return this.tok.decode(this.tokens).slice(0, this.stopped ? this.sent : undefined);
  }
}

/**
 * Builds the fastify app (not listening). Use {@link startServer} to listen.
 */
export function buildServer(opts: ServeOptions): { app: FastifyInstance; engine: Engine } {
  const { policy } = opts;
  if (!policy.tokenizer) throw argError('range', 'policy', 'a policy with a tokenizer (its chat template renders the messages)');
  const tok: PolicyTokenizer = policy.tokenizer;
  const modelName = opts.modelName ?? 'cocoda-policy';
  const maxN = checkPositiveInt('maxN', opts.maxN ?? 8);
  const maxEmb = checkPositiveInt('maxEmbeddingInputs', opts.maxEmbeddingInputs ?? 256);
  const engine = new Engine(policy, opts);
  const maxSeqLen = policy.config.maxSeqLen;
  const endIds = new Set(chatStopIds(tok));
  const created = Math.floor(Date.now() / 1000);

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 1 << 20,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });

  app.setErrorHandler((err: FastifyError & { validation?: Array<{ instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }> }, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err);
    if (err.validation && err.validation.length > 0) {
      const v = err.validation[0]!;
      if (v.keyword === 'additionalProperties') {
        const p = paramOf(v.instancePath, String(v.params.additionalProperty));
        return sendError(reply, new HttpError(400, `Unrecognized request argument supplied: ${p}`, p, 'unknown_field'));
      }
      if (v.keyword === 'required') {
        const p = paramOf(v.instancePath, String(v.params.missingProperty));
        return sendError(reply, new HttpError(400, `Missing required parameter: '${p}'`, p, 'missing_field'));
      }
      const p = paramOf(v.instancePath) || 'body';
      const why = v.keyword === 'maximum' && (p.endsWith('penalty') || p === 'top_logprobs') ? 'must be 0 (not supported by this server)' : (v.message ?? 'is invalid');
      return sendError(reply, new HttpError(400, `Invalid value for '${p}': ${why}`, p, 'invalid_value'));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, new HttpError(413, `Request body is larger than ${opts.bodyLimit ?? 1 << 20} bytes`, null, 'body_too_large'));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(reply, new HttpError(415, 'Content-Type must be application/json', null, 'unsupported_media_type'));
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendError(reply, new HttpError(400, 'The request body is empty; expected a JSON object', null, 'invalid_json'));
    if (err.statusCode === 400 && (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)) {
      return sendError(reply, new HttpError(400, `The request body is not valid JSON: ${err.message}`, null, 'invalid_json'));
    }
    if (err instanceof TypeError || err instanceof RangeError) return sendError(reply, new HttpError(400, err.message, null, 'invalid_value'));
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, new HttpError(err.statusCode, err.message));
    return sendError(reply, new HttpError(500, `internal error: ${err.message}`, null, (err as { code?: string }).code ?? null));
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new HttpError(404, `no route ${req.method} ${req.url}`, null, 'not_found')));

  app.addHook('onRequest', async (req) => {
    if (!opts.apiKey || !req.url.startsWith('/v1/')) return;
    const h = req.headers.authorization ?? '';
    if (h !== `Bearer ${opts.apiKey}`) throw new HttpError(401, 'Missing or invalid API key (send "Authorization: Bearer KEY")', null, 'invalid_api_key');
  });

  const checkModel = (m: string | undefined) => {
    if (m !== undefined && m !== modelName) throw new HttpError(404, `The model "${m}" does not exist (this server serves "${modelName}")`, 'model', 'model_not_found');
  };

  app.get('/health', async () => ({ status: 'ok', ...engine.stats() }));
  app.get('/v1/models', async () => ({
    object: 'list',
    data: [{ id: modelName, object: 'model', created, owned_by: 'cocoda', max_model_len: maxSeqLen }],
  }));

  app.post('/v1/chat/completions', { schema: { body: chatSchema(maxN) } }, async (req, reply) => {
    const body = req.body as ChatBody;
    checkModel(body.model);
    const messages: ChatMessage[] = body.messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('') }));
    const prompt = encodeChat(tok, messages);
    if (prompt.length >= maxSeqLen) {
      throw new HttpError(400, `The messages are ${prompt.length} tokens; this model's context is ${maxSeqLen} tokens (prompt + completion)`, 'messages', 'context_length_exceeded');
    }
    const room = maxSeqLen - prompt.length;
    const asked = body.max_completion_tokens ?? body.max_tokens ?? undefined;
    if (asked !== undefined && asked > room) {
      const p = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
      throw new HttpError(400, `'${p}' is ${asked}, but the prompt is ${prompt.length} tokens and this model's context is ${maxSeqLen}: at most ${room} new tokens fit`, p, 'context_length_exceeded');
    }
    const n = body.n ?? 1;
    const stops = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
    if (typeof body.stop === 'string' && body.stop.length === 0) throw new HttpError(400, "Invalid value for 'stop': must not be empty", 'stop', 'invalid_value');
    const seed = body.seed ?? Math.floor(Math.random() * 0x7fffffff);
    const rows: DecodeRequest[] = Array.from({ length: n }, (_, i) => ({
      prompt,
      maxNewTokens: asked ?? room,
      temperature: body.temperature ?? 1,
      topP: body.top_p ?? 1,
      stopStrings: stops,
      eosId: [...endIds],
      seed,
      index: i,
    }));
    const id = `chatcmpl-${randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const trackers = rows.map(() => new TextTracker(tok, stops, endIds));
    const wantLogprobs = body.logprobs === true;

    if (body.stream) {
      const includeUsage = body.stream_options?.include_usage === true;
      let job;
      try {
        job = engine.submit(rows, (choice, ev) => streamEvent(choice, ev));
      } catch (e) {
        throw asHttp(e);
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
      const send = (obj: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`);
      };
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({ id, object: 'chat.completion.chunk', created: now, model: modelName, choices, ...extra });
      for (let i = 0; i < n; i++) send(chunk([{ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
      function streamEvent(choice: number, ev: DecodeEvent) {
        const tr = trackers[choice]!;
        const delta = tr.push(ev.token, ev.finishReason !== undefined);
        const lp = wantLogprobs && !(ev.finishReason && endIds.has(ev.token)) ? { content: [logprobEntry(tok, ev.token, ev.logProb)] } : null;
        if (delta || lp) send(chunk([{ index: choice, delta: { content: delta }, logprobs: lp, finish_reason: null }]));
        if (ev.finishReason) send(chunk([{ index: choice, delta: {}, logprobs: null, finish_reason: openaiFinish(ev.finishReason) }]));
      }
      res.on('close', () => {
        if (!res.writableFinished) job.cancel();
      });
      try {
        const done = await job.done;
        if (includeUsage) send(chunk([], { usage: usageOf(prompt.length, done) }));
        if (!res.writableEnded) res.end('data: [DONE]\n\n');
      } catch (e) {
        if ((e as CocodaError).code !== 'ERR_CANCELLED') send({ error: { message: (e as Error).message, type: 'server_error', param: null, code: (e as CocodaError).code ?? null } });
        if (!res.writableEnded) res.end();
      }
      return reply;
    }

    let job;
    try {
      job = engine.submit(rows, (choice, ev) => void trackers[choice]!.push(ev.token, ev.finishReason !== undefined));
    } catch (e) {
      throw asHttp(e);
    }
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) job.cancel();
    });
    let done: Completion[];
    try {
      done = await job.done;
    } catch (e) {
      throw asHttp(e);
    }
    return {
      id,
      object: 'chat.completion',
      created: now,
      model: modelName,
      choices: done.map((c, i) => ({
        index: i,
        message: { role: 'assistant', content: trackers[i]!.text() },
        logprobs: wantLogprobs ? { content: c.tokens.filter((t, k) => !(k === c.tokens.length - 1 && c.finishReason === 'eos' && endIds.has(t))).map((t, k) => logprobEntry(tok, t, c.logProbs[k]!)) } : null,
        finish_reason: openaiFinish(c.finishReason),
      })),
      usage: usageOf(prompt.length, done),
    };
  });

  app.post('/v1/embeddings', { schema: { body: embeddingsSchema(maxEmb) } }, async (req) => {
    const body = req.body as EmbeddingsBody;
    checkModel(body.model);
    const inp = body.input;
    let seqs: number[][];
    if (typeof inp === 'string') seqs = [tok.encode(inp)];
    else if (typeof inp[0] === 'string') seqs = (inp as string[]).map((s) => tok.encode(s));
    else if (typeof inp[0] === 'number') seqs = [inp as number[]];
    else seqs = inp as number[][];
    seqs.forEach((s, i) => {
      const p = typeof inp === 'string' || typeof inp[0] === 'number' ? 'input' : `input[${i}]`;
      if (s.length === 0) throw new HttpError(400, `Invalid value for '${p}': encodes to no tokens`, p, 'invalid_value');
      if (s.length > maxSeqLen) throw new HttpError(400, `'${p}' is ${s.length} tokens; this model's context is ${maxSeqLen}`, p, 'context_length_exceeded');
      for (const id of s) if (id >= policy.config.vocabSize) throw new HttpError(400, `Invalid value for '${p}': token id ${id} is outside the vocabulary (${policy.config.vocabSize})`, p, 'invalid_value');
    });
    const vecs = policy.embed(seqs);
    const tokens = seqs.reduce((a, s) => a + s.length, 0);
    return {
      object: 'list',
      model: modelName,
      data: vecs.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  app.addHook('onClose', async () => engine.close());
  return { app, engine };
}

function logprobEntry(tok: PolicyTokenizer, token: number, logprob: number) {
  const s = tok.decode([token]);
  return { token: s, logprob, bytes: Array.from(Buffer.from(s, 'utf8')), top_logprobs: [] };
}

function usageOf(promptTokens: number, done: Completion[]) {
  const completion = done.reduce((a, c) => a + c.tokens.length, 0);
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}

function asHttp(e: unknown): Error {
  if (e instanceof QueueFullError) {
    const h = new HttpError(429, e.message, null, 'queue_full');
    (h as HttpError & { retryAfter?: number }).retryAfter = e.retryAfterSeconds;
    return h;
  }
  if (e instanceof CocodaError) return new HttpError(e.code === 'ERR_CANCELLED' ? 499 : 500, e.message, null, e.code);
  return e as Error;
}

function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  const retry = (e as HttpError & { retryAfter?: number }).retryAfter;
  if (retry !== undefined) reply.header('Retry-After', String(retry));
  return reply.code(e.status).send({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });
}

/** Is `host` a loopback address (binding it needs no API key)? */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Builds the app and listens. Binding anything but loopback requires `apiKey`.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.apiKey) {
    throw new CocodaError(`refusing to bind ${host} without an API key: pass --api-key KEY (or bind 127.0.0.1)`, 'ERR_SERVE_NO_API_KEY', { host });
  }
  const { app, engine } = buildServer(opts);
  await opts.setup?.(app);
  await app.listen({ host, port: opts.port ?? 8000 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8000);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { app, engine, port, url: `http://${shown}:${port}`, close: () => app.close() };
}
