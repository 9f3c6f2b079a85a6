/**
 * Load on the protocol servers, loopback only, bounded in count and time: a real `cocoda serve`
 * (and a real `cocoda mcp DIR --http`) child process, driven first by one client, then by N
 * concurrent clients, each sending its next request as soon as the previous one answered.
 *
 * * serve: `POST /v1/chat/completions` (the untrained default-size policy unless `--policy`),
 *   `max_tokens` fixed, sampling at temperature 1 with a fresh seed per request — requests/s,
 *   p50/p99 latency, completion tokens/s (server-reported usage) against one client, mean batch.
 * * mcp: `retrieve` calls through the SDK's own client (streamable HTTP), over the DepthBench
 *   + xLAM library (4,374 schemas + the primitives) — requests/s, p50/p99 against one client.
 *
 * Every request counts: an HTTP error, a refused connection, a tool error or a request still
 * unanswered at the end is a failure. The children are stopped when the run ends.
 *
 *   node bin/cocoda.mjs bench load [--target serve|mcp|both] [--clients 64] [--seconds 30]
 *     [--single-seconds 10] [--max-tokens 64] [--policy CKPT] [--json] [--no-write]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { argError } from '../src/errors.ts';
import { packageRoot } from '../src/native/loader.ts';

export interface LoadPhase {
  clients: number;
  seconds: number;
  requests: number;
  failed: number;
  /** Requests sent but not answered when the phase ended (counted in `failed` too). */
  unanswered: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** serve: completion tokens per second (server-reported usage). */
  tokensPerSec?: number;
  /** First few failure messages. */
  errors: string[];
}

export interface LoadResult {
  target: 'serve' | 'mcp';
  single: LoadPhase;
  concurrent: LoadPhase;
  /** concurrent / single. */
  throughputRatio: number;
  tokensRatio?: number;
  /** serve: mean rows per decode step over the concurrent phase. */
  meanBatch?: number;
  setup: Record<string, unknown>;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `clients` loops of `one()` for `seconds`; a request still running at the end counts as unanswered. */
type Outcome = { ok: boolean; tokens?: number; error?: string };

async function drive(clients: number, seconds: number, one: (client: number, i: number) => Promise<Outcome>): Promise<LoadPhase> {
  const lat: number[] = [];
  let failed = 0;
  let tokens = 0;
  let unanswered = 0;
  const errors: string[] = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const t = performance.now();
      let settled = false;
      const p: Promise<Outcome> = one(c, i).then(
        (r) => ((settled = true), r),
        (e: Error) => ((settled = true), { ok: false, error: e.message }),
      );
      // A request may not outlive the phase by more than 60 s.
      const r = await Promise.race([p, new Promise<null>((res) => setTimeout(() => res(null), Math.max(0, deadline - performance.now()) + 60_000))]);
      if (r === null || !settled) {
        unanswered++;
        failed++;
        break;
      }
      if (r.ok) {
        lat.push(performance.now() - t);
        tokens += r.tokens ?? 0;
      } else {
        failed++;
        if (errors.length < 5 && r.error) errors.push(r.error);
      }
    }
  });
  await Promise.all(loops);
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return {
    clients,
    seconds: Number(wall.toFixed(2)),
    requests: lat.length,
    failed,
    unanswered,
    requestsPerSec: lat.length / wall,
    p50Ms: pct(lat, 50),
    p99Ms: pct(lat, 99),
    ...(tokens > 0 ? { tokensPerSec: tokens / wall } : {}),
    errors,
  };
}

