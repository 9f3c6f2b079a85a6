/**
 * The type language: AST (./ast.ts), parser, canonical printer, nominal-type registry, subtyping
 * and unification. See docs/types.md.
 */
export * from './ast.ts';
export { parseType, parseSignature, canonicalLiterals } from './parse.ts';
export type { ParseOptions } from './parse.ts';
export { printType, printSignature, compareLiterals } from './print.ts';
export { TypeRegistry, defaultTypeRegistry, registerNominal, RESERVED_TYPE_WORDS } from './registry.ts';
export { isSubtype, isEquivalent, isBaseSubtype, joinTypes, meetTypes, literalBase, hasTypeVars } from './subtype.ts';
export { unifySignature, unifySignatureDetailed, matchParams, applySubstitution } from './unify.ts';
export type { Substitution, Unifier } from './unify.ts';
export { validateType, validateSignature } from './validate.ts';
