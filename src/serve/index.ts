/**
 * Protocol front-ends (docs/protocols.md): the OpenAI-compatible model server for the policy
 * (`cocoda serve`) and, in ./mcp.ts, the MCP server and importer for libraries.
 */
export { buildServer, startServer, isLoopback } from './openai.ts';
export type { ServeOptions, StartOptions, RunningServer } from './openai.ts';
export { Engine, QueueFullError } from './engine.ts';
export type { EngineOptions, EngineStats, Completion, Job } from './engine.ts';
export { LibraryService, createMcpServer, serveMcpStdio, mountMcp, startMcpHttp, MCP_SERVER_NAME } from './mcp.ts';
export type { LibraryServiceOptions } from './mcp.ts';
export { connectMcp, importMcpTools, callRemoteTool, closeRemoteClients, resultValue } from './mcp-client.ts';
export type { McpEndpoint, McpImportResult, RemoteOutcome } from './mcp-client.ts';