/** Starts a `cocoda` child and resolves with the URL it prints. */
function startChild(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'cocoda.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`cocoda ${args.join(' ')} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

export interface LoadOptions {
  clients?: number;
  seconds?: number;
  singleSeconds?: number;
  maxTokens?: number;
  policy?: string;
  log?: (line: string) => void;
}

export async function runServeLoad(o: LoadOptions = {}): Promise<LoadResult> {
  const clients = o.clients ?? 64;
  const maxTokens = o.maxTokens ?? 64;
  const args = ['serve', '--port', '0', '--max-batch', String(Math.max(1, clients)), '--max-queue', String(Math.max(256, clients * 2))];
  if (o.policy) args.push('--policy', o.policy);
  const { child, url } = await startChild(args, /listening on (http:\/\/\S+)\/v1/);
  try {
    const model = ((await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data[0]!.id;
    const one = async (c: number, i: number): Promise<Outcome> => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: `Compute the total cost of order ${c}-${i}.` }], max_tokens: maxTokens, temperature: 1, seed: c * 100_000 + i }),
      });
      if (res.status !== 200) return { ok: false, error: `HTTP ${res.status}: ${(await res.text()).slice(0, 120)}` };
      const j = (await res.json()) as { usage: { completion_tokens: number } };
      return { ok: true, tokens: j.usage.completion_tokens };
    };
    await drive(1, 2, one); // warm-up (kernels, caches)
    o.log?.(`serve: one client for ${o.singleSeconds ?? 10} s …`);
    const single = await drive(1, o.singleSeconds ?? 10, one);
    const before = (await (await fetch(`${url}/health`)).json()) as { steps: number; tokens: number };
    o.log?.(`serve: ${clients} clients for ${o.seconds ?? 30} s …`);
    const concurrent = await drive(clients, o.seconds ?? 30, one);
    const after = (await (await fetch(`${url}/health`)).json()) as { steps: number; tokens: number };
    return {
      target: 'serve',
      single,
      concurrent,
      throughputRatio: concurrent.requestsPerSec / single.requestsPerSec,
      tokensRatio: (concurrent.tokensPerSec ?? 0) / (single.tokensPerSec ?? 1),
      meanBatch: (after.tokens - before.tokens) / Math.max(1, after.steps - before.steps),
      setup: { model, maxTokens, policy: o.policy ?? 'untrained default size (DEFAULT_CONFIG)', maxBatch: clients },
    };
  } finally {
    await stopChild(child);
  }
}

const MCP_GOALS = [
  { signature: '(float, float) -> float', intent: 'add two numbers' },
  { signature: '(str) -> ?', intent: 'get the current weather for a city' },
  { signature: '(str, str) -> ?', intent: 'search for a book by title and author' },
  { signature: '(list[float]) -> float', intent: 'average of a list of numbers' },
  { signature: '(str) -> ?', intent: 'translate a sentence into French' },
  { signature: '(str, int) -> ?', intent: 'find restaurants near a location with a result limit' },
];

