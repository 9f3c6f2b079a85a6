/**
 * Nesting limits (issue 13): a type or JSON schema nested deeper than MAX_TYPE_DEPTH is refused
 * at parse/import time with a clear error, and everything accepted is safe for every recursive
 * walk over types (printing, unification, subtyping, libraries, retrieval).
 */
import { describe, expect, it } from 'vitest';
import { MAX_TYPE_DEPTH, parseSignature, parseType } from '../../src/types/parse.ts';
import { printSignature, printType } from '../../src/types/print.ts';
import { unifySignature } from '../../src/types/unify.ts';
import { ToolDag } from '../../src/library/dag.ts';
import { importSchemasInto } from '../../src/library/import-schema.ts';
import { Corpus } from '../../src/retrieval/corpus.ts';
import { Retriever } from '../../src/retrieval/cascade.ts';
import { CocodaError } from '../../src/errors.ts';

const nested = (n: number, leaf = 'int') => 'list['.repeat(n) + leaf + ']'.repeat(n);

function err(fn: () => unknown): CocodaError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof CocodaError) return e;
    throw e;
  }
  return undefined;
}

describe('type nesting limit', () => {
  it(`accepts ${MAX_TYPE_DEPTH} levels and refuses one more with ERR_TYPE_DEPTH naming the column`, () => {
    expect(printType(parseType(nested(MAX_TYPE_DEPTH - 1)))).toBe(nested(MAX_TYPE_DEPTH - 1));
    const e = err(() => parseType(nested(MAX_TYPE_DEPTH)));
    expect(e?.code).toBe('ERR_TYPE_DEPTH');
    expect(e?.message).toMatch(new RegExp(`^Type nested deeper than ${MAX_TYPE_DEPTH} levels at column ${5 * MAX_TYPE_DEPTH} in "list\\[list`));
    // the 3,500-level signature: a clear error, not a stack overflow
    const big = err(() => parseSignature(`(x: ${nested(3500)}) -> int`));
    expect(big?.code).toBe('ERR_TYPE_DEPTH');
    expect(big!.message.length).toBeLessThan(200);
    // records and callables count as levels too
    expect(err(() => parseType('{a: '.repeat(MAX_TYPE_DEPTH) + 'int' + '}'.repeat(MAX_TYPE_DEPTH)))?.code).toBe('ERR_TYPE_DEPTH');
  });

  it('a library holding the deepest accepted signature still adds, retrieves and unifies', () => {
    const sig = `(x: ${nested(MAX_TYPE_DEPTH - 1, "'a")}) -> ${nested(MAX_TYPE_DEPTH - 1, "'a")}`;
    const s = parseSignature(sig);
    expect(printSignature(s)).toBe(sig);
    expect(unifySignature(s, parseSignature(sig))).not.toBeNull();
    const dag = ToolDag.empty().add([
      { name: 'deep_id', signature: sig, description: 'identity on deep lists', body: 'function deep_id(x) { return x; }' },
      { name: 'plain', signature: '(x: int) -> int', description: 'plain', body: 'function plain(x) { return x; }' },
    ]);
    const r = new Retriever(Corpus.fromDag(dag));
    expect(() => r.retrieve({ signature: sig, intent: 'identity on deep lists' })).not.toThrow();
    expect(err(() => dag.add({ name: 'too_deep', signature: `(x: ${nested(MAX_TYPE_DEPTH)}) -> int` }))?.code).toBe('ERR_TYPE_DEPTH');
  });

  it('schema import refuses a too-deep schema for that tool only, naming the field', () => {
    let items: Record<string, unknown> = { type: 'integer' };
    for (let i = 0; i < 3875; i++) items = { type: 'array', items };
    const specs = [
      { name: 'Deep', description: 'd', parameters: { type: 'object', properties: { xs: items } } },
      { name: 'Fine', description: 'f', parameters: { type: 'object', properties: { n: { type: 'integer' } } } },
    ];
    const res = importSchemasInto(ToolDag.empty(), specs);
    expect(res.imported).toEqual(['Fine']);
    expect(res.failed).toHaveLength(1);
    const f = res.failed[0]!;
    expect(f.tool).toBe('Deep');
    expect((f.error as CocodaError).code).toBe('ERR_SCHEMA_UNSUPPORTED');
    expect(f.error.message).toMatch(/^tool "Deep": parameters\.properties\.xs\.items.*: nested deeper than 64 levels/);
    expect(f.error.message.length).toBeLessThan(300);
  });

  it('example values nested deeper than 256 levels are refused when a record enters a library', () => {
    let v: unknown = 1;
    for (let i = 0; i < 300; i++) v = [v];
    expect(() => ToolDag.empty().add({ name: 'ex', signature: '(x: any) -> any', examples: [{ args: [v], result: 1 }] })).toThrow(/nested at most 256 levels/);
  });
});
