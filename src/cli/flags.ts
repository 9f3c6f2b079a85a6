/**
 * Numeric command-line flags, range-checked with the valid range in the message:
 * `Expected "--n" to be an integer from 0 to 100000 (got 10000000)`. Values that are not plain
 * decimal integers (`1e7`, `0x10`, `''`, `2.5`) are refused too, so nothing aliases silently.
 */
import { argError } from '../errors.ts';
import { MAX_TIMEOUT_MS } from '../exec/sandbox.ts';

/** Bounds of the numeric flags (inclusive). */
export const FLAG_RANGES = {
  timeout: [10, MAX_TIMEOUT_MS],
  seed: [0, 2_147_483_647],
  n: [0, 100_000],
  steps: [0, 10_000],
  batch: [1, 1_000],
  testSize: [1, 10_000],
  depth: [1, 6],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Parses an integer flag in `[min, max]`; `undefined` stays `undefined`.
 * @throws RangeError naming the flag and the range
 * @example
 * ```ts
 * intFlag('--n', '25', FLAG_RANGES.n); // 25
 * intFlag('--n', '1e7', FLAG_RANGES.n); // RangeError: Expected "--n" to be an integer from 0 to 100000 (got "1e7")
 * ```
 */
export function intFlag(name: string, value: string | undefined, range: readonly [number, number]): number | undefined {
  if (value === undefined) return undefined;
  const [min, max] = range;
  const want = `an integer from ${min} to ${max}${name === '--timeout' ? ' (ms)' : ''}`;
  const s = String(value).trim();
  if (!/^[+-]?\d+$/.test(s)) throw argError('range', name, want, value);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw argError('range', name, want, value);
  return n;
}
