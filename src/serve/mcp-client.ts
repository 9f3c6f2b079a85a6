/**
 * The MCP client side: import another MCP server's tools into a library (`cocoda library
 * import-mcp DIR -- COMMAND [ARGS…]`) and call such remote tools (`cocoda run`, the `run_tool` of
 * `cocoda mcp`). Uses the SDK's own `Client` with the stdio or streamable-HTTP transport.
 *
 * Import: `tools/list` (every page) → one record per tool: the `inputSchema` (and `outputSchema`)
 * become L1 through the JSON-Schema importer (`library import`'s mapping), the description L2,
 * origin `imported`, tag `mcp`, and `remote` = where to call it. Calls map cocoda's positional
 * arguments to the MCP argument object by the recorded parameter names; the result is the
 * `structuredContent` when the server gives one, else the text content parsed as JSON when it is
 * JSON, else the text.
 *
 * @example
 * ```ts
 * const { records, failed } = await importMcpTools({ command: 'cocoda', args: ['mcp', 'other-lib'] });
 * const out = await callRemoteTool(records[0]!.remote!, [1, 2], records[0]!.signature);
 * ```
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CocodaError } from '../errors.ts';
import { schemaToRecord, type ImportFailure } from '../library/import-schema.ts';
import type { RemoteTool, ToolRecord } from '../library/record.ts';

/** Where an MCP server is: a command to start (stdio) or a URL (streamable HTTP). */
export type McpEndpoint = { command: string; args?: string[]; env?: Record<string, string> } | { url: string; headers?: Record<string, string> };

export interface McpConnectOptions {
  /** Per-request timeout (ms, default 30 000). */
  timeoutMs?: number;
}

function transportFor(ep: McpEndpoint): Transport {
  if ('url' in ep) {
    let url: URL;
    try {
      url = new URL(ep.url);
    } catch {
      throw new CocodaError(`not a URL: "${ep.url}"`, 'ERR_MCP_CONNECT', { url: ep.url });
    }
    return new StreamableHTTPClientTransport(url, ep.headers ? { requestInit: { headers: ep.headers } } : {});
  }
  return new StdioClientTransport({ command: ep.command, args: ep.args ?? [], stderr: 'pipe', ...(ep.env ? { env: { ...process.env, ...ep.env } as Record<string, string> } : {}) });
}

function describe(ep: McpEndpoint): string {
  return 'url' in ep ? ep.url : [ep.command, ...(ep.args ?? [])].join(' ');
}

