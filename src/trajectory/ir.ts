/**
 * The trajectory IR (TIER found JSON the best intermediate representation): an ordered list of
 * positional tool calls and an answer reference.
 *
 * ```json
 * { "calls": [
 *     { "tool": "mul", "args": [{ "input": "qa" }, { "input": "pa" }] },
 *     { "tool": "mul", "args": [{ "input": "qb" }, 1.5] },
 *     { "tool": "add", "args": [{ "ref": 0 }, { "ref": 1 }] } ],
 *   "answer": { "ref": 2 } }
 * ```
 *
 * An argument is a JSON scalar or array (a literal), `{"ref": k}` (the output of the earlier call
 * k, 0-based), `{"input": "name"}` (a query input) or `{"lit": value}` (a literal object or any
 * value written explicitly). The answer is a `ref` or an `input`.
 */

export type Scalar = number | string | boolean | null;
export type Arg = Scalar | unknown[] | { ref: number } | { input: string } | { lit: unknown };

export interface Call {
  tool: string;
  args: Arg[];
}

export type AnswerRef = { ref: number } | { input: string };

export interface Trajectory {
  calls: Call[];
  answer: AnswerRef;
}

export const isRef = (a: unknown): a is { ref: number } =>
  typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length === 1 && 'ref' in a;
export const isInput = (a: unknown): a is { input: string } =>
  typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length === 1 && 'input' in a;
export const isLit = (a: unknown): a is { lit: unknown } =>
  typeof a === 'object' && a !== null && !Array.isArray(a) && Object.keys(a).length === 1 && 'lit' in a;

/** Small builder for programs written in code (task generators, the teacher planner). */
export class ProgramBuilder {
  readonly calls: Call[] = [];
  input(name: string): { input: string } {
    return { input: name };
  }
  /** Appends a call and returns a reference to its output. */
  call(tool: string, ...args: Arg[]): { ref: number } {
    this.calls.push({ tool, args });
    return { ref: this.calls.length - 1 };
  }
  finish(answer: AnswerRef): Trajectory {
    return { calls: this.calls.map((c) => ({ tool: c.tool, args: [...c.args] })), answer };
  }
}
