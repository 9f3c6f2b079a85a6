/**
 * `cocoda serve [--policy CKPT] [--library DIR] [--host 127.0.0.1] [--port 8000] [--api-key KEY]
 * [--model-name NAME] [--max-batch N] [--max-queue N] [--backend wasm|cpu|tensorflow] [--threads N]`:
 * an OpenAI-compatible server for the policy (docs/protocols.md; docs/serve.md).
 *
 * Without `--policy` it serves an untrained policy of the default size with a byte-level
 * tokenizer (says so on stderr): the text is noise, the protocol is real (for wiring tests).
 * With `--library DIR` the same port also serves that library over MCP (streamable HTTP at
 * `/mcp`, the tools of `cocoda mcp`). Binding anything but loopback needs `--api-key`.
 * The `OPENAI_API_KEY`-style key can also come from `COCODA_SERVE_API_KEY`.
 *
 * Prints one line `cocoda serve: listening on http://HOST:PORT/v1 (model NAME)` on stdout when
 * ready; stops on SIGINT/SIGTERM. Exit codes: 0 after a signal, 1 on a bad option or checkpoint.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { argError } from '../../errors.ts';

function intOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isInteger(n) || n < min || n > max) throw argError('range', name, `an integer in ${min}..${max}`, v);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the policy over an OpenAI-compatible HTTP API (chat completions with continuous batching, embeddings)')
    .option('--policy <ckpt>', 'policy checkpoint directory (default: an untrained policy, for wiring tests)')
    .option('--library <dir>', 'also serve this library over MCP at /mcp (streamable HTTP)')
    .option('--host <host>', 'address to bind (non-loopback needs --api-key)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8000')
    .option('--api-key <key>', 'require "Authorization: Bearer KEY" (default: $COCODA_SERVE_API_KEY)')
    .option('--model-name <name>', 'model id to list and accept (default: the checkpoint directory name)')
    .option('--max-batch <n>', 'most requests decoded together', '32')
    .option('--max-queue <n>', 'most requests waiting to join the batch before 429', '256')
    .option('--backend <name>', 'TensorFlow.js backend: wasm, cpu or tensorflow', 'wasm')
    .option('--threads <n>', 'WASM threads')
    .action(async (o: { policy?: string; library?: string; host: string; port: string; apiKey?: string; modelName?: string; maxBatch: string; maxQueue: string; backend: string; threads?: string }) => {
      const port = intOption('--port', o.port, 0, 65535)!;
      const maxBatch = intOption('--max-batch', o.maxBatch, 1, 4096)!;
      const maxQueue = intOption('--max-queue', o.maxQueue, 1, 1_000_000)!;
      const threads = intOption('--threads', o.threads, 1, 64);
      const apiKey = o.apiKey ?? process.env.COCODA_SERVE_API_KEY;
      const { checkBackendName } = await import('../../policy/backend.ts');
      const backend = checkBackendName(o.backend);
      const { isLoopback, startServer } = await import('../../serve/openai.ts');
      if (!isLoopback(o.host) && !apiKey) throw argError('range', '--api-key', `given to bind ${o.host} (only loopback addresses may be served without a key)`);
      const { createPolicy, fitTokenizer, loadPolicy } = await import('../../policy/index.ts');
      let policy;
      let modelName = o.modelName;
      if (o.policy) {
        policy = await loadPolicy(o.policy, { backend, ...(threads ? { threads } : {}) });
        modelName ??= path.basename(path.resolve(o.policy));
      } else {
        process.stderr.write('cocoda serve: no --policy given: serving an UNTRAINED policy (byte-level tokenizer, default size); its text is noise\n');
        policy = await createPolicy({ backend, ...(threads ? { threads } : {}), tokenizer: fitTokenizer([], { vocabSize: 261 }), seed: 0 });
        modelName ??= 'cocoda-untrained';
      }
      const mcp = o.library ? await import('../../serve/mcp.ts') : undefined;
      const server = await startServer({
        policy, modelName, host: o.host, port, maxBatch, maxQueue, ...(apiKey ? { apiKey } : {}),
        ...(mcp && o.library ? { setup: async (app) => void (await mcp.mountMcp(app, o.library!, apiKey ? { apiKey } : {})) } : {}),
      });
      process.stdout.write(`cocoda serve: listening on ${server.url}/v1 (model ${modelName})${o.library ? `, MCP at ${server.url}/mcp (library ${o.library})` : ''}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      policy.dispose();
    });
}
