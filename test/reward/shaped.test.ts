import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eachBackend } from '../helpers/backends.ts';
import { passesWriteGate, savedCalls, shapedReward, shapedRewards } from '../../src/reward/shaped.ts';
import { nativeRewardKernels, tsRewardKernels } from '../../src/reward/kernels.ts';

describe('shapedReward', () => {
  it('R = R_res + λ·Σ Φ with λ = 0.2 by default', () => {
    const r = shapedReward(1, [3, 1, 2]);
    expect(r.rComp).toBe(3);
    expect(r.total).toBeCloseTo(1.6, 12);
    expect(r.writeAllowed).toBe(true);
  });
  it('a composite-using trajectory beats its primitive expansion by λ·Φ (paper Theorem 3)', () => {
    const prim = shapedReward(1, [1, 1, 1, 1]);
    const comp = shapedReward(1, [4]);
    expect(comp.total - prim.total).toBeCloseTo(0.2 * 3, 12);
  });
  it('the write gate depends on R_res only, not on R_comp', () => {
    expect(shapedReward(0.5, [10, 10]).writeAllowed).toBe(false);
    expect(shapedReward(0.8, [1]).writeAllowed).toBe(true);
    expect(passesWriteGate(0.79)).toBe(false);
    expect(passesWriteGate(0.5, 0.4)).toBe(true);
  });
  it('λ = 0 is the w/o-GAR ablation', () => {
    expect(shapedReward(1, [5, 5], { lambda: 0 }).total).toBe(1);
  });
  it('rejects bad inputs', () => {
    expect(() => shapedReward(1.5, [])).toThrow(/"rRes"/);
    expect(() => shapedReward(1, [0])).toThrow(/"callFlats\[0\]"/);
    expect(() => savedCalls(0)).toThrow(/"flat"/);
    expect(() => shapedReward(1, [], { rho: 2 })).toThrow(/"rho"/);
  });
});

describe.each(eachBackend(tsRewardKernels, nativeRewardKernels()))('shapedRewards batch (%s)', (_n, k) => {
  it('computes R per trajectory from CSR calls', () => {
    const out = shapedRewards({ rRes: Float64Array.of(1, 0, 0.5), callOffsets: Int32Array.of(0, 2, 3, 3), callPhi: Float64Array.of(1, 0, 3) }, undefined, k);
    expect(out[0]).toBeCloseTo(1.2, 12);
    expect(out[1]).toBeCloseTo(0.6, 12);
    expect(out[2]).toBe(0.5);
  });
  it('agrees with shapedReward one by one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 6 })), { maxLength: 30 }), (rows) => {
        const offsets = new Int32Array(rows.length + 1);
        rows.forEach(([, f], i) => (offsets[i + 1] = offsets[i]! + f.length));
        const batch = { rRes: Float64Array.from(rows.map((r) => r[0])), callOffsets: offsets, callPhi: Float64Array.from(rows.flatMap(([, f]) => f.map((x) => x - 1))) };
        const out = shapedRewards(batch, { lambda: 0.2 }, k);
        rows.forEach(([r, f], i) => expect(out[i]).toBeCloseTo(shapedReward(r, f).total, 12));
      }),
      { numRuns: 100 },
    );
  });
  it('rejects inconsistent CSR', () => {
    expect(() => shapedRewards({ rRes: Float64Array.of(1), callOffsets: Int32Array.of(0, 2), callPhi: Float64Array.of(1) }, undefined, k)).toThrow(/callOffsets\[1\]/);
    expect(() => shapedRewards({ rRes: Float64Array.of(1, 1), callOffsets: Int32Array.of(0, 1), callPhi: Float64Array.of(1) }, undefined, k)).toThrow(/"callOffsets"/);
  });
});
