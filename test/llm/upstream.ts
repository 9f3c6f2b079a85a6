/**
 * A scripted OpenAI-compatible upstream for the client's failure paths and the roles' happy paths:
 * `answer(body, n)` decides each response (status, JSON or raw text, delay). It records every
 * request body and the largest number of requests in flight. Loopback only.
 */
import Fastify from 'fastify';

export interface Scripted {
  status?: number;
  json?: unknown;
  raw?: string;
  delayMs?: number;
  headers?: Record<string, string>;
}

export interface Upstream {
  url: string;
  requests: Array<{ path: string; body: Record<string, unknown> }>;
  maxInFlight: number;
  close(): Promise<void>;
}

/** A chat.completion body with `content` and usage. */
export function completion(content: string, usage = { prompt_tokens: 11, completion_tokens: 7 }) {
  return {
    id: 'x', object: 'chat.completion', created: 0, model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
  };
}

export async function startUpstream(answer: (body: Record<string, unknown>, n: number, path: string) => Scripted): Promise<Upstream> {
  const app = Fastify();
  const state: Upstream = { url: '', requests: [], maxInFlight: 0, close: () => app.close() };
  let inFlight = 0;
  const handle = async (req: { url: string; body: unknown }, reply: import('fastify').FastifyReply) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const body = req.body as Record<string, unknown>;
    state.requests.push({ path: req.url, body });
    try {
      const s = answer(body, state.requests.length - 1, req.url);
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
      reply.code(s.status ?? 200);
      for (const [k, v] of Object.entries(s.headers ?? {})) reply.header(k, v);
      if (s.raw !== undefined) return reply.type('application/json').send(s.raw);
      return reply.send(s.json ?? {});
    } finally {
      inFlight--;
    }
  };
  app.post('/v1/chat/completions', handle);
  app.post('/v1/embeddings', handle);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  state.url = `http://127.0.0.1:${addr.port}/v1`;
  return state;
}
