import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The pack → install test is slow; `npm run test:package` (vitest.package.config.ts) runs it.
    exclude: ['test/package/pack.test.ts', '**/node_modules/**'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    // forks: tfjs-wasm and the native addon each get a clean process per file.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
