/**
 * `cocoda mcp DIR [--http PORT] [--host 127.0.0.1] [--api-key KEY] [--timeout MS]`: serve a library
 * over the Model Context Protocol (docs/mcp.md): stdio by default (stdout is the
 * protocol channel), streamable HTTP at `http://HOST:PORT/mcp` with `--http`. Tools: `retrieve`,
 * `run_tool`, `library_stats`, `add_tool`.
 *
 * `cocoda library import-mcp DIR [--url URL] [--tag TAG]… [--json] [-- COMMAND [ARGS…]]`: start an
 * MCP server (or reach one by URL), read its `tools/list` and import every tool as a remote record;
 * `cocoda run` calls such a tool through MCP. Exit codes: 0; 1 when the server cannot be reached or
 * some tools failed to import (the others are saved); 2 usage error.
 */
import type { Command } from 'commander';
import { CocodaError, argError } from '../../errors.ts';
import { addLlmOptions, llmFromOptions, type LlmCliOptions } from '../llm-options.ts';

const MCP_ROLES = ['l2', 'l3', 'l4', 'embed', 'dedup'];

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10 || n > 600_000) throw argError('range', '--timeout', 'an integer in 10..600000 (ms)', v);
  return n;
}

export function registerMcp(program: Command): void {
  const cmd = program
    .command('mcp')
    .description('serve a library over MCP (stdio, or streamable HTTP with --http): retrieve, run_tool, library_stats, add_tool')
    .argument('<dir>', 'library directory')
    .option('--http <port>', 'serve streamable HTTP at /mcp on this port instead of stdio (0 picks one)')
    .option('--host <host>', 'address to bind with --http (non-loopback needs --api-key)', '127.0.0.1')
    .option('--api-key <key>', 'with --http: require "Authorization: Bearer KEY"')
    .option('--timeout <ms>', 'sandbox wall-time limit per tool call', '2000');
  addLlmOptions(cmd, MCP_ROLES, ['l2', 'l3', 'l4'])
    .action(async (dir: string, o: { http?: string; host: string; apiKey?: string; timeout: string } & LlmCliOptions) => {
      const timeoutMs = parseTimeout(o.timeout);
      const { LibraryService, serveMcpStdio, startMcpHttp } = await import('../../serve/mcp.ts');
      const { closeRemoteClients } = await import('../../serve/mcp-client.ts');
      const endpoint = await llmFromOptions(o, MCP_ROLES, ['l2', 'l3', 'l4']);
      const llmOpts: Record<string, unknown> = {};
      if (endpoint) {
        const { llmStages } = await import('../../llm/retrieval.ts');
        const { llmDedup } = await import('../../llm/library.ts');
        const retrievalRoles = endpoint.roles.filter((r) => r !== 'dedup');
        llmOpts.llm = endpoint.llm;
        llmOpts.cascade = () => llmStages(endpoint.llm, retrievalRoles as never);
        if (endpoint.roles.includes('dedup')) llmOpts.dedup = llmDedup(endpoint.llm);
      }
      const service = new LibraryService(dir, { timeoutMs, ...llmOpts });
      try {
        if (o.http === undefined) {
          await serveMcpStdio(service);
          return;
        }
        if (!/^\d+$/.test(o.http) || Number(o.http) > 65535) throw argError('range', '--http', 'a port number in 0..65535', o.http);
        const server = await startMcpHttp(dir, { port: Number(o.http), host: o.host, service, ...(o.apiKey ? { apiKey: o.apiKey } : {}) });
        process.stdout.write(`cocoda mcp: serving ${dir} (library version ${service.dag().version}) at ${server.url}/mcp\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await server.close();
      } finally {
        await service.close();
        await closeRemoteClients();
      }
    });
}

/** `library import-mcp` (registered under `cocoda library`). */
export function registerImportMcp(library: Command): void {
  library
    .command('import-mcp')
    .description('import every tool of an MCP server as a remote tool: cocoda library import-mcp DIR -- COMMAND [ARGS…] (or --url URL)')
    .argument('<dir>', 'library directory (created if needed)')
    .argument('[command...]', 'after "--": the command that starts the MCP server (stdio) and its arguments')
    .option('--url <url>', 'a streamable-HTTP MCP server instead of a command')
    .option('--tag <tag>', 'add a tag to every imported tool (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--timeout <ms>', 'per-request timeout', '30000')
    .option('--json', 'print {"imported": n, "tools": [names], "failed": [{"tool", "error"}], "server"}')
    .action(async (dir: string, command: string[], o: { url?: string; tag: string[]; timeout: string; json?: boolean }) => {
      const timeoutMs = parseTimeout(o.timeout);
      if ((command.length === 0) === (o.url === undefined)) throw argError('range', 'COMMAND', 'given after "--" (a stdio MCP server), or --url, but not both');
      const { importMcpTools } = await import('../../serve/mcp-client.ts');
      const { isLibraryDir, openOrInitLibrary, updateLibrary } = await import('../../library/store.ts');
      const { warnFallbacks } = await import('./library.ts');
      const ep = o.url !== undefined ? { url: o.url } : { command: command[0]!, args: command.slice(1) };
      const res = await importMcpTools(ep, { timeoutMs, tags: o.tag });
      if (!isLibraryDir(dir)) openOrInitLibrary(dir);
      let failed: Array<{ tool: string; error: string }> = [];
      let imported: string[] = [];
      const { commit } = await updateLibrary(
        dir,
        (head) => {
          let dag = head;
          failed = res.failed.map((f) => ({ tool: f.tool, error: f.error.message }));
          imported = [];
          for (const rec of res.records) {
            try {
              dag = dag.has(rec.name) ? dag.replace(rec) : dag.add(rec);
              imported.push(rec.name);
            } catch (e) {
              if (e instanceof CocodaError || e instanceof TypeError || e instanceof RangeError) failed.push({ tool: rec.name, error: e.message });
              else throw e;
            }
          }
          return { dag, value: undefined };
        },
        { onOpen: (opened, attempt) => attempt === 1 && warnFallbacks(opened) },
      );
      const dag = commit.dag;
      if (o.json) process.stdout.write(JSON.stringify({ imported: imported.length, tools: imported, failed, server: res.server ?? null }) + '\n');
      else {
        process.stdout.write(`imported ${imported.length} remote tool${imported.length === 1 ? '' : 's'} from ${res.server ? `${res.server.name} ${res.server.version}` : 'the MCP server'} into ${dir} (library version ${dag.version})\n`);
        for (const f of failed) process.stdout.write(`  failed ${f.tool}: ${f.error}\n`);
      }
      if (failed.length > 0) process.exitCode = 1;
    });
}
