/**
 * Loads the optional C++ addon. Like msgpackr: acceleration is optional, `COCODA_NO_NATIVE=1`
 * forces the pure-TypeScript twins, and {@link backendInfo} reports which backend is live.
 *
 * Kernel families add their own typed entries to {@link NativeAddon}; callers never touch the
 * addon directly but go through their concept's `kernels.ts`, which picks native or TS.
 *
 * @example
 * ```ts
 * import { backendInfo } from 'cocoda';
 * console.log(backendInfo()); // { backend: 'native', reason: 'loaded build/Release/cocoda.node', ... }
 * ```
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CocodaError, isErrorCode } from '../errors.ts';

/** Loose shape of the addon; each concept narrows it in its own kernels file. */
export type NativeAddon = Record<string, unknown> & {
  abiVersion: number;
  setErrorClass(ctor: unknown): void;
  buildInfo(): { compiler: string; napiVersion: number; debug: boolean };
};

export interface BackendInfo {
  /** `native` when the C++ addon is loaded, `ts` when the TypeScript twins serve every kernel. */
  backend: 'native' | 'ts';
  /** Why: the addon path that loaded, `COCODA_NO_NATIVE=1`, or the load error. */
  reason: string;
  compiler?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * The package root: the nearest folder above this module holding a package.json (src/native/ →
 * ../.. in a checkout, dist/src/native/ → ../../.. in the compiled package).
 */
export const packageRoot = findPackageRoot(here);

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

let cached: { addon: NativeAddon | null; info: BackendInfo } | undefined;

function load(): { addon: NativeAddon | null; info: BackendInfo } {
  if (process.env.COCODA_NO_NATIVE === '1' || process.env.COCODA_NO_NATIVE === 'true') {
    return { addon: null, info: { backend: 'ts', reason: 'COCODA_NO_NATIVE=1' } };
  }
  const candidates = [
    path.join(packageRoot, 'build', 'Release', 'cocoda.node'),
    path.join(packageRoot, 'build', 'Debug', 'cocoda.node'),
  ];
  const file = candidates.find((p) => existsSync(p));
  if (!file) return { addon: null, info: { backend: 'ts', reason: 'addon not built (run `npm run build:native`)' } };
  try {
    const req = createRequire(import.meta.url);
    const addon = req(file) as NativeAddon;
    addon.setErrorClass(NativeCocodaError);
    const bi = addon.buildInfo();
    return { addon, info: { backend: 'native', reason: `loaded ${path.relative(packageRoot, file)}`, compiler: bi.compiler } };
  } catch (err) {
    return { addon: null, info: { backend: 'ts', reason: `addon failed to load: ${(err as Error).message}` } };
  }
}

/** The addon calls `new ctor(message, code)`; adapt to CocodaError's (message, code, details). */
class NativeCocodaError extends CocodaError {
  constructor(message: string, code: string) {
    // The addon's codes are registered like every other (test/errors/registry.test.ts scans native/).
    super(message, isErrorCode(code) ? code : 'ERR_NATIVE_ARG');
  }
}

/** The loaded addon, or `null` when the TS twins are live. */
export function nativeAddon(): NativeAddon | null {
  cached ??= load();
  return cached.addon;
}

/** Which backend serves the kernels, and why. */
export function backendInfo(): BackendInfo {
  cached ??= load();
  return { ...cached.info };
}
