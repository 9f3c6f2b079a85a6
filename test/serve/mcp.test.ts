/**
 * `cocoda mcp` and `cocoda library import-mcp`, driven by the SDK's own client over real
 * transports: streamable HTTP (in-process server) and stdio (spawned `cocoda mcp`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolDag } from '../../src/library/dag.ts';
import { headVersion, initLibrary, openLibrary, saveLibrary } from '../../src/library/store.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { startMcpHttp } from '../../src/serve/mcp.ts';
import { closeRemoteClients } from '../../src/serve/mcp-client.ts';
import { BIN, cocoda as spawnCocoda } from '../helpers/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
let tmp: string;
let lib: string;

const cocoda = (...args: string[]) => spawnCocoda(args, { cwd: tmp, timeoutMs: 60_000 });

function newLib(name: string): string {
  const dir = path.join(tmp, name);
  initLibrary(dir);
  saveLibrary(dir, ToolDag.fromRecords(seedRecords()));
  return dir;
}

const TWICE_ADD = {
  name: 'twice_add',
  signature: '(a: float, b: float) -> float',
  description: 'Twice the sum of two numbers.',
  tags: ['arithmetic'],
  pre: 'Number.isFinite(a) && Number.isFinite(b)',
  post: 'result === 2 * (a + b)',
  complexity: 'O(1)',
  examples: [{ args: [1, 2], result: 6 }],
  body: 'function twice_add(a, b) { return mul(2, add(a, b)); }',
};

type Result = { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }> };

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-mcp-'));
  lib = newLib('lib');
});
afterAll(async () => {
  await closeRemoteClients();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cocoda mcp over streamable HTTP (SDK client)', () => {
  let server: Awaited<ReturnType<typeof startMcpHttp>>;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;

  beforeAll(async () => {
    server = await startMcpHttp(lib, { port: 0 });
    client = new Client({ name: 'test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('lists the four tools with input schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add_tool', 'library_stats', 'retrieve', 'run_tool']);
    const retrieve = tools.find((t) => t.name === 'retrieve')!;
    expect(retrieve.inputSchema.required).toEqual(['signature', 'intent']);
  });

  it('retrieve: winner, cards and per-stage tokens', async () => {
    const r = await call('retrieve', { signature: '(float, float) -> float', intent: 'add two numbers' });
    expect(r.isError).toBeFalsy();
    const s = r.structuredContent!;
    expect(s.winner).toBe('add');
    expect((s.stages as Array<{ stage: string; tokens: number }>).map((x) => x.stage)).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect((s.stages as Array<{ tokens: number }>)[0]!.tokens).toBe(0);
    expect(s.tokens).toBeGreaterThan(0);
    expect(s.tokens as number).toBeLessThan(s.flatTokens as number);
    const cards = s.cards as Array<{ name: string; card: string }>;
    expect(cards[0]!.name).toBe('add');
    expect(cards[0]!.card).toMatch(/^add :: /);
    const bad = await call('retrieve', { signature: '(float, -> float', intent: 'x' });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toMatch(/signature/);
  });

  it('run_tool: results, failures as tool errors, limits as cocoda run', async () => {
    const r = await call('run_tool', { name: 'add', args: [2, 3] });
    expect(r.structuredContent).toEqual({ result: 5 });
    const unknown = await call('run_tool', { name: 'nope', args: [] });
    expect(unknown.isError).toBe(true);
    expect(unknown.structuredContent!.code).toBe('ERR_UNKNOWN_TOOL');
    const pre = await call('run_tool', { name: 'div', args: [1, 0] });
    expect(pre.isError).toBe(true);
    expect(pre.content[0]!.text).toMatch(/ERR_PRE_VIOLATED|ERR_EXEC/);
  });

  it('add_tool: ADD writes a new version, MERGE appends, REJECT writes nothing; stats follow', async () => {
    const before = headVersion(lib)!;
    const stats0 = (await call('library_stats', {})).structuredContent!;
    const add = (await call('add_tool', { tool: TWICE_ADD })).structuredContent!;
    expect(add.action).toBe('ADD');
    expect(headVersion(lib)).toBe(before + 1);
    expect(openLibrary(lib).dag.has('twice_add')).toBe(true);
    const stats1 = (await call('library_stats', {})).structuredContent!;
    expect(stats1.tools).toBe((stats0.tools as number) + 1);
    const merge = (await call('add_tool', { tool: { ...TWICE_ADD, name: 'double_sum', examples: [{ args: [2, 2], result: 8 }], body: 'function double_sum(a, b) { return mul(2, add(a, b)); }' } })).structuredContent!;
    expect(merge.action).toBe('MERGE');
    expect(merge.mergedInto).toBe('twice_add');
    const v = headVersion(lib);
    const files = readFileSync(path.join(lib, 'HEAD'), 'utf8');
    const reject = (await call('add_tool', { tool: { ...TWICE_ADD, name: 'bad_sum', examples: [{ args: [1, 2], result: 7 }], body: 'function bad_sum(a, b) { return mul(2, add(a, b)); }' } })).structuredContent!;
    expect(reject.action).toBe('REJECT');
    expect(reject.code).toBe('ERR_EXAMPLE_MISMATCH');
    const cyc = (await call('add_tool', { tool: { ...TWICE_ADD, name: 'loop_sum', body: 'function loop_sum(a, b) { return loop_sum(a, b); }' } })).structuredContent!;
    expect(cyc.action).toBe('REJECT');
    expect(headVersion(lib)).toBe(v);
    expect(readFileSync(path.join(lib, 'HEAD'), 'utf8')).toBe(files);
    // A field of the wrong type is refused by the schema before anything runs.
    await expect(client.callTool({ name: 'add_tool', arguments: { tool: { ...TWICE_ADD, examples: 'many' } } }).then((x) => (x as Result).isError)).resolves.toBe(true);
  });

  it('sessions: a request without one must initialize; an unknown session is 404', async () => {
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    expect((await post({}, list)).status).toBe(400);
    expect((await post({ 'mcp-session-id': 'nope' }, list)).status).toBe(404);
    expect((await post({}, { nonsense: true })).status).toBe(400);
  });

  it('sees versions written by another process', async () => {
    const dag = openLibrary(lib).dag;
    saveLibrary(lib, dag.add({ name: 'triple', signature: '(x: float) -> float', description: 'Three times x.', examples: [{ args: [2], result: 6 }], body: 'function triple(x) { return mul(3, x); }', origin: 'user' }));
    const r = await call('run_tool', { name: 'triple', args: [5] });
    expect(r.structuredContent).toEqual({ result: 15 });
  });
});

describe('cocoda mcp over stdio and library import-mcp (real processes)', () => {
  it('the SDK client drives a spawned `cocoda mcp DIR`', async () => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', lib], stderr: 'pipe' }));
    try {
      const r = (await client.callTool({ name: 'run_tool', arguments: { name: 'mul', args: [6, 7] } })) as Result;
      expect(r.structuredContent).toEqual({ result: 42 });
    } finally {
      await client.close();
    }
  });

  it('imports an SDK example-style server and runs its tools through MCP', () => {
    const dir = path.join(tmp, 'remote-lib');
    const server = path.join(ROOT, 'test', 'serve', 'fixtures', 'example-mcp-server.mjs');
    const imp = cocoda('library', 'import-mcp', dir, '--json', '--', process.execPath, server);
    expect(imp.code, imp.stderr).toBe(0);
    const j = JSON.parse(imp.stdout);
    expect(j.imported).toBe(3);
    expect(j.server).toEqual({ name: 'example-server', version: '1.0.0' });
    const show = JSON.parse(cocoda('library', 'show', dir, 'add', '--json').stdout);
    expect(show.signature).toBe('(a: float, b: float) -> {result: float}');
    expect(show.origin).toBe('imported');
    expect(show.remote).toMatchObject({ protocol: 'mcp', tool: 'add', params: ['a', 'b'], command: process.execPath });
    const run = cocoda('run', dir, 'add', '[2, 3]', '--timeout', '20000');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ result: 5 });
    const shout = cocoda('run', dir, 'shout', '["hi", 2]', '--timeout', '20000');
    expect(JSON.parse(shout.stdout)).toBe('HIHI');
    const fail = cocoda('run', dir, 'fail', '[]', '--timeout', '20000');
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/nope \[ERR_REMOTE_TOOL\]/);
  });

  it("imports the project's own MCP server; its run_tool works through the imported record", () => {
    const dir = path.join(tmp, 'meta-lib');
    const imp = cocoda('library', 'import-mcp', dir, '--json', '--', process.execPath, BIN, 'mcp', lib);
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout).tools.sort()).toEqual(['add_tool', 'library_stats', 'retrieve', 'run_tool']);
    const run = cocoda('run', dir, 'run_tool', '["add", [20, 22]]', '--timeout', '30000');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ result: 42 });
    const bad = cocoda('library', 'import-mcp', dir, '--', process.execPath, '-e', 'process.exit(3)');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/cannot connect to the MCP server/);
  });
});
