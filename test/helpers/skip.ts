/**
 * Tests that need something optional (the native addon, Debian's `flatc`, …) skip with the
 * reason printed — in vitest's report (`↓ name [reason]`) and as a `skipped:` line on stderr —
 * instead of failing or vanishing silently.
 */
import type { TestContext } from 'vitest';
import { hasNative } from './backends.ts';

/** Skips the running test, printing `reason`, when `reason` is a non-empty string. */
export function skipWithReason(ctx: TestContext, reason: string | null | false | undefined): void {
  if (!reason) return;
  process.stderr.write(`skipped: ${ctx.task.name}: ${reason}\n`);
  ctx.skip(reason);
}

/**
 * Skips the running test when the native addon is not loaded, unless CI demands it
 * (COCODA_EXPECT_NATIVE=1 without COCODA_NO_NATIVE=1): then its absence is a failure.
 */
export function needNative(ctx: TestContext): void {
  if (hasNative()) return;
  if (process.env.COCODA_EXPECT_NATIVE === '1' && process.env.COCODA_NO_NATIVE !== '1') {
    throw new Error('COCODA_EXPECT_NATIVE=1 but the native addon is not loaded');
  }
  skipWithReason(
    ctx,
    process.env.COCODA_NO_NATIVE === '1' ? 'native addon disabled by COCODA_NO_NATIVE=1' : 'native addon not built (npm run build:native)',
  );
}

/** Skips the running test when the native addon IS loaded (tests of the no-addon path). */
export function needNoNative(ctx: TestContext): void {
  if (hasNative()) skipWithReason(ctx, 'checks the path without the addon; run `npm run test:ts-only`');
}
