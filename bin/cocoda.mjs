#!/usr/bin/env node
// The `cocoda` command. It runs the compiled CLI in dist/ (plain JavaScript, built by
// `npm run build`, which npm runs on install through `prepare`; a published package ships it).
// In a checkout whose dist/ is missing or older than src/, it runs the TypeScript sources through
// tsx (a dev dependency) instead, so the command always runs the current code; COCODA_FROM_SOURCE=1
// forces that (the tests use it).
import { existsSync } from 'node:fs';

const fromSource = async () => {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
};

let mod;
if (process.env.COCODA_FROM_SOURCE === '1') {
  mod = await fromSource();
} else {
  const { buildState } = await import('../scripts/build-state.mjs');
  const state = buildState();
  if (state === 'fresh' || state === 'packaged') {
    mod = await import('../dist/src/cli/main.js');
  } else if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
    try {
      mod = await fromSource();
    } catch (err) {
      if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      process.stderr.write(`cocoda: dist/ is ${state === 'missing' ? 'not built' : 'older than src/'} and tsx is not installed: run \`npm install\` then \`npm run build\`\n`);
      process.exit(1);
    }
  } else {
    process.stderr.write('cocoda: dist/ is missing from this installation: reinstall the package\n');
    process.exit(1);
  }
}
await mod.main(process.argv);
