import { describe, expect, it } from 'vitest';
import { verifyAnswer, valuesMatch } from '../../src/reward/verify.ts';

describe('verifyAnswer', () => {
  it('numbers match within relative 1e-6 (absolute 1e-6 near zero)', () => {
    expect(verifyAnswer(0.1 + 0.2, 0.3)).toBe(1);
    expect(verifyAnswer(1_000_000.5, 1_000_000)).toBe(1);
    expect(verifyAnswer(1_000_002, 1_000_000)).toBe(0);
    expect(verifyAnswer(20.99, 21)).toBe(0);
    expect(verifyAnswer(5e-7, 0)).toBe(1);
    expect(verifyAnswer(NaN, 0)).toBe(0);
    expect(verifyAnswer('21', 21)).toBe(0);
  });
  it('strings, booleans, objects', () => {
    expect(verifyAnswer(' North ', 'north')).toBe(1);
    expect(verifyAnswer(true, false)).toBe(0);
    expect(valuesMatch({ a: 1, b: 'x' }, { b: 'X', a: 1 + 1e-9 })).toBe(true);
    expect(valuesMatch({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
  it('lists of equal length earn partial credit', () => {
    expect(verifyAnswer([1, 2, 3, 4], [1, 2, 3, 5])).toBe(0.75);
    expect(verifyAnswer([1, 2], [1, 2, 3])).toBe(0);
  });
});
