// Is dist/ (the compiled package) current with the TypeScript sources? Shared by bin/cocoda.mjs
// (which falls back to the sources when it is not) and scripts/build.mjs (`--if-stale`).
// Plain JavaScript with no dependencies: it must run before anything is built.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Written by scripts/build.mjs after a successful build. */
export const stampFile = path.join(root, 'dist', '.build-stamp');
/** Folders compiled into dist/ (tsconfig.build.json) plus the build configuration itself. */
const inputs = ['src', 'workers', 'bench', 'tsconfig.json', 'tsconfig.build.json'];

function newest(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  let t = st.mtimeMs;
  if (st.isDirectory()) for (const e of readdirSync(p)) if (e !== 'results') t = Math.max(t, newest(path.join(p, e)));
  return t;
}

/**
 * `missing` (never built), `stale` (a source is newer than the last build), `fresh`, or
 * `packaged` (no sources beside dist/: an installed package, nothing to compare).
 */
export function buildState() {
  let stamp;
  try {
    stamp = statSync(stampFile).mtimeMs;
  } catch {
    return 'missing';
  }
  try {
    statSync(path.join(root, 'src'));
  } catch {
    return 'packaged';
  }
  return Math.max(...inputs.map((i) => newest(path.join(root, i)))) > stamp ? 'stale' : 'fresh';
}
