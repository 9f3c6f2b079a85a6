import { describe, expect, it } from 'vitest';
import { tierReward } from '../../src/reward/tier.ts';

const ok = { format: true, namesValid: true, paramMismatches: 0, typeMismatches: 0, executed: true, answerCorrect: true };

describe('tierReward', () => {
  it('a perfect trajectory scores 10 raw, 1 scaled', () => {
    expect(tierReward(ok)).toMatchObject({ raw: 10, scaled: 1, answer: 5, parse: 3 });
  });
  it('format failure zeroes everything', () => {
    expect(tierReward({ ...ok, format: false })).toMatchObject({ raw: 0, scaled: 0, exec: 0, answer: 0 });
  });
  it('an unknown tool zeroes the whole parse component', () => {
    const r = tierReward({ ...ok, namesValid: false, executed: false, answerCorrect: false });
    expect(r).toMatchObject({ name: 0, param: 0, dtype: 0, parse: 0, raw: 1 });
  });
  it('mismatches cost 0.25 each, clipped at 0', () => {
    const r = tierReward({ ...ok, paramMismatches: 1, typeMismatches: 6, executed: false, answerCorrect: false });
    expect(r.param).toBe(0.75);
    expect(r.dtype).toBe(0);
    expect(r.raw).toBe(1 + 1.75);
    expect(r.scaled).toBeCloseTo(0.275, 12);
  });
  it('answer credit needs a successful execution', () => {
    expect(tierReward({ ...ok, executed: false }).answer).toBe(0);
    expect(tierReward({ ...ok, answerCorrect: false }).raw).toBe(5);
  });
  it('rejects negative mismatch counts', () => {
    expect(() => tierReward({ ...ok, paramMismatches: -1 })).toThrow(/"paramMismatches"/);
  });
});
