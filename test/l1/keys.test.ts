import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Type } from '../../src/types/ast.ts';
import { isSubtype } from '../../src/types/subtype.ts';
import { isExactKey, keyOf, subKeys, superKeys, type KeySet } from '../../src/l1/keys.ts';
import { arbType } from '../types/arbitrary.ts';

const ids = new Map<string, number>();
const nameId = (s: string): number => {
  let v = ids.get(s);
  if (v === undefined) ids.set(s, (v = ids.size));
  return v;
};
const has = (s: KeySet, k: number): boolean => s.keys.includes(k) || s.ranges.some(([lo, hi]) => k >= lo && k < hi);

describe('L1 key abstraction', () => {
  it('is sound: A <: P implies key(P) ∈ superKeys(A), and R <: B implies key(R) ∈ subKeys(B)', () => {
    const t = arbType({ vars: [], depth: 3 });
    fc.assert(
      fc.property(t, t, (a: Type, b: Type) => {
        if (!isSubtype(a, b)) return;
        expect(has(superKeys(a, nameId), keyOf(b, nameId, false))).toBe(true);
        expect(has(subKeys(b, nameId), keyOf(a, nameId, false))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('is exact between exact keys', () => {
    const t = arbType({ vars: [], depth: 2 });
    fc.assert(
      fc.property(t, t, (a: Type, b: Type) => {
        const ka = keyOf(a, nameId, true);
        const kb = keyOf(b, nameId, false);
        if (!isExactKey(ka) || !isExactKey(kb)) return;
        expect(has(superKeys(a, nameId), kb)).toBe(isSubtype(a, b));
        expect(has(subKeys(b, nameId), keyOf(a, nameId, false))).toBe(isSubtype(a, b));
      }),
      { numRuns: 20_000 },
    );
  });
});
