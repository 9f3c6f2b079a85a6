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
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CocodaError, isErrorCode } from '../errors.ts';

/** Loose shape of the addon; each concept narrows it in its own kernels file. */
export type NativeAddon = Record<string, unknown> & {
  abiVersion: number;
  packageVersion: string;
  sourceHash: string;
  setErrorClass(ctor: unknown): void;
  buildInfo(): { compiler: string; napiVersion: number; debug: boolean };
};

export interface BackendInfo {
  /** `native` when the C++ addon is loaded, `ts` when the TypeScript twins serve every kernel. */
  backend: 'native' | 'ts';
  /** Why: the addon path that loaded, `COCODA_NO_NATIVE=1`, or the load error. */
  reason: string;
  compiler?: string;
  /** True for an addon compiled without NDEBUG (`node-gyp rebuild --debug`). */
  debug?: boolean;
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

/** The addon's N-API surface version this package expects (native/addon.cc kAbiVersion). */
export const NATIVE_ABI = 2;

/**
 * Fingerprint of the addon's sources beside the package: SHA-256 (first 16 hex digits) over the
 * names and bytes of native/*.cc and native/*.h sorted by name, as scripts/native-hash.mjs
 * computes it for the build. `null` when there are no sources to compare with.
 */
export function sourceFingerprint(root: string = packageRoot): string | null {
  const dir = path.join(root, 'native');
  if (!existsSync(dir)) return null;
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.cc') || f.endsWith('.h')).sort()) {
    h.update(f);
    h.update('\0');
    h.update(readFileSync(path.join(dir, f)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Why a loaded addon must not be used (built for another ABI, package version or sources), or null. */
export function staleness(addon: { abiVersion?: unknown; packageVersion?: unknown; sourceHash?: unknown }, root: string = packageRoot): string | null {
  if (addon.abiVersion !== NATIVE_ABI) return `its ABI is ${String(addon.abiVersion)}, this package needs ${NATIVE_ABI}`;
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  if (addon.packageVersion !== version) return `it was built for cocoda ${String(addon.packageVersion)}, this is ${version}`;
  const fp = sourceFingerprint(root);
  if (fp !== null && addon.sourceHash !== fp) return `it was built from other native/ sources (${String(addon.sourceHash)}, now ${fp})`;
  return null;
}

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
  const rel = path.relative(packageRoot, file);
  try {
    const req = createRequire(import.meta.url);
    const addon = req(file) as NativeAddon;
    const stale = staleness(addon);
    if (stale) {
      const reason = `addon ${rel} is stale (${stale}); using the TypeScript twins — rebuild it with \`npm run build:native\``;
      process.emitWarning(reason, { code: 'COCODA_STALE_ADDON' });
      return { addon: null, info: { backend: 'ts', reason } };
    }
    addon.setErrorClass(NativeCocodaError);
    const bi = addon.buildInfo();
    return { addon, info: { backend: 'native', reason: `loaded ${rel}`, compiler: bi.compiler, debug: bi.debug } };
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
