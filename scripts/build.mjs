// `npm run build` (and `prepare`, which npm runs on `npm install` in a checkout and before
// `npm pack`): compiles src/, workers/ and bench/ into dist/ with tsc (tsconfig.build.json), then
// stamps the build. `--if-stale` builds only when a source is newer than the last build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildState, root, stampFile } from './build-state.mjs';

const ifStale = process.argv.includes('--if-stale');
const state = buildState();
if (ifStale && (state === 'fresh' || state === 'packaged')) process.exit(0);

let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.warn('[cocoda] TypeScript is not installed (a dev dependency: `npm install --omit=dev`?), so dist/ was not built.');
  console.warn('[cocoda] Install the dev dependencies and run `npm run build`; an installed package ships dist/ prebuilt.');
  process.exit(0);
}
if (state === 'missing') rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('[cocoda] tsc failed: dist/ was not updated.');
  process.exit(r.status ?? 1);
}
mkdirSync(path.dirname(stampFile), { recursive: true });
writeFileSync(stampFile, `${new Date().toISOString()}\n`);
