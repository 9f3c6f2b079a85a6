/**
 * The `--llm-*` options shared by commands whose roles an OpenAI-compatible endpoint can play
 * (docs/llm.md). Without `--llm-base-url` (or `OPENAI_BASE_URL`) every
 * role stays embedded.
 *
 *   --llm-base-url URL      e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp, Ollama, cocoda serve)
 *   --llm-model NAME        chat model (or COCODA_LLM_MODEL)
 *   --llm-embedding-model NAME   for the `embed` role (default: --llm-model)
 *   --llm-roles LIST        which roles the endpoint plays (comma-separated; default per command)
 *   --llm-timeout MS  --llm-retries N  --llm-concurrency N
 * The key comes from OPENAI_API_KEY.
 */
import type { Command } from 'commander';
import { argError } from '../errors.ts';
import type { LlmClient } from '../llm/client.ts';

export interface LlmCliOptions {
  llmBaseUrl?: string;
  llmModel?: string;
  llmEmbeddingModel?: string;
  llmRoles?: string;
  llmTimeout?: string;
  llmRetries?: string;
  llmConcurrency?: string;
}

/** Adds the `--llm-*` options; `roles` are the roles this command has, `defaults` those used when none are named. */
export function addLlmOptions(cmd: Command, roles: readonly string[], defaults: readonly string[]): Command {
  return cmd
    .option('--llm-base-url <url>', 'OpenAI-compatible endpoint for the LLM-backed roles (default: $OPENAI_BASE_URL; none = embedded roles)')
    .option('--llm-model <name>', 'chat model name on that endpoint (default: $COCODA_LLM_MODEL)')
    .option('--llm-embedding-model <name>', 'embedding model name (default: --llm-model)')
    .option('--llm-roles <list>', `roles the endpoint plays: ${roles.join(',')} (default ${defaults.join(',')})`)
    .option('--llm-timeout <ms>', 'per-request timeout', '60000')
    .option('--llm-retries <n>', 'retries of a failed request / re-asks of a malformed answer', '3')
    .option('--llm-concurrency <n>', 'requests in flight at once', '4');
}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(v) || Number(v) < min) throw argError('range', name, `an integer ≥ ${min}`, v);
  return Number(v);
}

/** The client and the roles it plays, or undefined when no endpoint is configured. */
export async function llmFromOptions(o: LlmCliOptions, roles: readonly string[], defaults: readonly string[]): Promise<{ llm: LlmClient; roles: string[] } | undefined> {
  // No endpoint: do not load the client (and the openai package) at all — it costs a cold start.
  if (!o.llmBaseUrl && !process.env.OPENAI_BASE_URL && !o.llmRoles && !o.llmModel) return undefined;
  const { LlmClient, llmConfigFromEnv } = await import('../llm/client.ts');
  const cfg = llmConfigFromEnv({
    ...(o.llmBaseUrl ? { baseURL: o.llmBaseUrl } : {}),
    ...(o.llmModel ? { model: o.llmModel } : {}),
    ...(o.llmEmbeddingModel ? { embeddingModel: o.llmEmbeddingModel } : {}),
  });
  if (!cfg) {
    if (o.llmRoles || o.llmModel) throw argError('range', '--llm-base-url', 'given (or OPENAI_BASE_URL set) with --llm-roles / --llm-model');
    return undefined;
  }
  const timeoutMs = int('--llm-timeout', o.llmTimeout, 1);
  const maxRetries = int('--llm-retries', o.llmRetries, 0);
  const concurrency = int('--llm-concurrency', o.llmConcurrency, 1);
  const picked = o.llmRoles ? o.llmRoles.split(',').map((s) => s.trim()).filter(Boolean) : [...defaults];
  for (const r of picked) if (!roles.includes(r)) throw argError('range', '--llm-roles', `names from ${roles.join(', ')}`, r);
  const llm = new LlmClient({ ...cfg, ...(timeoutMs ? { timeoutMs } : {}), ...(maxRetries !== undefined ? { maxRetries } : {}), ...(concurrency ? { concurrency } : {}) });
  return { llm, roles: picked };
}
