/**
 * fast-check generators for the type language, shared by the types and L1 tests and the bench.
 * Type variables: tool signatures use 'a 'b, sub-goals (rigid) use 'g so the namespaces are
 * visibly apart (unification keeps them apart anyway).
 */
import fc from 'fast-check';
import type { Literal, Param, Signature, Type } from '../../src/types/ast.ts';

const B = (name: string): Type => ({ kind: 'base', name }) as Type;
export const NOMINALS = ['Date', 'Money'];

export function arbType(opts: { vars: string[]; depth?: number }): fc.Arbitrary<Type> {
  const leafs: Type[] = [
    B('int'), B('float'), B('bool'), B('str'), B('none'), B('any'), B('bytes'), B('DataFrame'), B('Predicate'),
    { kind: 'nominal', name: 'Date' }, { kind: 'nominal', name: 'Money' }, { kind: 'unknown' },
  ];
  const leaf = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...leafs) },
    { weight: opts.vars.length ? 2 : 0, arbitrary: fc.constantFrom(...(opts.vars.length ? opts.vars : ['x'])).map((name) => ({ kind: 'var', name }) as Type) },
  );
  const literal: fc.Arbitrary<Literal> = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.constantFrom(0, 1, 2, 2.5), fc.boolean());
  const field = fc.constantFrom('id', 'name', 'q', 'n');
  const { t } = fc.letrec<{ t: Type }>((tie) => ({
    t: fc.oneof(
      { depthSize: 'small', maxDepth: opts.depth ?? 3 },
      { weight: 10, arbitrary: leaf },
      tie('t').map((elem) => ({ kind: 'list', elem }) as Type),
      tie('t').map((inner) => ({ kind: 'optional', inner }) as Type),
      fc.tuple(fc.constantFrom(B('str'), B('int')), tie('t')).map(([key, value]) => ({ kind: 'dict', key, value }) as Type),
      fc.array(tie('t'), { maxLength: 2 }).map((elems) => ({ kind: 'tuple', elems }) as Type),
      fc.uniqueArray(fc.record({ name: field, type: tie('t'), optional: fc.boolean() }), { selector: (f) => f.name, maxLength: 3 }).map(
        (fields) => ({ kind: 'record', fields: fields.sort((a, b) => (a.name < b.name ? -1 : 1)) }) as Type,
      ),
      fc.uniqueArray(literal, { minLength: 1, maxLength: 3 }).map((values) => ({ kind: 'enum', values }) as Type),
      fc.tuple(fc.array(tie('t'), { maxLength: 2 }), tie('t')).map(([params, result]) => ({ kind: 'callable', params, result }) as Type),
    ),
  }));
  return t;
}

const PARAM_NAMES = ['x', 'y', 'word', 'limit', 'q'];

export function arbSignature(opts: { vars: string[]; maxParams?: number; depth?: number }): fc.Arbitrary<Signature> {
  const t = arbType(opts);
  const positional = fc
    .array(fc.record({ type: t, optional: fc.boolean() }), { maxLength: opts.maxParams ?? 3 })
    .map((ps) => ps.map((p): Param => ({ type: p.type, optional: p.optional })));
  const named = fc
    .uniqueArray(fc.record({ name: fc.constantFrom(...PARAM_NAMES), type: t, optional: fc.boolean() }), {
      selector: (p) => p.name,
      minLength: 1,
      maxLength: opts.maxParams ?? 3,
    })
    .map((ps) => ps.map((p): Param => ({ name: p.name, type: p.type, optional: p.optional })));
  return fc.record({ params: fc.oneof(positional, named), result: t });
}
