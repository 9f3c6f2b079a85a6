/**
 * Straight-line call patterns: the shape shared by a sub-program of a trajectory and the body of
 * a composite. A pattern is a list of calls whose arguments are parameters, earlier locals or
 * literals; its last call is the sink (the result).
 *
 * Patterns are kept in canonical order — post-order from the sink, arguments left to right,
 * parameters numbered by first appearance — so two sub-programs that compute the same thing in a
 * different call order get the same {@link patternKey}.
 */
import { parse, type Node } from 'acorn';

export type PArg = { param: number } | { local: number } | { lit: unknown };

export interface PatternCall {
  tool: string;
  args: PArg[];
}

export interface Pattern {
  /** Number of parameters. */
  params: number;
  /** Calls; the last is the sink. */
  calls: PatternCall[];
}

const isParam = (a: PArg): a is { param: number } => 'param' in a;
const isLocal = (a: PArg): a is { local: number } => 'local' in a;

/** Re-orders calls post-order from the sink and renumbers parameters by first appearance. */
export function canonicalize(p: Pattern): { pattern: Pattern; paramOrder: number[] } {
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number): void => {
    if (seen.has(i)) return;
    seen.add(i);
    for (const a of p.calls[i]!.args) if (isLocal(a)) visit(a.local);
    order.push(i);
  };
  visit(p.calls.length - 1);
  const newIndex = new Map<number, number>();
  order.forEach((old, k) => newIndex.set(old, k));
  const paramMap = new Map<number, number>();
  const paramOrder: number[] = [];
  const calls = order.map((old) => ({
    tool: p.calls[old]!.tool,
    args: p.calls[old]!.args.map((a): PArg => {
      if (isLocal(a)) return { local: newIndex.get(a.local)! };
      if (isParam(a)) {
        let k = paramMap.get(a.param);
        if (k === undefined) {
          k = paramOrder.length;
          paramMap.set(a.param, k);
          paramOrder.push(a.param);
        }
        return { param: k };
      }
      return { lit: a.lit };
    }),
  }));
  return { pattern: { params: paramOrder.length, calls }, paramOrder };
}

