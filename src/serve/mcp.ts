/**
 * `cocoda mcp DIR [--http PORT]`: a library served over the Model Context Protocol
 * (`@modelcontextprotocol/sdk`), on stdio or streamable HTTP (sessions, JSON responses), with
 * four tools:
 *
 * * `retrieve` — a typed sub-goal (`signature`, `intent`, optional `args`) → the winner, the ranked
 *   shortlist with their tool cards, and every stage's survivors / tokens / ms (Typed DAG Retrieval);
 * * `run_tool` — runs one tool in the sandbox with the limits of `cocoda run` (remote tools, imported
 *   with `library import-mcp`, are called through their MCP server);
 * * `library_stats` — counts, depth, version;
 * * `add_tool` — InsertTool: ADD / MERGE / REJECT with the reason; only ADD/MERGE write the library.
 *
 * The library is re-read when another process moves its HEAD; writes are serialised in-process and
 * retried on a version conflict, so a failed or rejected call never writes anything.
 *
 * @example
 * ```ts
 * const service = new LibraryService('my-lib');
 * const server = createMcpServer(service);
 * await server.connect(new StdioServerTransport());
 * ```
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CocodaError } from '../errors.ts';
import { runTool } from '../exec/library.ts';
import { Sandbox } from '../exec/sandbox.ts';
import type { ToolDag } from '../library/dag.ts';
import { insertTool, type InsertDecision, type InsertOptions } from '../library/insert.ts';
import type { LlmClient } from '../llm/client.ts';
import { headVersion, openLibrary, updateLibrary } from '../library/store.ts';
import { flatCard } from '../retrieval/cards.ts';
import { Corpus } from '../retrieval/corpus.ts';
import { Retriever, type CascadeOptions, type SubGoal } from '../retrieval/cascade.ts';
import { decisionJson, missingField } from '../cli/commands/library-write.ts';
import { callRemoteTool } from './mcp-client.ts';
import { isLoopback } from './openai.ts';

export const MCP_SERVER_NAME = 'cocoda-library';

export interface LibraryServiceOptions {
  /** Sandbox wall-time limit per call (ms, default 2000, as `cocoda run`). */
  timeoutMs?: number;
  /** Stages of the retrieval cascade (e.g. LLM-backed rankers); default the embedded ones. */
  cascade?: () => CascadeOptions;
  /** Cards returned by `retrieve` (default 3). */
  cards?: number;
  /** The LLM client behind `cascade`'s stages: `retrieve` reports its usage per call. */
  llm?: LlmClient;
  /** Semantic dedup (D.8) for `add_tool`. */
  dedup?: InsertOptions['dedup'];
}

