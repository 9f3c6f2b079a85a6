/**
 * Call-edge extraction: a tool's children are read from its executable body with a real
 * JavaScript parser (acorn), never declared by hand (DESIGN.md §1).
 *
 * Rules (docs/library.md "Edges are extracted from bodies"):
 * * A body is the source of exactly one function declaration named after the tool
 *   (`function add(a, b) { return a + b; }`; `async function` is allowed, generators are not).
 * * Every `CallExpression` (also `f?.(x)`) whose callee is a plain identifier naming a library tool
 *   is one edge. Multiplicity = number of static call sites; loops are not unrolled and branches
 *   are not pruned, so `for (…) add(x)` counts once and `c ? add() : mul()` counts both.
 * * Children are ordered by the source position of their call sites.
 * * The tool's own name is a self-call, hence a cycle.
 * * Member calls (`Math.max(…)`, `obj.add(…)`) and `new X()` are never edges. A plain call to a
 *   standard JavaScript global (`parseInt`, `Number`, …, see {@link JS_GLOBAL_CALLEES}) or to a
 *   name declared inside the body (parameter, variable, inner function) is not an edge either.
 * * Any other plain call names an unknown tool: `ERR_UNKNOWN_CHILD`.
 * * A tool used as a value without being called (`xs.map(add)`) would hide an edge:
 *   `ERR_BODY_INDIRECT_CALL` (write `xs.map((x) => add(x))`).
 * Scope analysis is deliberately simple: a name declared anywhere in the body shadows a tool of
 * that name everywhere in the body.
 */
import { parse, type Node } from 'acorn';
import { CocodaError, type ErrorCode } from '../errors.ts';

/** Standard ECMAScript globals a body may call as plain functions without creating an edge. */
export const JS_GLOBAL_CALLEES: ReadonlySet<string> = new Set([
  'AggregateError', 'Array', 'ArrayBuffer', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Boolean', 'DataView',
  'Date', 'Error', 'EvalError', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Map',
  'Number', 'Object', 'Promise', 'RangeError', 'ReferenceError', 'RegExp', 'Set', 'String', 'Symbol',
  'SyntaxError', 'TypeError', 'URIError', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array',
  'WeakMap', 'WeakSet', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'isFinite',
  'isNaN', 'parseFloat', 'parseInt', 'structuredClone',
]);

/** Names a tool may not take: every identifier that is a standard global of the JS environment. */
export function isReservedToolName(name: string): boolean {
  return JS_GLOBAL_CALLEES.has(name) || RESERVED_WORDS.has(name) || OTHER_GLOBALS.has(name);
}

const OTHER_GLOBALS = new Set(['Math', 'JSON', 'Reflect', 'Atomics', 'Intl', 'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'Function', 'arguments', 'console']);
const RESERVED_WORDS = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum',
  'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in', 'instanceof',
  'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'await',
]);

/** A JavaScript identifier (ASCII subset; tool names with bodies must be callable). */
export const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface BodyAnalysis {
  /** Library tools called, ordered by call site, with multiplicity. */
  calls: string[];
  /** Parameter names of the function (destructured parameters appear as `_0`, `_1`, …). */
  params: string[];
}

type AnyNode = Node & Record<string, unknown>;

