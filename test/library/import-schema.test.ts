import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importSchemas, importSchemasInto, schemaToRecord } from '../../src/library/import-schema.ts';
import { ToolDag } from '../../src/library/dag.ts';
import { parseSignature } from '../../src/types/parse.ts';
import { CocodaError } from '../../src/errors.ts';
import { depthbenchFile } from '../../src/library/depthbench.ts';

const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(depthbenchFile(f), 'utf8'));

const sig = (props: Record<string, unknown>, required: string[] = [], returns?: unknown) =>
  schemaToRecord({ name: 't', description: 'd', parameters: { type: 'dict', properties: props, required }, ...(returns ? { returns } : {}) }).signature;

describe('JSON-Schema import', () => {
  it('maps every type of the mapping table', () => {
    expect(sig({ a: { type: 'string' }, b: { type: 'integer' }, c: { type: 'number' }, d: { type: 'float' }, e: { type: 'boolean' } }, ['a', 'b', 'c', 'd', 'e'])).toBe(
      '(a: str, b: int, c: float, d: float, e: bool) -> ?',
    );
    expect(sig({ a: { type: 'double' }, b: { type: 'null' }, c: {} }, ['a', 'b', 'c'])).toBe('(a: float, b: none, c: ?) -> ?');
    expect(sig({ a: { type: 'array', items: { type: 'integer' } }, b: { type: 'array' }, c: { type: 'set' }, d: { type: 'tuple' } }, ['a', 'b', 'c', 'd'])).toBe(
      '(a: list[int], b: list[any], c: list[any], d: list[any]) -> ?',
    );
    expect(sig({ a: { type: 'tuple', items: [{ type: 'float' }, { type: 'float' }] } }, ['a'])).toBe('(a: tuple[float, float]) -> ?');
    expect(sig({ a: { type: 'dict' }, b: { type: 'object', additionalProperties: { type: 'integer' } } }, ['a', 'b'])).toBe('(a: dict[str, any], b: dict[str, int]) -> ?');
    expect(sig({ a: { type: 'dict', properties: { x: { type: 'string' }, y: { type: 'integer' } }, required: ['x'] } }, ['a'])).toBe('(a: {x: str, y?: int}) -> ?');
    expect(sig({ a: { type: 'string', enum: ['b', 'a', 'b'] }, b: { type: 'integer', enum: [3, 1] } }, ['a', 'b'])).toBe('(a: enum["a", "b"], b: enum[1, 3]) -> ?');
    expect(sig({ a: { type: 'pandas.DataFrame' }, f: { type: 'callable' } }, ['a', 'f'])).toBe('(a: DataFrame, f: callable[(?) -> ?]) -> ?');
    expect(sig({ a: { type: ['string', 'null'] } }, ['a'])).toBe('(a: optional[str]) -> ?');
  });

  it('non-required parameters are optional; result records list present fields; no returns = ?', () => {
    expect(sig({ a: { type: 'string' }, b: { type: 'integer' } }, ['a'])).toBe('(a: str, b?: int) -> ?');
    expect(sig({}, [], { type: 'dict', properties: { n: { type: 'integer' }, xs: { type: 'array', items: { type: 'string' } } } })).toBe('() -> {n: int, xs: list[str]}');
    expect(schemaToRecord({ name: 'nop', description: 'x' }).signature).toBe('() -> ?');
  });

  it('records: no body, origin imported, tags, L3 notes from constraints', () => {
    const r = schemaToRecord(
      {
        name: 'Shop.buy',
        description: '  Buy things. ',
        parameters: { type: 'dict', properties: { n: { type: 'integer', minimum: 1, maximum: 9 }, who: { type: 'dict', properties: { email: { type: 'string', format: 'email' } } } }, required: ['n'] },
      },
      { tags: ['demo'] },
    );
    expect(r).toMatchObject({ name: 'Shop.buy', description: 'Buy things.', tags: ['demo', 'Shop'], origin: 'imported', pre: 'n >= 1 && n <= 9' });
    expect(r.conditions).toBe('n >= 1; n <= 9; who.email is email');
    expect(r.body).toBeUndefined();
  });

  it('unmappable specs fail with the tool and the field path', () => {
    const bad = (spec: unknown) => {
      try {
        schemaToRecord(spec);
      } catch (e) {
        return [(e as CocodaError).code, (e as CocodaError).message];
      }
      return undefined;
    };
    expect(bad({ name: 'X', parameters: { type: 'dict', properties: { y: { type: 'foo' } } } })).toEqual([
      'ERR_SCHEMA_UNSUPPORTED',
      'tool "X": parameters.properties.y.type: unsupported type "foo"',
    ]);
    expect(bad({ name: 'X', parameters: { type: 'dict', properties: { y: { type: 'array', items: { type: 'dict', properties: { z: { type: 'quaternion' } } } } } } })?.[1]).toBe(
      'tool "X": parameters.properties.y.items.properties.z.type: unsupported type "quaternion"',
    );
    expect(bad({ name: 'X', parameters: { type: 'dict', properties: {}, required: ['q'] } })).toEqual(['ERR_SCHEMA_INVALID', 'tool "X": parameters.required[0]: "q" is not a property']);
    expect(bad({ name: 'X', parameters: { type: 'string' } })?.[0]).toBe('ERR_SCHEMA_UNSUPPORTED');
    expect(bad({ name: 'X', returns: { type: 'string', enum: [{}] } })?.[1]).toBe('tool "X": returns.enum[0]: unsupported enum value {} (literals must be strings, numbers or booleans)');
    expect(bad({ name: 'X', parameters: { type: 'dict', properties: { y: 3 } } })?.[1]).toBe('tool "X": parameters.properties.y: expected a schema object');
    expect(bad({ description: 'no name' })?.[0]).toBe('ERR_SCHEMA_INVALID');
  });

  it('a failing spec never blocks the others and is never dropped silently', () => {
    const specs = [
      { name: 'ok1', description: '', parameters: { type: 'dict', properties: {} } },
      { name: 'bad', description: '', parameters: { type: 'dict', properties: { y: { type: 'foo' } } } },
      { name: 'ok2', description: '' },
      { name: 'ok1', description: 'dup' },
    ];
    const before = ToolDag.empty().add({ name: 'keep', signature: '() -> int' });
    const res = importSchemasInto(before, specs);
    expect(res.imported).toEqual(['ok1', 'ok2']);
    expect(res.failed.map((f) => f.tool)).toEqual(['bad', 'ok1']);
    expect(res.failed.map((f) => (f.error as CocodaError).code)).toEqual(['ERR_SCHEMA_UNSUPPORTED', 'ERR_DUPLICATE_TOOL']);
    expect(before.names()).toEqual(['keep']);
    expect(res.dag.names()).toEqual(['keep', 'ok1', 'ok2']);
    // dict-shaped input: key and name must agree
    const r = importSchemas({ a: { name: 'b', description: '' } });
    expect(r.failed[0]!.error.message).toBe('tool "a": name: "b" does not match its key "a"');
  });

  it('imports all 4,374 DepthBench + xLAM schemas', () => {
    let dag = ToolDag.empty();
    let total = 0;
    for (const f of ['tools.json', 'xlam_tools.json']) {
      const specs = load(f);
      total += Object.keys(specs).length;
      const res = importSchemasInto(dag, specs, { tags: [f] });
      expect(res.failed).toEqual([]);
      dag = res.dag;
    }
    expect(total).toBe(4374);
    expect(dag.size).toBe(4374);
    expect(dag.stats()).toMatchObject({ tools: 4374, primitives: 4374, composites: 0, edges: 0, maxDepth: 0 });
    // every signature round-trips through the type parser
    for (const r of dag.records()) expect(() => parseSignature(r.signature)).not.toThrow();
    expect(dag.record('GetCarListingByDealerships')!.signature).toBe('(dealerships: list[str]) -> {Listings: DataFrame}');
    expect(dag.record('CryptoPriceAPI')!.signature).toMatch(/^\(ticker: enum\["ADA", "AVAX", "BTC"/);
  });
});