/** JSON-safe: non-finite numbers as strings, as `cocoda run` prints them. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)));
}

/** The library behind an MCP server (shared by every session). */
export class LibraryService {
  readonly dir: string;
  readonly sandbox: Sandbox;
  readonly #opts: LibraryServiceOptions;
  #dag: ToolDag;
  #retriever: Retriever | undefined;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(dir: string, opts: LibraryServiceOptions = {}) {
    this.dir = dir;
    this.#opts = opts;
    this.#dag = openLibrary(dir).dag;
    this.sandbox = new Sandbox({ timeoutMs: opts.timeoutMs ?? 2000 });
  }

  /** The current version (re-read when another process moved HEAD). */
  dag(): ToolDag {
    const head = headVersion(this.dir);
    if (head !== undefined && head !== this.#dag.version) {
      this.#dag = openLibrary(this.dir).dag;
      this.#retriever = undefined;
    }
    return this.#dag;
  }

  #retrieverFor(dag: ToolDag): Retriever {
    if (!this.#retriever || this.#retriever.corpus.dagVersion !== dag.version) {
      this.#retriever = new Retriever(Corpus.fromDag(dag), this.#opts.cascade?.() ?? {});
    }
    return this.#retriever;
  }

  /** Typed DAG Retrieval for one sub-goal; cards of the top `cards` tools. */
  async retrieve(goal: SubGoal & { k2?: number; cards?: number }): Promise<Record<string, unknown>> {
    const dag = this.dag();
    let retriever = this.#retrieverFor(dag);
    if (goal.k2 !== undefined && goal.k2 !== retriever.k2) retriever = new Retriever(retriever.corpus, { ...(this.#opts.cascade?.() ?? {}), k2: goal.k2 });
    const sub: SubGoal = { signature: goal.signature, intent: goal.intent, ...(goal.args !== undefined ? { args: goal.args } : {}) };
    const before = this.#opts.llm?.usage.toJSON();
    const r = await retriever.retrieveAsync(sub, { sandbox: this.sandbox, dag });
    const c = retriever.corpus;
    const nCards = goal.cards ?? this.#opts.cards ?? 3;
    const w = r.winner;
    return {
      winner: w ? w.name : null,
      depth: w ? w.depth : null,
      children: w ? w.children : null,
      flat: w ? w.flat : null,
      ranked: Array.from(r.ranked, (v) => c.records[v]!.name),
      cards: Array.from(r.ranked.subarray(0, nCards), (v) => ({ name: c.records[v]!.name, card: flatCard(c.records[v]!) })),
      stages: r.stages.map((s) => ({ stage: s.stage, survivors: s.survivors, tokens: s.tokens, ms: Number(s.ms.toFixed(3)) })),
      tokens: r.tokens,
      flatTokens: r.flatTokens,
      rejected: r.rejected,
      version: dag.version,
      ...(before ? { llmUsage: this.#opts.llm!.usage.since(before) } : {}),
    };
  }

  /** Runs one tool (sandboxed, or through its MCP server when it is remote). */
  async run(name: string, args: unknown[], opts: { timeoutMs?: number; contracts?: boolean; trace?: boolean } = {}): Promise<{ ok: boolean; result?: unknown; error?: { code: string; message: string }; trace?: unknown }> {
    const dag = this.dag();
    const rec = dag.record(name);
    if (!rec) return { ok: false, error: { code: 'ERR_UNKNOWN_TOOL', message: `no tool "${name}" in library version ${dag.version}` } };
    if (rec.remote) {
      const o = await callRemoteTool(rec.remote, args, rec.signature, { timeoutMs: opts.timeoutMs ?? this.#opts.timeoutMs ?? 10_000 });
      return o.ok ? { ok: true, result: o.result } : { ok: false, error: o.error! };
    }
    const o = await runTool(this.sandbox, dag, name, args, {
      trace: opts.trace ?? false,
      contracts: opts.contracts ?? true,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    const out: { ok: boolean; result?: unknown; error?: { code: string; message: string }; trace?: unknown } = { ok: o.ok };
    if (o.ok) out.result = plain(o.result);
    else out.error = { code: o.error!.code, message: o.error!.message };
    if (opts.trace) out.trace = plain(o.trace ?? null);
    return out;
  }

  stats(): Record<string, unknown> {
    return { dir: this.dir, ...this.dag().stats() };
  }

  /**
   * InsertTool on the current version; ADD/MERGE are saved (retried on a concurrent writer's
   * version conflict), REJECT writes nothing. Writes are serialised within this process.
   */
  addTool(candidate: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<InsertDecision> {
    const next = this.#writes.then(async () => {
      const missing = missingField(candidate);
      if (missing) {
        const dag = this.dag();
        const d: InsertDecision = { action: 'REJECT', code: 'ERR_RECORD', reason: `REJECT: ${missing.message}`, tool: typeof candidate.name === 'string' ? candidate.name : '', version: dag, dag, details: { field: missing.field } };
        return d;
      }
      // The store's write protocol: InsertTool runs on HEAD and re-runs on a moved HEAD, so the
      // decision returned is the one committed; a REJECT returns HEAD itself and writes nothing.
      const { value, commit } = await updateLibrary(this.dir, async (head) => {
        const d = await insertTool(head, { origin: 'user', ...candidate }, { sandbox: this.sandbox, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(this.#opts.dedup ? { dedup: this.#opts.dedup } : {}) });
        return { dag: d.action === 'REJECT' ? head : d.version, value: d };
      });
      if (!commit.unchanged) {
        this.#dag = commit.dag;
        this.#retriever = undefined;
      }
      return value;
    });
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.sandbox.close();
  }
}

function ok(value: unknown): CallToolResult {
  const v = plain(value) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(v) }], structuredContent: v };
}

function fail(message: string, extra: Record<string, unknown> = {}): CallToolResult {
  const v = { error: message, ...extra };
  return { isError: true, content: [{ type: 'text', text: message }], structuredContent: plain(v) as Record<string, unknown> };
}

/** Turns a thrown argument/library error into an MCP tool error (bad input is data, not a crash). */
async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CocodaError) return fail(`${e.message} [${e.code}]`, { code: e.code });
    if (e instanceof TypeError || e instanceof RangeError) return fail(e.message, { code: 'ERR_ARGUMENT' });
    throw e;
  }
}

const EXAMPLE = z.object({ args: z.array(z.unknown()), result: z.unknown() });

/** An MCP server exposing `service` (one per session/transport; they share the service). */
export function createMcpServer(service: LibraryService): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '0.1.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'retrieve',
    {
      title: 'Typed DAG Retrieval',
      description:
        'Find the library tool that serves a typed sub-goal: signature "(Tin, ...) -> Tout" plus an intent in words. ' +
        'Returns the winner (with depth, children, flat size), the ranked shortlist with tool cards (signature, description, contracts, examples), ' +
        'and the survivors, prompt tokens and time of every stage (L1 types, L2 descriptions, L3 contracts, L4 examples).',
      inputSchema: {
        signature: z.string().min(1).max(4000).describe('sub-goal signature, e.g. "(float, float) -> float"'),
        intent: z.string().min(1).max(8000).describe('what the step should do'),
        args: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional().describe('argument values (positional array or object by name): candidates run in the sandbox'),
        k2: z.number().int().min(1).max(1024).optional().describe('shortlist size after L2 (default 32)'),
        cards: z.number().int().min(0).max(32).optional().describe('tool cards to return (default 3)'),
      },
      annotations: { readOnlyHint: true },
    },
    (a) => guarded(async () => ok(await service.retrieve(a as SubGoal & { k2?: number; cards?: number }))),
  );
  server.registerTool(
    'run_tool',
    {
      title: 'Run a library tool',
      description: 'Run one tool of the library on positional arguments in the sandbox (time and memory limits, pre/post-conditions checked). Returns {"result"} or an error.',
      inputSchema: {
        name: z.string().min(1).max(512),
        args: z.array(z.unknown()).max(10_000).default([]),
        timeout_ms: z.number().int().min(10).max(60_000).optional(),
        contracts: z.boolean().optional(),
        trace: z.boolean().optional(),
      },
    },
    (a) =>
      guarded(async () => {
        const o = await service.run(a.name, a.args, { ...(a.timeout_ms !== undefined ? { timeoutMs: a.timeout_ms } : {}), ...(a.contracts !== undefined ? { contracts: a.contracts } : {}), ...(a.trace !== undefined ? { trace: a.trace } : {}) });
        if (!o.ok) return fail(`run ${a.name} failed: ${o.error!.message} [${o.error!.code}]`, { code: o.error!.code, ...(o.trace !== undefined ? { trace: o.trace } : {}) });
        return ok({ result: o.result, ...(o.trace !== undefined ? { trace: o.trace } : {}) });
      }),
  );
  server.registerTool(
    'library_stats',
    { title: 'Library statistics', description: 'Tools, primitives, composites, edges, depth and version of the library.', inputSchema: {}, annotations: { readOnlyHint: true } },
    () => guarded(async () => ok(service.stats())),
  );
  server.registerTool(
    'add_tool',
    {
      title: 'Insert a tool (InsertTool)',
      description:
        'Validate a candidate tool by running its examples in the sandbox, then ADD it, MERGE it into a behaviourally equal tool, or REJECT it. ' +
        'Returns {"action","code","reason",...}; only ADD and MERGE change the library.',
      inputSchema: {
        tool: z
          .object({
            name: z.string(),
            signature: z.string(),
            description: z.string(),
            tags: z.array(z.string()),
            pre: z.string(),
            post: z.string(),
            complexity: z.string(),
            conditions: z.string().optional(),
            examples: z.array(EXAMPLE),
            body: z.string().describe('source of one JavaScript function named as the tool'),
          })
          .strict(),
        timeout_ms: z.number().int().min(10).max(60_000).optional(),
      },
    },
    (a) => guarded(async () => ok(decisionJson(await service.addTool(a.tool as Record<string, unknown>, a.timeout_ms !== undefined ? { timeoutMs: a.timeout_ms } : {})))),
  );
  return server;
}

/** Serves `service` on stdin/stdout until the client closes the stream. */
export async function serveMcpStdio(service: LibraryService): Promise<void> {
  const server = createMcpServer(service);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
}

/**
 * Adds `POST/GET/DELETE /mcp` (streamable HTTP, JSON responses) to a fastify app. Sessions: an
 * `initialize` request opens one (its server and transport live until the client sends DELETE,
 * or until it has been idle for `idleMs`; at most `maxSessions`, the least recently used is
 * closed first). With `apiKey`, requests need the bearer key.
 */
export async function mountMcp(app: FastifyInstance, dirOrService: string | LibraryService, opts: { apiKey?: string; maxSessions?: number; idleMs?: number } = {}): Promise<LibraryService> {
  const service = typeof dirOrService === 'string' ? new LibraryService(dirOrService) : dirOrService;
  const maxSessions = opts.maxSessions ?? 4096;
  const idleMs = opts.idleMs ?? 15 * 60_000;
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer; last: number }>();
  const drop = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    void s.transport.close().catch(() => undefined);
    void s.server.close().catch(() => undefined);
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.last > idleMs) drop(id);
  }, Math.min(idleMs, 60_000));
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    for (const id of [...sessions.keys()]) drop(id);
    await service.close();
  });
  const rpcError = (reply: import('fastify').FastifyReply, status: number, code: number, message: string) => reply.code(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
  const handler = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) => {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return rpcError(reply, 401, -32001, 'Missing or invalid API key (send "Authorization: Bearer KEY")');
    const sid = req.headers['mcp-session-id'];
    const id = Array.isArray(sid) ? sid[0] : sid;
    let session = id ? sessions.get(id) : undefined;
    if (id && !session) return rpcError(reply, 404, -32001, `Unknown or expired session "${id}": initialize a new one`);
    if (!session) {
      if (req.method !== 'POST' || !isInitializeRequest(req.body)) return rpcError(reply, 400, -32000, 'Bad request: no mcp-session-id header, and the request is not "initialize"');
      if (sessions.size >= maxSessions) {
        let oldest: string | undefined;
        let at = Infinity;
        for (const [k, s] of sessions) if (s.last < at) ((at = s.last), (oldest = k));
        if (oldest) drop(oldest);
      }
      const server = createMcpServer(service);
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (sessionId) => void sessions.set(sessionId, { transport, server, last: Date.now() }),
        onsessionclosed: (sessionId) => drop(sessionId),
      });
      await server.connect(transport);
      session = { transport, server, last: Date.now() };
    }
    session.last = Date.now();
    reply.hijack();
    await session.transport.handleRequest(req.raw, reply.raw, req.body);
  };
  app.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', handler });
  return service;
}

/** `cocoda mcp DIR --http PORT`: a fastify server with only `/mcp` (and `/health`). */
export async function startMcpHttp(dir: string, opts: { port?: number; host?: string; apiKey?: string; service?: LibraryService; bodyLimit?: number } = {}): Promise<{ app: FastifyInstance; url: string; port: number; service: LibraryService; close(): Promise<void> }> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.apiKey) throw new CocodaError(`refusing to bind ${host} without an API key: pass --api-key KEY (or bind 127.0.0.1)`, 'ERR_SERVE_NO_API_KEY', { host });
  const app = Fastify({ bodyLimit: opts.bodyLimit ?? 4 << 20 });
  const service = await mountMcp(app, opts.service ?? dir, opts.apiKey ? { apiKey: opts.apiKey } : {});
  app.get('/health', async () => ({ status: 'ok', version: service.dag().version }));
  await app.listen({ host, port: opts.port ?? 8001 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8001);
  return { app, port, service, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close: () => app.close() };
}
