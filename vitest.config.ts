import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The pack → install test is slow; `npm run test:package` (vitest.package.config.ts) runs it.
    exclude: ['test/package/pack.test.ts', '**/node_modules/**'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    // forks: tfjs-wasm and the native addon each get a clean process per file. Two at a time: on a
    // 2-core machine vitest would otherwise run one (cores − 1), and many files wait on child
    // processes (sandbox, spawned CLI) rather than compute.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