export async function runMcpLoad(o: LoadOptions = {}): Promise<LoadResult> {
  const clients = o.clients ?? 64;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-load-'));
  const lib = path.join(tmp, 'lib');
  try {
    const { initLibrary, updateLibrary } = await import('../src/library/store.ts');
    const { importSchemasInto } = await import('../src/library/import-schema.ts');
    const { seedRecords } = await import('../src/primitives/index.ts');
    const { depthbenchFile } = await import('../src/library/depthbench.ts');
    const { readFileSync } = await import('node:fs');
    initLibrary(lib, { records: seedRecords() });
    await updateLibrary(lib, (head) => {
      let dag = head;
      for (const [file, tag] of [['tools.json', 'depthbench'], ['xlam_tools.json', 'xlam']] as const) dag = importSchemasInto(dag, JSON.parse(readFileSync(depthbenchFile(file), 'utf8')), { tags: [tag] }).dag;
      return { dag, value: undefined };
    });
    const { child, url } = await startChild(['mcp', lib, '--http', '0'], /at (http:\/\/\S+)\/mcp/);
    try {
      const pool: Client[] = [];
      for (let c = 0; c < clients; c++) {
        const cl = new Client({ name: `load-${c}`, version: '1' });
        await cl.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
        pool.push(cl);
      }
      const stats = (await pool[0]!.callTool({ name: 'library_stats', arguments: {} })) as unknown as { structuredContent: { tools: number } };
      const one = async (c: number, i: number): Promise<Outcome> => {
        const g = MCP_GOALS[(c + i) % MCP_GOALS.length]!;
        const r = (await pool[c]!.callTool({ name: 'retrieve', arguments: { ...g, cards: 1 } }, undefined, { timeout: 60_000 })) as { isError?: boolean; content: Array<{ text?: string }> };
        return r.isError ? { ok: false, error: r.content[0]?.text ?? 'tool error' } : { ok: true };
      };
      await drive(1, 2, one);
      o.log?.(`mcp: one client for ${o.singleSeconds ?? 10} s …`);
      const single = await drive(1, o.singleSeconds ?? 10, one);
      o.log?.(`mcp: ${clients} clients for ${o.seconds ?? 30} s …`);
      const concurrent = await drive(clients, o.seconds ?? 30, one);
      await Promise.all(pool.map((c) => c.close()));
      return { target: 'mcp', single, concurrent, throughputRatio: concurrent.requestsPerSec / single.requestsPerSec, setup: { tools: stats.structuredContent.tools, tool: 'retrieve', goals: MCP_GOALS.length } };
    } finally {
      await stopChild(child);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

export function formatLoad(results: LoadResult[]): string {
  const lines = [`load on loopback (${os.cpus().length} cores; figures on a shared machine vary — ratios are from one run)`];
  lines.push('target  clients  seconds  requests  failed  req/s     p50 ms    p99 ms    tok/s');
  for (const r of results) {
    for (const p of [r.single, r.concurrent]) {
      lines.push(`${r.target.padEnd(6)}  ${String(p.clients).padStart(7)}  ${f(p.seconds).padStart(7)}  ${String(p.requests).padStart(8)}  ${String(p.failed).padStart(6)}  ${f(p.requestsPerSec).padStart(8)}  ${f(p.p50Ms).padStart(8)}  ${f(p.p99Ms).padStart(8)}  ${f(p.tokensPerSec).padStart(7)}`);
    }
    lines.push(`  ${r.target}: ${r.concurrent.clients} clients = ${f(r.throughputRatio, 2)}× the requests/s of one${r.tokensRatio !== undefined ? `, ${f(r.tokensRatio, 2)}× its tokens/s, mean batch ${f(r.meanBatch, 1)} rows/step` : ''}; ${JSON.stringify(r.setup)}`);
    for (const e of [...r.single.errors, ...r.concurrent.errors]) lines.push(`  error: ${e}`);
  }
  return lines.join('\n');
}

export function registerLoadBench(bench: Command): void {
  bench
    .command('load')
    .description('N concurrent clients vs one against a real `cocoda serve` and `cocoda mcp --http` (loopback): req/s, p50/p99, tokens/s, failures')
    .option('--target <t>', 'serve, mcp or both', 'both')
    .option('--clients <n>', 'concurrent clients', '64')
    .option('--seconds <s>', 'length of the concurrent phase', '30')
    .option('--single-seconds <s>', 'length of the one-client phase', '10')
    .option('--max-tokens <n>', 'serve: max_tokens per request', '64')
    .option('--policy <ckpt>', 'serve: a policy checkpoint (default: untrained, default size)')
    .option('--json', 'print JSON')
    .option('--no-write', 'do not write bench/results/load.json')
    .action(async (o: { target: string; clients: string; seconds: string; singleSeconds: string; maxTokens: string; policy?: string; json?: boolean; write: boolean }) => {
      if (!['serve', 'mcp', 'both'].includes(o.target)) throw argError('range', '--target', 'serve, mcp or both', o.target);
      const num = (name: string, v: string, min: number, max: number) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < min || n > max) throw argError('range', name, `a number in ${min}..${max}`, v);
        return n;
      };
      const opts: LoadOptions = {
        clients: Math.round(num('--clients', o.clients, 1, 1024)),
        seconds: num('--seconds', o.seconds, 1, 600),
        singleSeconds: num('--single-seconds', o.singleSeconds, 1, 600),
        maxTokens: Math.round(num('--max-tokens', o.maxTokens, 1, 4096)),
        ...(o.policy ? { policy: o.policy } : {}),
        log: (l) => process.stderr.write(l + '\n'),
      };
      const results: LoadResult[] = [];
      if (o.target !== 'mcp') results.push(await runServeLoad(opts));
      if (o.target !== 'serve') results.push(await runMcpLoad(opts));
      if (o.write) {
        const dir = path.join(packageRoot, 'bench', 'results');
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'load.json'), JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, results }, null, 2) + '\n');
      }
      process.stdout.write((o.json ? JSON.stringify({ results }) : formatLoad(results)) + '\n');
      if (results.some((r) => r.single.failed + r.concurrent.failed > 0)) process.exitCode = 1;
    });
}
