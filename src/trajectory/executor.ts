/**
 * How a trajectory's calls reach the tools. {@link ToolExecutor} is the seam: the trajectory layer
 * never evaluates bodies itself. The default is `SandboxExecutor` (./sandbox-executor.ts), over the sandbox of src/exec.
 */
import type { ToolDag } from '../library/dag.ts';

/** One call with its nested calls (composites call their children). */
export interface CallTrace {
  tool: string;
  args: unknown[];
  result?: unknown;
  error?: string;
  /** Wall time in milliseconds. */
  ms: number;
  calls: CallTrace[];
}

export interface ToolCallResult {
  ok: boolean;
  value?: unknown;
  /** Why the call failed (thrown error, timeout, non-plain result …), for people. */
  error?: string;
  /** The failure's code (`ERR_EXEC_THROW`, `ERR_EXEC_TIMEOUT` …), when the executor knows it. */
  code?: string;
  trace: CallTrace;
}

export interface ToolExecutor {
  /** Runs `tool` of library version `dag` on plain-data `args`. Never throws for tool failures. */
  call(dag: ToolDag, tool: string, args: unknown[]): Promise<ToolCallResult>;
  /** Releases resources (sandbox processes). */
  close?(): Promise<void>;
}
