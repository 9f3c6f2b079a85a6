/**
 * Compiles tool bodies and contracts into one sandbox *program*: the source text the sandbox
 * evaluates once (cached by content hash) to define every tool of a call closure side by side,
 * so that a call inside a composite resolves to the library tool without leaving the sandbox.
 *
 * Checks made here, before anything runs (each error names the tool and the field):
 * * `body` is the source of exactly one synchronous, non-generator function declaration named as
 *   the tool, and parses in strict mode (`ERR_BODY_PARSE`, `ERR_BODY_SHAPE`);
 * * no identifier starting with `__cocoda` and no `import()` / `import.meta` (`ERR_BODY_FORBIDDEN`);
 * * `pre` / `post` are single JavaScript expressions (`ERR_CONTRACT_PARSE`).
 */
import { createHash } from 'node:crypto';
import { parse, type Node } from 'acorn';
import { CocodaError, type ErrorCode } from '../errors.ts';

/** What the sandbox needs of a tool. */
export interface ExecTool {
  name: string;
  /** Source of one function declaration named `name`. */
  body: string;
  /** L3 pre-condition: a JavaScript boolean expression over the named arguments ('' = none). */
  pre?: string;
  /** L3 post-condition: a JavaScript boolean expression over the named arguments and `result`. */
  post?: string;
  /**
   * Names bound to the positional arguments in `pre`/`post` (e.g. the signature's parameter
   * names). Default, or when any is missing or not an identifier: the body's parameter names.
   */
  params?: ReadonlyArray<string | undefined>;
}

/** A compiled program: immutable, content-addressed. */
export interface Program {
  /** sha256 of the source; the sandbox caches compiled programs by it. */
  readonly key: string;
  readonly source: string;
  /** Tool names defined by the program. */
  readonly tools: readonly string[];
}

type AnyNode = Node & Record<string, any>;

const ECMA = 2023 as const;

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof',
  'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'await',
  'arguments', 'eval', 'undefined', 'NaN', 'Infinity', 'globalThis',
]);

/** Standard globals a tool name may not shadow (a tool named `Math` would break every body). */
const JS_GLOBALS = new Set([
  'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Boolean', 'String', 'Symbol', 'Date',
  'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError',
  'TypeError', 'URIError', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'DataView', 'Map', 'BigInt', 'Set', 'WeakMap',
  'WeakSet', 'Proxy', 'Reflect', 'FinalizationRegistry', 'WeakRef', 'decodeURI', 'decodeURIComponent',
  'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'isFinite', 'isNaN', 'console', 'SharedArrayBuffer',
  'Atomics', 'WebAssembly', 'structuredClone', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigUint64Array',
  'BigInt64Array',
]);

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function err(tool: string, field: string, code: ErrorCode, message: string): CocodaError {
  return new CocodaError(`tool "${tool}": ${field}: ${message}`, code, { tool, field });
}

/** Throws unless `name` can be a tool name with a body (an identifier that shadows nothing). */
export function checkToolName(name: string): void {
  if (typeof name !== 'string' || !IDENT.test(name) || RESERVED.has(name) || JS_GLOBALS.has(name) || name.startsWith('__cocoda')) {
    throw new CocodaError(
      `tool name ${JSON.stringify(name)} is not usable: it must be a JavaScript identifier that is not a reserved word, a standard global, or start with __cocoda`,
      'ERR_BAD_NAME',
      { tool: name, field: 'name' },
    );
  }
}

function isNode(x: unknown): x is AnyNode {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

function visitAll(root: AnyNode, visit: (n: AnyNode) => void): void {
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    visit(n);
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) stack.push(c);
      } else if (isNode(v)) stack.push(v);
    }
  }
}

function syntaxMessage(e: unknown, lineOffset: number, colOffsetLine1: number): string {
  const se = e as { message?: string; loc?: { line: number; column: number } };
  const base = String(se.message ?? e).replace(/\s*\(\d+:\d+\)$/, '');
  if (!se.loc) return base;
  const line = se.loc.line - lineOffset;
  const col = line === 1 ? se.loc.column - colOffsetLine1 : se.loc.column;
  return `${base} (line ${line}, column ${col + 1})`;
}