function isNode(x: unknown): x is AnyNode {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

/** Collects identifiers bound by a pattern (params, declarators, catch clauses). */
function bindPattern(p: unknown, out: Set<string>): void {
  if (!isNode(p)) return;
  switch (p.type) {
    case 'Identifier':
      out.add(p.name as string);
      break;
    case 'ObjectPattern':
      for (const prop of p.properties as AnyNode[]) bindPattern(prop.type === 'RestElement' ? prop.argument : prop.value, out);
      break;
    case 'ArrayPattern':
      for (const el of p.elements as unknown[]) bindPattern(el, out);
      break;
    case 'RestElement':
      bindPattern(p.argument, out);
      break;
    case 'AssignmentPattern':
      bindPattern(p.left, out);
      break;
  }
}

/**
 * Parses a tool body and returns its calls to library tools.
 *
 * @param toolName the tool's own name (a call to it is a self-call)
 * @param isTool whether a name is a library tool (including the tool itself)
 * @throws CocodaError `ERR_BODY_PARSE`, `ERR_BODY_SHAPE`, `ERR_UNKNOWN_CHILD`, `ERR_BODY_INDIRECT_CALL`
 * @example
 * ```ts
 * analyzeBody('sq', 'function sq(x) { return mul(x, x) + Math.max(0, x); }', (n) => n === 'mul').calls; // ['mul']
 * ```
 */
export function analyzeBody(toolName: string, body: string, isTool: (name: string) => boolean): BodyAnalysis {
  let program: AnyNode;
  try {
    program = parse(body, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AnyNode;
  } catch (err) {
    throw new CocodaError(`tool "${toolName}": body does not parse: ${(err as Error).message}`, 'ERR_BODY_PARSE', { tool: toolName });
  }
  const stmts = program.body as AnyNode[];
  const fn = stmts[0];
  if (stmts.length !== 1 || !fn || fn.type !== 'FunctionDeclaration') {
    throw new CocodaError(
      `tool "${toolName}": body must be exactly one function declaration \`function ${toolName}(…) { … }\``,
      'ERR_BODY_SHAPE',
      { tool: toolName },
    );
  }
  const fnName = (fn.id as AnyNode | null)?.name as string | undefined;
  if (fnName !== toolName) {
    throw new CocodaError(`tool "${toolName}": body declares function "${fnName}", expected "${toolName}"`, 'ERR_BODY_SHAPE', { tool: toolName });
  }
  if (fn.generator) {
    throw new CocodaError(`tool "${toolName}": body must not be a generator function`, 'ERR_BODY_SHAPE', { tool: toolName });
  }
  const params = (fn.params as AnyNode[]).map((p, i) => (p.type === 'Identifier' ? (p.name as string) : p.type === 'AssignmentPattern' && (p.left as AnyNode).type === 'Identifier' ? ((p.left as AnyNode).name as string) : `_${i}`));

  // Pass 1: every name declared inside the function (its own name excepted).
  const locals = new Set<string>();
  const declare = (n: AnyNode): void => {
    switch (n.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (n !== fn && n.id) bindPattern(n.id, locals);
        for (const p of n.params as unknown[]) bindPattern(p, locals);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (n.id) bindPattern(n.id, locals);
        break;
      case 'VariableDeclarator':
        bindPattern(n.id, locals);
        break;
      case 'CatchClause':
        bindPattern(n.param, locals);
        break;
    }
  };
  walk(fn, declare);

  // Pass 2: calls and value references.
  const sites: Array<{ pos: number; name: string }> = [];
  const fail = (code: ErrorCode, message: string, name: string, pos: number): never => {
    throw new CocodaError(`tool "${toolName}": ${message}`, code, { tool: toolName, name, position: pos });
  };
  walkRefs(fn, (id, role) => {
    const name = id.name as string;
    if (locals.has(name)) return;
    if (role === 'call') {
      if (isTool(name)) sites.push({ pos: id.start, name });
      else if (!JS_GLOBAL_CALLEES.has(name)) fail('ERR_UNKNOWN_CHILD', `calls unknown tool "${name}" at offset ${id.start}`, name, id.start);
    } else if (isTool(name)) {
      fail('ERR_BODY_INDIRECT_CALL', `uses tool "${name}" as a value at offset ${id.start}; call it directly, e.g. (x) => ${name}(x)`, name, id.start);
    }
  });
  sites.sort((a, b) => a.pos - b.pos);
  return { calls: sites.map((s) => s.name), params };
}

function walk(node: AnyNode, visit: (n: AnyNode) => void): void {
  const stack: AnyNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    visit(n);
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) stack.push(c);
      } else if (isNode(v)) stack.push(v);
    }
  }
}

/**
 * Visits identifiers in expression position: `call` when the identifier is the callee of a call,
 * `value` when it is read as a value. Binding positions, property keys, member property names and
 * labels are skipped.
 */
function walkRefs(root: AnyNode, visit: (id: AnyNode, role: 'call' | 'value') => void): void {
  const stack: Array<{ n: AnyNode; parent: AnyNode | null; key: string }> = [{ n: root, parent: null, key: '' }];
  while (stack.length) {
    const { n, parent, key } = stack.pop()!;
    if (n.type === 'Identifier') {
      if (!parent || isNonReference(parent, key)) continue;
      visit(n, parent.type === 'CallExpression' && key === 'callee' ? 'call' : 'value');
      continue;
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) stack.push({ n: c, parent: n, key: k });
      } else if (isNode(v)) stack.push({ n: v, parent: n, key: k });
    }
  }
}

function isNonReference(parent: AnyNode, key: string): boolean {
  switch (parent.type) {
    case 'MemberExpression':
      return key === 'property' && !parent.computed;
    case 'Property':
      return key === 'key' && !parent.computed && !parent.shorthand;
    case 'MethodDefinition':
    case 'PropertyDefinition':
      return key === 'key' && !parent.computed;
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return key === 'label';
    case 'MetaProperty':
      return true;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return key === 'id' || key === 'params';
    case 'VariableDeclarator':
      return key === 'id';
    case 'CatchClause':
      return key === 'param';
    default:
      return false;
  }
}
