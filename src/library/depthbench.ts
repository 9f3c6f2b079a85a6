/**
 * Where the DepthBench / xLAM schema files live. They are external data (TIER's release,
 * Apache-2.0, see `data/depthbench/PROVENANCE.md`) shipped inside the package, found in this order:
 * 1. `$COCODA_DEPTHBENCH_DIR`,
 * 2. `data/depthbench/` inside the package.
 *
 * @example
 * ```ts
 * import { depthbenchFile } from 'cocoda';
 * const specs = JSON.parse(readFileSync(depthbenchFile('tools.json'), 'utf8'));
 * ```
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CocodaError } from '../errors.ts';
import { packageRoot } from '../native/loader.ts';

/** The candidate directories, in lookup order. */
export function depthbenchDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.COCODA_DEPTHBENCH_DIR) dirs.push(path.resolve(process.env.COCODA_DEPTHBENCH_DIR));
  dirs.push(path.join(packageRoot, 'data', 'depthbench'));
  return dirs;
}

/** The first candidate directory holding `tools.json`, or `null`. */
export function depthbenchDir(): string | null {
  return depthbenchDirs().find((d) => existsSync(path.join(d, 'tools.json'))) ?? null;
}

/** Path of a DepthBench file (`tools.json`, `xlam_tools.json`, `queries.json`); `ERR_DATA_MISSING` if absent. */
export function depthbenchFile(name: string): string {
  for (const d of depthbenchDirs()) {
    const p = path.join(d, name);
    if (existsSync(p)) return p;
  }
  throw new CocodaError(
    `DepthBench file "${name}" not found; looked in ${depthbenchDirs().join(', ')} (set COCODA_DEPTHBENCH_DIR)`,
    'ERR_DATA_MISSING',
    { file: name },
  );
}
