/** `cocoda serve` as a real process: ready line, OpenAI routes, MCP at /mcp with --library, clean stop. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolDag } from '../../src/library/dag.ts';
import { initLibrary, saveLibrary } from '../../src/library/store.ts';
import { seedRecords } from '../../src/primitives/index.ts';
import { BIN } from '../helpers/cli.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-serve-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cocoda serve (process)', () => {
  it('serves chat completions and the library over MCP on one port, stops on SIGTERM', async () => {
    const lib = path.join(tmp, 'lib');
    initLibrary(lib);
    saveLibrary(lib, ToolDag.fromRecords(seedRecords()));
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--library', lib, '--max-batch', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/[^\s]+)\/v1/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    try {
      expect(stderr).toMatch(/UNTRAINED/);
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data[0]!.id).toBe('cocoda-untrained');
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 }) });
      expect(((await r.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBeGreaterThan(0);
      const client = new Client({ name: 't', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
      const out = (await client.callTool({ name: 'run_tool', arguments: { name: 'add', args: [1, 2] } })) as { structuredContent: unknown };
      expect(out.structuredContent).toEqual({ result: 3 });
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });

  it('refuses a non-loopback bind without --api-key (exit 1, names the option)', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--api-key/);
  });
});
