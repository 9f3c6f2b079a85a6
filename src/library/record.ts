/**
 * A tool's record I(v) = (L1, L2, L3, L4), cheapest to most expensive (DESIGN.md §1), plus its
 * executable body. This is the plain-data contract shared by import, the DAG, snapshots,
 * execution, retrieval and the teacher.
 */

/** One worked example (L4): positional arguments and the expected result. Plain JSON data only. */
export interface ToolExample {
  args: unknown[];
  result: unknown;
}

export interface ToolRecord {
  /** Unique within a library version; a valid JavaScript identifier for tools with bodies. */
  name: string;
  /** L1: typed signature in the text syntax of src/types/ast.ts, e.g. `(float, float) -> float`. */
  signature: string;
  /** L2: one-paragraph description. */
  description: string;
  /** L2: tags. */
  tags: string[];
  /** L3: JavaScript boolean expression over the named arguments (empty = always true). */
  pre: string;
  /** L3: JavaScript boolean expression over the named arguments and `result`. */
  post: string;
  /** L3: free-text conditions for the LLM-facing card (e.g. "a, b finite"). */
  conditions: string;
  /** L3: complexity note, e.g. `O(1)`. */
  complexity: string;
  /** L4: worked examples. */
  examples: ToolExample[];
  /**
   * Source of one JavaScript function whose name is the tool's, e.g.
   * `function add(a, b) { return a + b; }`. Absent for imported schema-only tools.
   */
  body?: string;
  /** Where the tool came from. */
  origin: 'primitive' | 'composite' | 'imported' | 'teacher' | 'user';
  /**
   * A remote tool (no body): calls go to this MCP server (`cocoda library import-mcp`;
   * `cocoda run` calls it through MCP).
   */
  remote?: RemoteTool;
}

/** Where a remote tool lives: an MCP server started as a command (stdio) or reached by URL. */
export interface RemoteTool {
  protocol: 'mcp';
  /** stdio server: the command and its arguments. */
  command?: string;
  args?: string[];
  /** streamable-HTTP server URL. */
  url?: string;
  /** The tool's name on that server. */
  tool: string;
  /** Parameter names in signature order: positional cocoda arguments become this MCP argument object. */
  params: string[];
}

/** Fills the optional layers of a partial record with their empty values. */
export function normalizeRecord(r: Pick<ToolRecord, 'name' | 'signature'> & Partial<ToolRecord>): ToolRecord {
  const out: ToolRecord = {
    name: r.name,
    signature: r.signature,
    description: r.description ?? '',
    tags: r.tags ? [...r.tags] : [],
    pre: r.pre ?? '',
    post: r.post ?? '',
    conditions: r.conditions ?? '',
    complexity: r.complexity ?? '',
    examples: r.examples ? r.examples.map((e) => ({ args: [...e.args], result: e.result })) : [],
    origin: r.origin ?? 'user',
  };
  if (r.body !== undefined) out.body = r.body;
  if (r.remote !== undefined) {
    out.remote = { ...r.remote, params: [...r.remote.params] };
    if (r.remote.args) out.remote.args = [...r.remote.args];
  }
  return out;
}