function checkForbidden(tool: string, field: string, root: AnyNode): void {
  visitAll(root, (n) => {
    if (n.type === 'Identifier' && typeof n.name === 'string' && n.name.startsWith('__cocoda')) {
      throw err(tool, field, 'ERR_BODY_FORBIDDEN', `identifier "${n.name}" is reserved for the sandbox`);
    }
    if (n.type === 'ImportExpression' || n.type === 'MetaProperty') {
      throw err(tool, field, 'ERR_BODY_FORBIDDEN', 'import() and import.meta are not available to tools');
    }
  });
}

/** The parsed function of a tool body. */
export interface ParsedBody {
  /** Parameter names; destructured parameters are `_0`, `_1`, … and a rest parameter `...xs` is `xs`. */
  params: string[];
  /** Index of the rest parameter, or -1. */
  restIndex: number;
  /** Offsets of the function's name in the body text. */
  idStart: number;
  idEnd: number;
}

/**
 * Parses and checks a tool body (see the module comment).
 * @throws CocodaError `ERR_BODY_PARSE`, `ERR_BODY_SHAPE`, `ERR_BODY_FORBIDDEN`
 */
export function parseBody(tool: string, body: string): ParsedBody {
  if (typeof body !== 'string' || body.trim() === '') throw err(tool, 'body', 'ERR_BODY_SHAPE', 'is empty; expected the source of `function ' + tool + '(…) { … }`');
  let program: AnyNode;
  try {
    program = parse(body, { ecmaVersion: ECMA, sourceType: 'script' }) as AnyNode;
  } catch (e) {
    throw err(tool, 'body', 'ERR_BODY_PARSE', `does not parse: ${syntaxMessage(e, 0, 0)}`);
  }
  const stmts = program.body as AnyNode[];
  const fn = stmts[0];
  if (stmts.length !== 1 || !fn || fn.type !== 'FunctionDeclaration') {
    throw err(tool, 'body', 'ERR_BODY_SHAPE', `must be exactly one function declaration \`function ${tool}(…) { … }\``);
  }
  const id = fn.id as AnyNode;
  if (id.name !== tool) throw err(tool, 'body', 'ERR_BODY_SHAPE', `declares function "${id.name}", expected "${tool}"`);
  if (fn.generator) throw err(tool, 'body', 'ERR_BODY_SHAPE', 'must not be a generator function');
  if (fn.async) throw err(tool, 'body', 'ERR_BODY_SHAPE', 'must not be async: tool bodies run synchronously');
  const prefix = '"use strict";';
  try {
    parse(prefix + body, { ecmaVersion: ECMA, sourceType: 'script' });
  } catch (e) {
    throw err(tool, 'body', 'ERR_BODY_PARSE', `does not parse in strict mode: ${syntaxMessage(e, 0, prefix.length)}`);
  }
  checkForbidden(tool, 'body', fn);
  let restIndex = -1;
  const params = (fn.params as AnyNode[]).map((p, i) => {
    if (p.type === 'Identifier') return p.name as string;
    if (p.type === 'AssignmentPattern' && p.left.type === 'Identifier') return p.left.name as string;
    if (p.type === 'RestElement' && p.argument.type === 'Identifier') {
      restIndex = i;
      return p.argument.name as string;
    }
    return `_${i}`;
  });
  return { params, restIndex, idStart: id.start, idEnd: id.end };
}

/**
 * Checks a contract expression and returns it trimmed ('' for none).
 * @throws CocodaError `ERR_CONTRACT_PARSE`, `ERR_BODY_FORBIDDEN`
 */
export function parseContract(tool: string, field: 'pre' | 'post', expr: string | undefined): string {
  if (expr === undefined || expr === null) return '';
  if (typeof expr !== 'string') throw err(tool, field, 'ERR_CONTRACT_PARSE', 'must be a string holding a JavaScript boolean expression');
  const e = expr.trim();
  if (e === '') return '';
  let program: AnyNode;
  const prefix = '"use strict";(';
  try {
    program = parse(`${prefix}${e}\n)`, { ecmaVersion: ECMA, sourceType: 'script' }) as AnyNode;
  } catch (x) {
    throw err(tool, field, 'ERR_CONTRACT_PARSE', `is not a JavaScript expression: ${syntaxMessage(x, 0, prefix.length)}`);
  }
  const stmts = program.body as AnyNode[];
  if (stmts.length !== 2 || stmts[1]!.type !== 'ExpressionStatement') {
    throw err(tool, field, 'ERR_CONTRACT_PARSE', 'must be a single JavaScript expression');
  }
  checkForbidden(tool, field, stmts[1]!);
  return e;
}

