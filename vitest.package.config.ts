import { defineConfig } from 'vitest/config';

// `npm run test:package`: the pack → install → strict consumer test (slow: the install compiles
// the addon). Kept out of `npm test`; .ci/run runs it after the suite.
export default defineConfig({
  test: {
    include: ['test/package/pack.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
