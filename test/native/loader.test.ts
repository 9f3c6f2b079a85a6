import { describe, expect, it } from 'vitest';
import { cocoda } from '../helpers/cli.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backendInfo, NATIVE_ABI, nativeAddon, packageRoot, sourceFingerprint, staleness } from '../../src/native/loader.ts';
import { needNative } from '../helpers/skip.ts';
import { CocodaError } from '../../src/errors.ts';

describe('native loader', () => {
  it('reports the live backend', () => {
    const info = backendInfo();
    expect(['native', 'ts']).toContain(info.backend);
    if (process.env.COCODA_EXPECT_NATIVE === '1') expect(info.backend).toBe('native');
    expect(info.backend === 'native').toBe(nativeAddon() !== null);
  });

  it('COCODA_NO_NATIVE=1 forces the TypeScript twins', () => {
    // A real process: the loader decides once per process.
    const out = cocoda(['info', '--json'], { env: { COCODA_NO_NATIVE: '1' } }).stdout;
    expect(JSON.parse(out)).toMatchObject({ backend: 'ts', reason: 'COCODA_NO_NATIVE=1' });
  });

  it('native argument errors are CocodaErrors with a code', () => {
    const addon = nativeAddon();
    if (!addon) return;
    expect(addon.buildInfo().napiVersion).toBeGreaterThanOrEqual(8);
    expect(CocodaError).toBeTypeOf('function');
  });

  it('the addon is checked against the package: ABI, version and the sources it was built from', () => {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    const fp = sourceFingerprint();
    // The loader and the build (scripts/native-hash.mjs, compiled in by binding.gyp) agree.
    expect(execFileSync(process.execPath, [path.join(packageRoot, 'scripts', 'native-hash.mjs')], { encoding: 'utf8' })).toBe(fp);
    const good = { abiVersion: NATIVE_ABI, packageVersion: pkg.version, sourceHash: fp };
    expect(staleness(good)).toBeNull();
    expect(staleness({ ...good, abiVersion: NATIVE_ABI - 1 })).toMatch(/ABI is \d+, this package needs/);
    expect(staleness({ ...good, packageVersion: '0.0.0-old' })).toMatch(/built for cocoda 0\.0\.0-old/);
    expect(staleness({ ...good, sourceHash: 'deadbeefdeadbeef' })).toMatch(/other native\/ sources/);
    expect(staleness({})).toMatch(/ABI is undefined/);
  });

  it('a stale addon is refused with a rebuild hint; the live one is current and says whether it is a debug build', (ctx) => {
    needNative(ctx);
    const addon = nativeAddon()!;
    expect(staleness(addon)).toBeNull();
    const info = backendInfo();
    expect(info.reason).toMatch(/^loaded build\/(Release|Debug)\/cocoda\.node$/);
    // NDEBUG is defined for Release builds only (binding.gyp configurations).
    expect(addon.buildInfo().debug).toBe(info.reason.includes('Debug'));
    expect(info.debug).toBe(addon.buildInfo().debug);
    // A package whose native/ sources differ from what the addon was built from: in a copy.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cocoda-stale-'));
    try {
      mkdirSync(path.join(tmp, 'native'));
      writeFileSync(path.join(tmp, 'package.json'), readFileSync(path.join(packageRoot, 'package.json')));
      writeFileSync(path.join(tmp, 'native', 'addon.cc'), '// edited after the build\n');
      expect(staleness(addon, tmp)).toMatch(/built from other native\/ sources/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