/** Canonical text of a pattern, e.g. `mul($0,$1);mul($2,$3);add(#0,#1)`. */
export function patternKey(p: Pattern): string {
  return p.calls
    .map((c) => `${c.tool}(${c.args.map((a) => (isParam(a) ? `$${a.param}` : isLocal(a) ? `#${a.local}` : JSON.stringify(a.lit))).join(',')})`)
    .join(';');
}

/** Readable expression of the pattern with the given parameter names (locals inlined). */
export function patternExpression(p: Pattern, names: readonly string[]): string {
  const expr = (i: number): string => {
    const c = p.calls[i]!;
    return `${c.tool}(${c.args.map((a) => (isParam(a) ? names[a.param]! : isLocal(a) ? expr(a.local) : JSON.stringify(a.lit))).join(', ')})`;
  };
  return expr(p.calls.length - 1);
}

/**
 * JavaScript source of a composite whose body computes the pattern: locals used once are inlined,
 * locals used more than once become `const`s (so every call runs exactly once).
 */
export function patternBody(name: string, p: Pattern, paramNames: readonly string[]): string {
  const uses = new Array<number>(p.calls.length).fill(0);
  for (const c of p.calls) for (const a of c.args) if (isLocal(a)) uses[a.local]!++;
  const lines: string[] = [];
  const localName = (i: number) => `v${i}`;
  const expr = (i: number): string => {
    const c = p.calls[i]!;
    const args = c.args.map((a) => (isParam(a) ? paramNames[a.param]! : isLocal(a) ? (uses[a.local]! > 1 ? localName(a.local) : expr(a.local)) : JSON.stringify(a.lit)));
    return `${c.tool}(${args.join(', ')})`;
  };
  for (let i = 0; i < p.calls.length - 1; i++) if (uses[i]! > 1) lines.push(`  const ${localName(i)} = ${expr(i)};`);
  lines.push(`  return ${expr(p.calls.length - 1)};`);
  return `function ${name}(${paramNames.join(', ')}) {\n${lines.join('\n')}\n}`;
}

type AnyNode = Node & Record<string, any>;

/**
 * The pattern of a straight-line composite body (`const v = f(...)` statements and a `return` of a
 * call), or `null` when the body is anything else (branches, loops, JS operators…): only such
 * bodies can be substituted for a sub-program losslessly by structural matching.
 */
export function patternFromBody(body: string, toolNames: ReadonlySet<string>): Pattern | null {
  let ast: AnyNode;
  try {
    ast = parse(body, { ecmaVersion: 2023, sourceType: 'script' }) as AnyNode;
  } catch {
    return null;
  }
  if (ast.body.length !== 1 || ast.body[0].type !== 'FunctionDeclaration') return null;
  const fn = ast.body[0] as AnyNode;
  if (fn.async || fn.generator) return null;
  const params = new Map<string, number>();
  for (const p of fn.params as AnyNode[]) {
    if (p.type !== 'Identifier' || params.has(p.name)) return null;
    params.set(p.name, params.size);
  }
  const locals = new Map<string, number>();
  const calls: PatternCall[] = [];
  const lower = (e: AnyNode): PArg | null => {
    if (e.type === 'Identifier') {
      if (params.has(e.name)) return { param: params.get(e.name)! };
      if (locals.has(e.name)) return { local: locals.get(e.name)! };
      return null;
    }
    if (e.type === 'Literal' && (typeof e.value === 'number' || typeof e.value === 'string' || typeof e.value === 'boolean' || e.value === null)) return { lit: e.value };
    if (e.type === 'UnaryExpression' && e.operator === '-' && e.argument.type === 'Literal' && typeof e.argument.value === 'number') return { lit: -e.argument.value };
    if (e.type === 'CallExpression' && e.callee.type === 'Identifier' && toolNames.has(e.callee.name) && !e.optional) {
      const args: PArg[] = [];
      for (const a of e.arguments as AnyNode[]) {
        const l = lower(a);
        if (!l) return null;
        args.push(l);
      }
      calls.push({ tool: e.callee.name, args });
      return { local: calls.length - 1 };
    }
    return null;
  };
  const stmts = fn.body.body as AnyNode[];
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    const last = i === stmts.length - 1;
    if (!last && s.type === 'VariableDeclaration' && s.kind === 'const' && s.declarations.length === 1) {
      const d = s.declarations[0];
      if (d.id.type !== 'Identifier' || !d.init || params.has(d.id.name) || locals.has(d.id.name)) return null;
      const l = lower(d.init);
      if (!l || !('local' in l)) return null;
      locals.set(d.id.name, l.local);
      continue;
    }
    if (last && s.type === 'ReturnStatement' && s.argument) {
      const l = lower(s.argument);
      if (!l || !('local' in l) || l.local !== calls.length - 1) return null;
      continue;
    }
    return null;
  }
  if (calls.length === 0) return null;
  // Every call must feed the result and every parameter must be used: no dead code.
  const used = new Set<number>([calls.length - 1]);
  for (let i = calls.length - 1; i >= 0; i--) if (used.has(i)) for (const a of calls[i]!.args) if (isLocal(a)) used.add(a.local);
  if (used.size !== calls.length) return null;
  const usedParams = new Set<number>();
  for (const c of calls) for (const a of c.args) if (isParam(a)) usedParams.add(a.param);
  if (usedParams.size !== params.size) return null;
  const { pattern, paramOrder } = canonicalize({ params: params.size, calls });
  // Keep the body's parameter order: callers pass arguments positionally.
  return paramOrder.every((p, i) => p === i) ? pattern : remapParams(pattern, paramOrder);
}

/** Renames canonical parameter k back to the original position paramOrder[k]. */
function remapParams(p: Pattern, paramOrder: number[]): Pattern {
  return {
    params: p.params,
    calls: p.calls.map((c) => ({ tool: c.tool, args: c.args.map((a) => (isParam(a) ? { param: paramOrder[a.param]! } : a)) })),
  };
}

export { isParam, isLocal };
