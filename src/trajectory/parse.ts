/**
 * Format validity of a trajectory (TIER's R_format): JSON that parses, the IR's shape, and
 * references only to earlier calls. Never throws on bad input: returns the first problem with a
 * path (`calls[2].args[0]`) and, for JSON syntax errors, the character position.
 */
import { isInput, isLit, isRef, type Arg, type Trajectory } from './ir.ts';

export interface TrajectoryIssue {
  /** Stable code: ERR_TRAJ_JSON, ERR_TRAJ_SHAPE, ERR_TRAJ_ARG, ERR_TRAJ_FORWARD_REF. */
  code: string;
  message: string;
  /** Where: `calls[1].args[0]`, `answer`, or `$` for the whole document. */
  path: string;
  /** Character offset for JSON syntax errors. */
  position?: number;
}

export type ParseResult = { ok: true; trajectory: Trajectory } | { ok: false; issue: TrajectoryIssue };

const fail = (code: string, path: string, message: string, position?: number): ParseResult => ({
  ok: false,
  issue: position === undefined ? { code, message: `${path}: ${message}`, path } : { code, message: `${path}: ${message}`, path, position },
});

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function isPlainData(x: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every((v) => isPlainData(v, depth + 1));
  if (isPlainObject(x)) return Object.values(x).every((v) => isPlainData(v, depth + 1));
  return false;
}

function checkArg(a: unknown, path: string, callIndex: number): ParseResult | null {
  if (a === null || typeof a === 'string' || typeof a === 'boolean') return null;
  if (typeof a === 'number') return Number.isFinite(a) ? null : fail('ERR_TRAJ_ARG', path, 'a numeric literal must be finite');
  if (Array.isArray(a)) return isPlainData(a) ? null : fail('ERR_TRAJ_ARG', path, 'a list literal must hold plain JSON data');
  if (!isPlainObject(a)) return fail('ERR_TRAJ_ARG', path, 'expected a literal, {"ref": k}, {"input": name} or {"lit": value}');
  if (isRef(a)) {
    if (!Number.isInteger(a.ref) || a.ref < 0) return fail('ERR_TRAJ_ARG', path, `"ref" must be a non-negative integer (got ${JSON.stringify(a.ref)})`);
    if (callIndex >= 0 && a.ref >= callIndex) {
      return fail(
        'ERR_TRAJ_FORWARD_REF',
        path,
        path === 'answer'
          ? `the answer references the output of call ${a.ref}, but the program has ${callIndex} call(s)`
          : `call ${callIndex} references the output of call ${a.ref}, which is not earlier`,
      );
    }
    return null;
  }
  if (isInput(a)) return typeof a.input === 'string' && a.input.length > 0 ? null : fail('ERR_TRAJ_ARG', path, '"input" must be a non-empty string');
  if (isLit(a)) return isPlainData(a.lit) ? null : fail('ERR_TRAJ_ARG', path, '"lit" must hold plain JSON data');
  return fail('ERR_TRAJ_ARG', path, `an object argument must have exactly one key, "ref", "input" or "lit" (got ${JSON.stringify(Object.keys(a))})`);
}

/**
 * Offset of the first JSON syntax error in `s` (Node's JSON.parse messages do not always carry a
 * position). A small recursive-descent scan; only called after JSON.parse has already failed.
 */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const ws = () => {
    while (i < s.length && ' \t\n\r'.includes(s[i]!)) i++;
  };
  class Stop extends Error {}
  const bad = (): never => {
    throw new Stop();
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      ws();
      if (s[i] === '}') return void i++;
      for (;;) {
        ws();
        if (s[i] !== '"') bad();
        str();
        ws();
        if (s[i] !== ':') bad();
        i++;
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === '}') return void i++;
        else bad();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (s[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (s[i] === ',') i++;
        else if (s[i] === ']') return void i++;
        else bad();
      }
    } else if (c === '"') str();
    else {
      const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(s.slice(i));
      if (!m) bad();
      i += m![0].length;
    }
  };
  const str = (): void => {
    i++;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\') i++;
      else if (s.charCodeAt(i) < 0x20) bad();
      i++;
    }
    if (i >= s.length) bad();
    i++;
  };
  try {
    value();
    ws();
    return i < s.length ? i : s.length;
  } catch (e) {
    if (e instanceof Stop) return Math.min(i, s.length);
    throw e;
  }
}

/**
 * Parses and shape-checks a trajectory given as JSON text or as an already-parsed value.
 *
 * @example
 * ```ts
 * const r = parseTrajectory('{"calls":[{"tool":"add","args":[1,{"ref":0}]}],"answer":{"ref":0}}');
 * // { ok: false, issue: { code: 'ERR_TRAJ_FORWARD_REF', path: 'calls[0].args[1]', ... } }
 * ```
 */
export function parseTrajectory(input: unknown): ParseResult {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = jsonErrorOffset(input);
      return fail('ERR_TRAJ_JSON', '$', `not valid JSON at character ${pos} (${msg})`, pos);
    }
  }
  if (!isPlainObject(doc)) return fail('ERR_TRAJ_SHAPE', '$', 'expected an object {"calls": [...], "answer": {...}}');
  const extra = Object.keys(doc).filter((k) => k !== 'calls' && k !== 'answer');
  if (extra.length > 0) return fail('ERR_TRAJ_SHAPE', '$', `unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  if (!Array.isArray(doc.calls)) return fail('ERR_TRAJ_SHAPE', 'calls', 'expected an array of calls');
  const calls = doc.calls as unknown[];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    const p = `calls[${i}]`;
    if (!isPlainObject(c)) return fail('ERR_TRAJ_SHAPE', p, 'expected {"tool": name, "args": [...]}');
    const extraC = Object.keys(c).filter((k) => k !== 'tool' && k !== 'args');
    if (extraC.length > 0) return fail('ERR_TRAJ_SHAPE', p, `unknown field(s) ${extraC.map((k) => JSON.stringify(k)).join(', ')}`);
    if (typeof c.tool !== 'string' || c.tool.length === 0) return fail('ERR_TRAJ_SHAPE', `${p}.tool`, 'expected a non-empty tool name');
    if (!Array.isArray(c.args)) return fail('ERR_TRAJ_SHAPE', `${p}.args`, 'expected an array of arguments');
    for (let j = 0; j < c.args.length; j++) {
      const bad = checkArg(c.args[j], `${p}.args[${j}]`, i);
      if (bad) return bad;
    }
  }
  if (doc.answer === undefined) return fail('ERR_TRAJ_SHAPE', 'answer', 'missing; expected {"ref": k} or {"input": name}');
  if (!isRef(doc.answer) && !isInput(doc.answer)) return fail('ERR_TRAJ_SHAPE', 'answer', 'expected {"ref": k} or {"input": name}');
  const bad = checkArg(doc.answer, 'answer', calls.length);
  if (bad) return bad;
  if (isRef(doc.answer) && doc.answer.ref >= calls.length) {
    return fail('ERR_TRAJ_FORWARD_REF', 'answer', `references call ${doc.answer.ref} but there are ${calls.length} calls`);
  }
  const trajectory: Trajectory = {
    calls: calls.map((c) => ({ tool: (c as { tool: string }).tool, args: [...((c as { args: Arg[] }).args)] })),
    answer: doc.answer as Trajectory['answer'],
  };
  return { ok: true, trajectory };
}
