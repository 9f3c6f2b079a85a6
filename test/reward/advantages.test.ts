import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eachBackend } from '../helpers/backends.ts';
import { needNative } from '../helpers/skip.ts';
import { groupAdvantages, groupStats, uniformGroupOffsets } from '../../src/reward/advantages.ts';
import { nativeRewardKernels, tsRewardKernels } from '../../src/reward/kernels.ts';

const backends = eachBackend(tsRewardKernels, nativeRewardKernels());
const R = [1, 0, 0, 1, 1, 0, 0, 0];

describe.each(backends)('groupAdvantages (%s)', (_name, k) => {
  it('matches the verl/TRL test vectors (unbiased std, eps 1e-6)', () => {
    const s = groupStats(R);
    expect(s.mean).toBeCloseTo(0.375, 12);
    expect(s.std).toBeCloseTo(0.5175492, 7);
    const a = groupAdvantages(R, Int32Array.of(0, 8), undefined, k);
    R.forEach((r, i) => expect(a[i]).toBeCloseTo(r === 1 ? 1.207612 : -0.724567, 6));
  });

  it('biased std divides by n', () => {
    const a = groupAdvantages(R, Int32Array.of(0, 8), { std: 'biased' }, k);
    const sd = Math.sqrt(1.875 / 8);
    expect(a[0]).toBeCloseTo(0.625 / (sd + 1e-6), 12);
    expect(a[1]).toBeCloseTo(-0.375 / (sd + 1e-6), 12);
  });

  it('epsilon is configurable', () => {
    const a = groupAdvantages(R, Int32Array.of(0, 8), { epsilon: 0.5 }, k);
    expect(a[0]).toBeCloseTo(0.625 / (Math.sqrt(1.875 / 7) + 0.5), 12);
  });

  it('mean-only (Dr. GRPO) subtracts the group mean without scaling', () => {
    const a = groupAdvantages(R, Int32Array.of(0, 8), { normalize: 'mean' }, k);
    expect(Array.from(a)).toEqual(R.map((r) => r - 0.375));
  });

  it('all-equal groups and singleton groups get exactly 0; empty groups are allowed', () => {
    const rewards = Float64Array.of(0.1 + 0.2, 0.1 + 0.2, 0.1 + 0.2, 7, 1, 2);
    const a = groupAdvantages(rewards, Int32Array.of(0, 3, 3, 4, 6), undefined, k);
    expect(Array.from(a.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(a[4]).toBeLessThan(0);
    expect(a[5]).toBeGreaterThan(0);
  });

  it('groups are independent: a batch equals its groups computed one by one', () => {
    const rewards = Float64Array.of(...R, 0.2, 0.9, 0.9, 0.4);
    const batch = groupAdvantages(rewards, Int32Array.of(0, 8, 12), undefined, k);
    const g1 = groupAdvantages(rewards.slice(0, 8), Int32Array.of(0, 8), undefined, k);
    const g2 = groupAdvantages(rewards.slice(8), Int32Array.of(0, 4), undefined, k);
    expect(Array.from(batch)).toEqual([...g1, ...g2]);
  });

  it('writes into a reused output buffer, zeroing all-equal groups', () => {
    const out = new Float64Array(10).fill(123);
    const rewards = Float64Array.of(...R, 5, 5);
    const a = groupAdvantages(rewards, Int32Array.of(0, 8, 10), { out }, k);
    expect(a).toBe(out);
    expect(out[0]).toBeCloseTo(1.207612, 6);
    expect(Array.from(out.subarray(8))).toEqual([0, 0]);
    expect(() => groupAdvantages(rewards, Int32Array.of(0, 10), { out: new Float64Array(3) }, k)).toThrow(/"out" to be a Float64Array of length 10/);
    expect(() => groupAdvantages(rewards, Int32Array.of(0, 10), { out: rewards }, k)).toThrow(/"out"/);
  });

  it('rejects bad offsets and non-finite rewards with messages naming the position', () => {
    expect(() => groupAdvantages(R, Int32Array.of(1, 8), undefined, k)).toThrow(/"offsets\[0\]"/);
    expect(() => groupAdvantages(R, Int32Array.of(0, 5, 3, 8), undefined, k)).toThrow(/"offsets\[2\]"/);
    expect(() => groupAdvantages(R, Int32Array.of(0, 7), undefined, k)).toThrow(RangeError);
    expect(() => groupAdvantages([1, NaN], Int32Array.of(0, 2), undefined, k)).toThrow(/"rewards\[1\]" to be a finite number/);
    expect(() => groupAdvantages(R, [0, 8] as unknown as Int32Array, undefined, k)).toThrow(TypeError);
    expect(() => groupAdvantages(R, Int32Array.of(0, 8), { epsilon: -1 }, k)).toThrow(/"epsilon"/);
  });
});

describe('groupAdvantages: native = TS on random batches', () => {
  const native = nativeRewardKernels();
  it('agrees on random batches of groups (all options)', (ctx) => {
    needNative(ctx);
    const group = fc.array(fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom(0, 1)), { minLength: 0, maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        fc.double({ min: 0, max: 1e-2, noNaN: true }),
        (groups, unbiased, meanOnly, epsilon) => {
          const flat = Float64Array.from(groups.flat());
          const offsets = new Int32Array(groups.length + 1);
          groups.forEach((g, i) => (offsets[i + 1] = offsets[i]! + g.length));
          const opts = { std: unbiased ? 'unbiased' : 'biased', normalize: meanOnly ? 'mean' : 'std', epsilon } as const;
          const a = groupAdvantages(flat, offsets, opts, tsRewardKernels);
          const b = groupAdvantages(flat, offsets, opts, native!);
          for (let i = 0; i < a.length; i++) {
            expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a[i]!)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('normalised advantages have zero mean and (unbiased) std ≈ 1 per non-constant group', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 16 }), (g) => {
        const r = Float64Array.from(g);
        const a = groupAdvantages(r, Int32Array.of(0, r.length), { epsilon: 0 }, tsRewardKernels);
        const s = groupStats(r);
        if (s.std < 1e-6) return;
        const sa = groupStats(a);
        expect(Math.abs(sa.mean)).toBeLessThan(1e-9);
        expect(sa.std).toBeCloseTo(1, 6);
      }),
      { numRuns: 100 },
    );
  });
});

describe('groupAdvantages: degenerate spread', () => {
  // Found by the property test: [0, -5e-324] differ, but their std underflows to 0; with epsilon 0
  // the advantage was 0/0 = NaN. Such a group is treated as constant on both backends.
  for (const [name, kernels] of eachBackend(tsRewardKernels, nativeRewardKernels())) {
    it(`${name}: a spread that underflows to 0 with epsilon 0 gives zeros, not NaN`, () => {
      const r = Float64Array.of(0, -5e-324, 1, 0);
      const a = groupAdvantages(r, Int32Array.of(0, 2, 4), { std: 'biased', epsilon: 0 }, kernels);
      expect(Array.from(a.subarray(0, 2))).toEqual([0, 0]);
      expect(a[2]).toBeCloseTo(1, 12);
      expect(a[3]).toBeCloseTo(-1, 12);
    });
  }
});

describe('uniformGroupOffsets', () => {
  it('builds [0, G, 2G, ..., n] and rejects non-multiples', () => {
    expect(Array.from(uniformGroupOffsets(16, 8))).toEqual([0, 8, 16]);
    expect(() => uniformGroupOffsets(10, 4)).toThrow(/"n" to be a multiple of groupSize 4/);
    expect(() => uniformGroupOffsets(8, 0)).toThrow(/"groupSize"/);
  });
});