/** Names bound to positional arguments in a tool's contracts. */
function contractNames(t: ExecTool, parsed: ParsedBody): { names: string[]; restIndex: number } {
  const given = t.params;
  if (given && given.length > 0 && given.every((n) => typeof n === 'string' && IDENT.test(n) && !RESERVED.has(n)) && new Set(given).size === given.length) {
    return { names: given as string[], restIndex: -1 };
  }
  return { names: parsed.params, restIndex: parsed.restIndex };
}

function contractFn(names: string[], restIndex: number, expr: string): string {
  const binds: string[] = [];
  names.forEach((n, i) => {
    if (n === 'args' || n === 'result') return;
    binds.push(i === restIndex ? `${n} = __cocoda_a.slice(${i})` : `${n} = __cocoda_a[${i}]`);
  });
  if (!names.includes('args')) binds.push('args = __cocoda_a');
  if (!names.includes('result')) binds.push('result = __cocoda_r');
  return `function (__cocoda_a, __cocoda_r) { const ${binds.join(', ')}; return (${expr}\n); }`;
}

/**
 * Compiles a set of tools (a composite and all its transitive children, or any closed set) into
 * one {@link Program}. Tool order does not matter; names must be unique.
 *
 * @example
 * ```ts
 * const p = compileProgram([
 *   { name: 'add', body: 'function add(a, b) { return a + b; }', pre: 'Number.isFinite(a) && Number.isFinite(b)' },
 *   { name: 'twice', body: 'function twice(x) { return add(x, x); }' },
 * ]);
 * await sandbox.call(p, 'twice', [21]); // { ok: true, result: 42, … }
 * ```
 */
export function compileProgram(tools: readonly ExecTool[]): Program {
  const names: string[] = [];
  const seen = new Set<string>();
  const contracts: string[] = [];
  const impls: string[] = [];
  const sorted = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of sorted) {
    checkToolName(t.name);
    if (seen.has(t.name)) throw new CocodaError(`tool "${t.name}" appears twice in one program`, 'ERR_DUPLICATE_TOOL', { tool: t.name });
    seen.add(t.name);
    names.push(t.name);
    const parsed = parseBody(t.name, t.body);
    const pre = parseContract(t.name, 'pre', t.pre);
    const post = parseContract(t.name, 'post', t.post);
    if (pre || post) {
      const { names: cn, restIndex } = contractNames(t, parsed);
      contracts.push(
        `__cocoda_p.contracts(${JSON.stringify(t.name)}, ${pre ? contractFn(cn, restIndex, pre) : 'null'}, ${JSON.stringify(pre)}, ` +
          `${post ? contractFn(cn, restIndex, post) : 'null'}, ${JSON.stringify(post)});`,
      );
    }
    const renamed = t.body.slice(0, parsed.idStart) + '__cocoda_impl' + t.body.slice(parsed.idEnd);
    impls.push(`__cocoda_p.impl(${JSON.stringify(t.name)}, (${renamed}\n));`);
  }
  const wrappers = names.length ? `const ${names.map((n) => `${n} = __cocoda_p.wrapper(${JSON.stringify(n)})`).join(', ')};` : '';
  const source = [
    '(function (__cocoda_rt) {',
    '"use strict";',
    'const __cocoda_p = __cocoda_rt.program();',
    'const globalThis = undefined;',
    ...contracts,
    'return (function () {',
    wrappers,
    ...impls,
    'return __cocoda_p.seal();',
    '})();',
    '})',
  ].join('\n');
  // A body cannot break out of its slot: each parsed as exactly one function; re-check the whole.
  try {
    const whole = parse(source, { ecmaVersion: ECMA, sourceType: 'script' }) as AnyNode;
    if ((whole.body as AnyNode[]).length !== 1) throw new Error('unexpected program shape');
  } catch (e) {
    throw new CocodaError(`program for ${names.join(', ')} does not parse: ${(e as Error).message}`, 'ERR_BODY_PARSE', { tools: names });
  }
  const key = createHash('sha256').update(source).digest('hex');
  return Object.freeze({ key, source, tools: Object.freeze(names) });
}
