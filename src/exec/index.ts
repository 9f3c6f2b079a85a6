/**
 * Sandboxed execution of tool bodies: programs (a tool and its transitive children compiled
 * together), the sandbox process, plain-data values, call traces and contracts.
 * See docs/sandbox.md.
 */
export { Sandbox, defaultSandbox } from './sandbox.ts';
export type { SandboxOptions, CallSpec, CallOutcome, ExecError, TraceNode, Violation, SandboxStats } from './sandbox.ts';
export { compileProgram, parseBody, parseContract, checkToolName } from './program.ts';
export type { ExecTool, Program, ParsedBody } from './program.ts';
export { findNonPlain, isPlainData, assertPlainData, plainEqual, showValue, MAX_DEPTH } from './values.ts';
export type { EqualOptions } from './values.ts';
export { programFor, runTool, closureOf, execToolOf, signatureParamNames } from './library.ts';
export type { RunToolOptions } from './library.ts';
