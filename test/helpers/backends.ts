/**
 * Differential testing helper: every native kernel has a TS twin with the same contract, and one
 * suite runs over both. `eachBackend(ts, native)` yields the twins that are available; in CI
 * (COCODA_EXPECT_NATIVE=1) a missing native addon is a failure, not a silent skip.
 */
import { nativeAddon } from '../../src/native/loader.ts';

export function eachBackend<T>(tsImpl: T, nativeImpl: T | null): Array<[name: 'ts' | 'native', impl: T]> {
  const out: Array<['ts' | 'native', T]> = [['ts', tsImpl]];
  if (nativeImpl) out.push(['native', nativeImpl]);
  else if (process.env.COCODA_EXPECT_NATIVE === '1' && process.env.COCODA_NO_NATIVE !== '1') {
    throw new Error('COCODA_EXPECT_NATIVE=1 but the native implementation is unavailable');
  }
  return out;
}

export const hasNative = (): boolean => nativeAddon() !== null;