/** Connects the SDK client to an MCP server (starting it, for a command). */
export async function connectMcp(ep: McpEndpoint, opts: McpConnectOptions = {}): Promise<Client> {
  const client = new Client({ name: 'cocoda', version: '0.1.0' });
  const transport = transportFor(ep);
  let stderr = '';
  if (transport instanceof StdioClientTransport) {
    transport.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
  }
  try {
    await client.connect(transport, { timeout: opts.timeoutMs ?? 30_000 });
  } catch (e) {
    await client.close().catch(() => undefined);
    const tail = stderr.trim() ? `; its stderr: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : '';
    throw new CocodaError(`cannot connect to the MCP server "${describe(ep)}": ${(e as Error).message}${tail}`, 'ERR_MCP_CONNECT', { endpoint: describe(ep) });
  }
  return client;
}

export interface McpImportResult {
  records: ToolRecord[];
  failed: ImportFailure[];
  /** The server's name and version from the handshake. */
  server: { name: string; version: string } | undefined;
}

/**
 * Lists the tools of an MCP server and converts each to a remote record (see the module comment).
 * A tool whose schema cannot be mapped lands in `failed` with the reason.
 */
export async function importMcpTools(ep: McpEndpoint, opts: McpConnectOptions & { tags?: string[] } = {}): Promise<McpImportResult> {
  const client = await connectMcp(ep, opts);
  try {
    const tools: Array<{ name: string; description?: string; inputSchema: unknown; outputSchema?: unknown }> = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const r = await client.listTools(cursor ? { cursor } : {}, { timeout: opts.timeoutMs ?? 30_000 });
      tools.push(...(r.tools as typeof tools));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    const records: ToolRecord[] = [];
    const failed: ImportFailure[] = [];
    for (const t of tools) {
      try {
        const spec: Record<string, unknown> = { name: t.name, description: t.description ?? '', parameters: t.inputSchema ?? { type: 'object', properties: {} } };
        if (t.outputSchema !== undefined) spec.returns = t.outputSchema;
        const rec = schemaToRecord(spec, { tags: ['mcp', ...(opts.tags ?? [])] });
        const props = (t.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
        const remote: RemoteTool = { protocol: 'mcp', tool: t.name, params: Object.keys(props) };
        if ('url' in ep) remote.url = ep.url;
        else {
          remote.command = ep.command;
          remote.args = [...(ep.args ?? [])];
        }
        rec.remote = remote;
        records.push(rec);
      } catch (e) {
        if (e instanceof CocodaError || e instanceof TypeError || e instanceof RangeError) failed.push({ tool: t.name, error: e });
        else throw e;
      }
    }
    const info = client.getServerVersion();
    return { records, failed, server: info ? { name: info.name, version: info.version } : undefined };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Clients of remote servers kept open between calls (one per endpoint). */
const pool = new Map<string, Promise<Client>>();

function endpointOf(r: RemoteTool): McpEndpoint {
  return r.url !== undefined ? { url: r.url } : { command: r.command!, args: r.args ?? [] };
}

/** Outcome of a remote call, shaped like a sandbox outcome. */
export interface RemoteOutcome {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

/** The value of an MCP tool result (see the module comment). */
export function resultValue(r: { structuredContent?: unknown; content?: unknown }): unknown {
  if (r.structuredContent !== undefined && r.structuredContent !== null) return r.structuredContent;
  const content = Array.isArray(r.content) ? (r.content as Array<{ type: string; text?: string }>) : [];
  const texts = content.filter((c) => c.type === 'text').map((c) => c.text ?? '');
  if (texts.length === 0) return content;
  const text = texts.join('');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Calls a remote tool with positional `args` (mapped to its parameter names). Connections are
 * pooled per endpoint until {@link closeRemoteClients}. Never throws for a failed call.
 */
export async function callRemoteTool(remote: RemoteTool, args: unknown[], _signature: string, opts: { timeoutMs?: number; keepAlive?: boolean } = {}): Promise<RemoteOutcome> {
  if (args.length > remote.params.length) {
    return { ok: false, error: { code: 'ERR_ARITY', message: `${remote.tool} takes ${remote.params.length} argument(s) (${remote.params.join(', ')}), got ${args.length}` } };
  }
  const obj: Record<string, unknown> = {};
  args.forEach((a, i) => {
    if (a !== undefined && a !== null) obj[remote.params[i]!] = a;
  });
  const ep = endpointOf(remote);
  const key = JSON.stringify(ep);
  const keep = opts.keepAlive ?? true;
  let clientP = keep ? pool.get(key) : undefined;
  if (!clientP) {
    clientP = connectMcp(ep);
    if (keep) {
      pool.set(key, clientP);
      clientP.catch(() => pool.delete(key));
    }
  }
  let client: Client;
  try {
    client = await clientP;
  } catch (e) {
    return { ok: false, error: { code: (e as CocodaError).code ?? 'ERR_MCP_CONNECT', message: (e as Error).message } };
  }
  try {
    const r = await client.callTool({ name: remote.tool, arguments: obj }, undefined, { timeout: opts.timeoutMs ?? 30_000 });
    const value = resultValue(r as { structuredContent?: unknown; content?: unknown });
    if (r.isError) return { ok: false, error: { code: 'ERR_REMOTE_TOOL', message: typeof value === 'string' ? value : JSON.stringify(value) } };
    return { ok: true, result: value };
  } catch (e) {
    // A broken connection is dropped from the pool so the next call reconnects.
    if (keep) pool.delete(key);
    await client.close().catch(() => undefined);
    const msg = (e as Error).message;
    return { ok: false, error: { code: /timed out|timeout/i.test(msg) ? 'ERR_REMOTE_TIMEOUT' : 'ERR_REMOTE_TOOL', message: `${remote.tool} on ${describe(ep)}: ${msg}` } };
  } finally {
    if (!keep) await client.close().catch(() => undefined);
  }
}

/** Closes every pooled remote connection (stops spawned servers). */
export async function closeRemoteClients(): Promise<void> {
  const all = [...pool.values()];
  pool.clear();
  await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
}
